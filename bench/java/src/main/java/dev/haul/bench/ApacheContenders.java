package dev.haul.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;

/**
 * Apache HttpClient 5.6, set up as in the transport bake-off: {@code Http1Config} buffer 256 KiB;
 * classic reads the entity's {@code InputStream} into a 256 KiB {@code byte[]}; async runs 2 I/O
 * threads, {@code FORCE_HTTP_1}, and an {@code AbstractBinResponseConsumer}. Pools allow as many
 * connections as the case uses (1 for a large file, 8 for small files). No retries, redirects,
 * cookies or decompression. TLS: the JVM's default context (javax.net.ssl.trustStore).
 */
final class ApacheContenders {

    static final int BUFFER = 256 * 1024;

    private ApacheContenders() {
    }

    static CloseableHttpClient classicClient(int conns) throws Exception {
        PoolingHttpClientConnectionManager cm = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(conns).setMaxConnPerRoute(conns)
                .setTlsSocketStrategy(new DefaultClientTlsStrategy(SSLContext.getDefault()))
                .setConnectionFactory(ManagedHttpClientConnectionFactory.builder()
                        .http1Config(Http1Config.custom().setBufferSize(BUFFER).build()).build())
                .build();
        return HttpClients.custom().setConnectionManager(cm).disableAutomaticRetries().disableRedirectHandling()
                .disableContentCompression().disableCookieManagement().build();
    }

    /** One classic GET, the body read into {@code buf} and written to {@code out} when not null. */
    static long classicGet(CloseableHttpClient client, URI uri, byte[] buf, OutputStream out) throws IOException {
        try (ClassicHttpResponse r = client.executeOpen(null, new HttpGet(uri), null)) {
            JdkContenders.requireOk(r.getCode(), uri);
            long count = 0;
            try (InputStream in = r.getEntity().getContent()) {
                for (int n; (n = in.read(buf)) != -1; ) {
                    if (out != null) {
                        out.write(buf, 0, n);
                    }
                    count += n;
                }
            }
            return count;
        }
    }

    static Contender classic(Path out) throws Exception {
        CloseableHttpClient client = classicClient(1);
        byte[] buf = new byte[BUFFER];
        Path target = out == null ? null : out.resolve("apache-classic-file.bin");
        return new Contender() {
            @Override
            public long fetch(URI uri) throws Exception {
                if (target == null) {
                    return classicGet(client, uri, buf, null);
                }
                try (OutputStream o = Files.newOutputStream(target)) {
                    return classicGet(client, uri, buf, o);
                }
            }

            @Override
            public Path lastFile() {
                return target;
            }

            @Override
            public void close() throws IOException {
                client.close(CloseMode.GRACEFUL);
            }
        };
    }

    /** Case 6, classic: {@code conns} threads, each taking the next URL; one pooled connection each. */
    static SmallClient classicSmall(int conns) throws Exception {
        CloseableHttpClient client = classicClient(conns);
        ExecutorService threads = Executors.newFixedThreadPool(conns);
        ThreadLocal<byte[]> bufs = ThreadLocal.withInitial(() -> new byte[BUFFER]);
        return new SmallClient() {
            @Override
            public long round(List<URI> uris, Path dir) throws Exception {
                AtomicInteger next = new AtomicInteger();
                AtomicLong total = new AtomicLong();
                Future<?>[] lanes = new Future<?>[conns];
                for (int l = 0; l < conns; l++) {
                    lanes[l] = threads.submit(() -> {
                        byte[] buf = bufs.get();
                        for (int i; (i = next.getAndIncrement()) < uris.size(); ) {
                            URI uri = uris.get(i);
                            if (dir == null) {
                                total.addAndGet(classicGet(client, uri, buf, null));
                            } else {
                                try (OutputStream o = Files.newOutputStream(dir.resolve(SmallClient.name(uri)))) {
                                    total.addAndGet(classicGet(client, uri, buf, o));
                                }
                            }
                        }
                        return null;
                    });
                }
                for (Future<?> f : lanes) {
                    f.get(10, TimeUnit.MINUTES);
                }
                return total.get();
            }

            @Override
            public void close() throws IOException {
                threads.shutdownNow();
                client.close(CloseMode.GRACEFUL);
            }
        };
    }

