package dev.haul.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The raw JDK client, used the fastest way we know for each kind of delivery:
 * {@code jdk-count} receives the client's own buffers (a counting {@link HttpResponse.BodySubscriber}),
 * {@code jdk-bytes} receives {@code byte[]} chunks ({@link BodyHandlers#ofByteArrayConsumer}), the
 * same delivery as Haul's chunk callback.
 */
final class JdkContenders {

    private JdkContenders() {
    }

    static HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    static HttpRequest get(URI uri) {
        return HttpRequest.newBuilder(uri).GET().build();
    }

    static Contender counting(HttpClient.Version version) {
        HttpClient client = client(version);
        return uri -> {
            HttpResponse<Long> response = client.send(get(uri), info -> new CountingSubscriber());
            requireOk(response.statusCode(), uri);
            return response.body();
        };
    }

    static Contender byteArrays(HttpClient.Version version) {
        HttpClient client = client(version);
        return uri -> {
            long[] count = new long[1];
            HttpResponse<Void> response = client.send(get(uri), BodyHandlers.ofByteArrayConsumer(chunk -> {
                chunk.ifPresent(bytes -> count[0] += bytes.length);
            }));
            requireOk(response.statusCode(), uri);
            return count[0];
        };
    }

    /** {@code HttpClient.send} with {@code BodyHandlers.ofFile}, the JDK's own file path. */
    static Contender toFile(HttpClient.Version version, java.nio.file.Path out) {
        HttpClient client = client(version);
        java.nio.file.Path target = out.resolve("jdk-file.bin");
        return new Contender() {
            @Override
            public long fetch(URI uri) throws Exception {
                HttpResponse<java.nio.file.Path> r = client.send(get(uri), BodyHandlers.ofFile(target));
                requireOk(r.statusCode(), uri);
                return java.nio.file.Files.size(target);
            }

            @Override
            public java.nio.file.Path lastFile() {
                return target;
            }
        };
    }

    /**
     * Case 6: {@code conns} lanes of {@code sendAsync}, each sending the next request when its
     * response ends; {@code ofFile} into the directory, or a counting subscriber.
     */
    static SmallClient small(HttpClient.Version version, int conns) {
        HttpClient client = client(version);
        return (uris, dir) -> {
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger(conns);
            CompletableFuture<Void> all = new CompletableFuture<>();
            for (int l = 0; l < conns; l++) {
                new Object() {
                    void send() {
                        int i = next.getAndIncrement();
                        if (i >= uris.size()) {
                            if (running.decrementAndGet() == 0) {
                                all.complete(null);
                            }
                            return;
                        }
                        URI uri = uris.get(i);
                        CompletableFuture<Long> f = dir == null
                                ? client.sendAsync(get(uri), info -> new CountingSubscriber()).thenApply(r -> {
                                    requireOk(r.statusCode(), uri);
                                    return r.body();
                                })
                                : client.sendAsync(get(uri), BodyHandlers.ofFile(dir.resolve(SmallClient.name(uri))))
                                        .thenApply(r -> {
                                            requireOk(r.statusCode(), uri);
                                            return sizeOf(r.body());
                                        });
                        f.whenComplete((n, t) -> {
                            if (t != null) {
                                all.completeExceptionally(t);
                            } else {
                                total.addAndGet(n);
                                send();
                            }
                        });
                    }
                }.send();
            }
            all.get(10, java.util.concurrent.TimeUnit.MINUTES);
            return total.get();
        };
    }

    private static long sizeOf(java.nio.file.Path p) {
        try {
            return java.nio.file.Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void requireOk(int status, URI uri) {
        if (status != 200) {
            throw new IllegalStateException("HTTP " + status + " for " + uri);
        }
    }

    /** Counts the bytes of each buffer and asks for the next one; the body is the count. */
    static final class CountingSubscriber implements HttpResponse.BodySubscriber<Long> {
        private final CompletableFuture<Long> result = new CompletableFuture<>();
        private Flow.Subscription subscription;
        private long count;
        private final Runnable onFirstBytes;
        private boolean seenBytes;

        CountingSubscriber() {
            this(null);
        }

        CountingSubscriber(Runnable onFirstBytes) {
            this.onFirstBytes = onFirstBytes;
        }

        @Override
        public CompletionStage<Long> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                count += b.remaining();
            }
            if (!seenBytes && count > 0 && onFirstBytes != null) {
                seenBytes = true;
                onFirstBytes.run();
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(count);
        }
    }
}