    static CloseableHttpAsyncClient asyncClient(int conns) throws Exception {
        PoolingAsyncClientConnectionManager cm = PoolingAsyncClientConnectionManagerBuilder.create()
                .setMaxConnTotal(conns).setMaxConnPerRoute(conns)
                .setTlsStrategy(new DefaultClientTlsStrategy(SSLContext.getDefault()))
                .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build())
                .build();
        CloseableHttpAsyncClient client = HttpAsyncClients.custom().setConnectionManager(cm)
                .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(2).build())
                .setHttp1Config(Http1Config.custom().setBufferSize(BUFFER).build())
                .disableAutomaticRetries().disableRedirectHandling().disableCookieManagement().build();
        client.start();
        return client;
    }

    /** Counts the body, or writes each buffer to a file opened when the head arrives. */
    static final class Consumer extends AbstractBinResponseConsumer<Long> {
        private final Path file;
        private FileChannel channel;
        private long count;

        Consumer(Path file) {
            this.file = file;
        }

        @Override
        protected void start(HttpResponse response, ContentType contentType) throws IOException {
            if (response.getCode() != 200) {
                throw new IOException("HTTP " + response.getCode());
            }
            if (file != null) {
                channel = NettyClient.create(file);
            }
        }

        @Override
        protected int capacityIncrement() {
            return BUFFER;
        }

        @Override
        protected void data(ByteBuffer src, boolean endOfStream) throws IOException {
            count += src.remaining();
            if (channel != null) {
                while (src.hasRemaining()) {
                    channel.write(src);
                }
            }
            if (endOfStream && channel != null) {
                channel.close();
                channel = null;
            }
        }

        @Override
        protected Long buildResult() {
            return count;
        }

        @Override
        public void releaseResources() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // released anyway
                }
                channel = null;
            }
        }
    }

    static Contender async(Path out) throws Exception {
        CloseableHttpAsyncClient client = asyncClient(1);
        Path target = out == null ? null : out.resolve("apache-async-file.bin");
        return new Contender() {
            @Override
            public long fetch(URI uri) throws Exception {
                return client.execute(AsyncRequestBuilder.get(uri).build(), new Consumer(target), null)
                        .get(10, TimeUnit.MINUTES);
            }

            @Override
            public Path lastFile() {
                return target;
            }

            @Override
            public void close() {
                client.close(CloseMode.GRACEFUL);
            }
        };
    }

    /** Case 6, async: {@code conns} lanes, each sending the next request from the last one's callback. */
    static SmallClient asyncSmall(int conns) throws Exception {
        CloseableHttpAsyncClient client = asyncClient(conns);
        return new SmallClient() {
            @Override
            public long round(List<URI> uris, Path dir) throws Exception {
                AtomicInteger next = new AtomicInteger();
                AtomicLong total = new AtomicLong();
                AtomicInteger running = new AtomicInteger(conns);
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
                            client.execute(AsyncRequestBuilder.get(uri).build(),
                                    new Consumer(dir == null ? null : dir.resolve(SmallClient.name(uri))), null,
                                    new FutureCallback<Long>() {
                                        @Override
                                        public void completed(Long n) {
                                            total.addAndGet(n);
                                            send();
                                        }

                                        @Override
                                        public void failed(Exception e) {
                                            all.completeExceptionally(e);
                                        }

                                        @Override
                                        public void cancelled() {
                                            all.cancel(false);
                                        }
                                    });
                        }
                    }.send();
                }
                all.get(10, TimeUnit.MINUTES);
                return total.get();
            }

            @Override
            public void close() {
                client.close(CloseMode.GRACEFUL);
            }
        };
    }
}
