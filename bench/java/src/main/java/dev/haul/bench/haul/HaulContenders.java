package dev.haul.bench.haul;

import dev.haul.Destination;
import dev.haul.Download;
import dev.haul.DownloadListener;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.DownloadResult;
import dev.haul.Progress;
import dev.haul.Transport;
import dev.haul.bench.SmallClient;
import dev.haul.bench.Contender;
import dev.haul.bench.ScaleClient;
import java.io.FileOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Haul's contenders, each one {@link DownloadManager} reused across iterations. Only this package
 * touches the library, so the harness builds without it ({@code -Dnohaul}).
 *
 * <ul>
 *   <li>{@code haul-stream}: {@link Destination#stream} with a counting chunk callback (case 1);</li>
 *   <li>{@code haul-memory}: {@link Destination#memory()}, no user code at all: case 5's plain path;</li>
 *   <li>{@code haul-progress}: memory plus a {@link DownloadListener#onProgress} that counts calls;</li>
 *   <li>{@code haul-stream-progress}: {@code haul-stream} plus the same listener;</li>
 *   <li>{@code haul-sha256} / {@code haul-stream-sha256}: memory / stream plus {@code expectedSha256};</li>
 *   <li>{@code haul-file}: {@link Destination#file}: {@code .part}, force, atomic rename;</li>
 *   <li>{@code haul-stream-file} / {@code haul-stream-file-fsync}: the naive file path, a chunk
 *       callback appending to a {@link FileOutputStream} at the target (then fsync), for comparison
 *       with {@code haul-file}.</li>
 * </ul>
 */
public final class HaulContenders {

    private HaulContenders() {
    }

    private static DownloadManager manager(Map<String, String> a, int concurrent, boolean fsync) throws Exception {
        DownloadManager.Builder b = DownloadManager.builder().fsync(fsync);
        if (a.getOrDefault("contender", "").startsWith("haul-jdk")) {
            b.transport(Transport.JDK);   // haul-jdk-*: the same engine over the JDK client
        }
        if ("h2".equals(a.get("proto"))) {
            b.httpVersion(HttpClient.Version.HTTP_2);
        }
        if (a.getOrDefault("url", "").startsWith("https:")) {
            // The JVM's default context, which reads javax.net.ssl.trustStore like the other contenders.
            b.sslContext(SSLContext.getDefault());
        }
        if (concurrent > 0) {
            b.maxConcurrentDownloads(concurrent).maxConnectionsPerHost(concurrent);
        }
        return b.build();
    }

    /** Called reflectively by {@code Bench.create}. */
    public static Contender contender(Map<String, String> a) throws Exception {
        String name = a.get("contender");
        if (name.startsWith("haul-jdk-")) {
            name = "haul-" + name.substring("haul-jdk-".length());
        }
        DownloadManager manager = manager(a, 0, !name.equals("haul-file-nofsync"));
        Path out = Path.of(a.getOrDefault("out", System.getProperty("java.io.tmpdir")));
        long memoryCap = Long.parseLong(a.get("bytes")) + 1024 * 1024;
        return switch (name) {
            case "haul-stream" -> new HaulContender(manager, null, HaulContenders::builder, counting());
            case "haul-memory" -> new HaulContender(manager, null,
                    uri -> builder(uri).maxMemoryBytes(memoryCap), Destination::memory);
            case "haul-progress" -> new HaulContender(manager, null, uri -> builder(uri)
                    .maxMemoryBytes(memoryCap).listener(countingListener()), Destination::memory);
            case "haul-stream-progress" -> new HaulContender(manager, null,
                    uri -> builder(uri).listener(countingListener()), counting());
            case "haul-sha256" -> {
                String sha = a.get("sha256");
                if (sha == null) {
                    throw new IllegalArgumentException("haul-sha256 needs sha256=");
                }
                yield new HaulContender(manager, null, uri -> builder(uri)
                        .maxMemoryBytes(memoryCap).expectedSha256(sha), Destination::memory);
            }
            case "haul-stream-sha256" -> {
                String sha = a.get("sha256");
                yield new HaulContender(manager, null, uri -> builder(uri).expectedSha256(sha), counting());
            }
            case "haul-file" -> {
                Path target = out.resolve("haul-file.bin");
                yield new HaulContender(manager, target, HaulContenders::builder, () -> Destination.file(target));
            }
            case "haul-file-nofsync" -> { // the .part, lock and rename without the durability
                Path target = out.resolve("haul-file-nofsync.bin");
                yield new HaulContender(manager, target, HaulContenders::builder, () -> Destination.file(target));
            }
            case "haul-stream-file", "haul-stream-file-fsync" -> {
                Path target = out.resolve(name + ".bin");
                boolean fsync = name.endsWith("fsync");
                yield new StreamToFile(manager, target, fsync);
            }
            default -> throw new IllegalArgumentException("unknown Haul contender: " + name);
        };
    }

    /** A stream destination that counts the bytes, as the cheapest consumer would. */
    private static Supplier<Destination<?>> counting() {
        return () -> {
            long[] count = new long[1];
            return Destination.stream(chunk -> count[0] += chunk.length);
        };
    }

    /** A progress listener that reads the event, as a progress bar would, and counts it. */
    private static DownloadListener countingListener() {
        long[] calls = new long[1];
        return new DownloadListener() {
            @Override
            public void onProgress(Download<?> download, Progress progress) {
                calls[0] += progress.bytesDone() > 0 ? 1 : 0;
            }
        };
    }

    private static DownloadRequest.Builder builder(URI uri) {
        return DownloadRequest.builder(uri);
    }

    /** A contender that runs one request per fetch and reports the size Haul delivered. */
    private static final class HaulContender implements Contender {
        private final DownloadManager manager;
        private final Path file;
        private final Function<URI, DownloadRequest.Builder> request;
        private final Supplier<Destination<?>> destination;

        HaulContender(DownloadManager manager, Path file, Function<URI, DownloadRequest.Builder> request,
                      Supplier<Destination<?>> destination) {
            this.manager = manager;
            this.file = file;
            this.request = request;
            this.destination = destination;
        }

        @Override
        public long fetch(URI uri) {
            DownloadResult<?> r = manager.download(request.apply(uri).build(), destination.get()).result().join();
            return r.body() instanceof byte[] b ? b.length : r.size();
        }

        @Override
        public Path lastFile() {
            return file;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** The non-atomic way: append each chunk to the target file as it arrives. */
    private static final class StreamToFile implements Contender {
        private final DownloadManager manager;
        private final Path target;
        private final boolean fsync;

        StreamToFile(DownloadManager manager, Path target, boolean fsync) {
            this.manager = manager;
            this.target = target;
            this.fsync = fsync;
        }

        @Override
        public long fetch(URI uri) throws Exception {
            try (FileOutputStream out = new FileOutputStream(target.toFile())) {
                manager.download(builder(uri).build(), Destination.stream(out::write)).result().join();
                if (fsync) {
                    out.getFD().sync();
                }
            }
            return Files.size(target);
        }

        @Override
        public Path lastFile() {
            return target;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /**
     * Called reflectively by {@code Small.run}: one manager with {@code conns} downloads and
     * connections at a time, every URL of a round submitted at once (as {@code haul get -i LIST -j N}
     * does), each to a {@link Destination#file} or a counting stream. {@code haul-nofsync} turns
     * fsync off (no other contender syncs); {@code haul-jdk*} runs over the JDK client,
     * {@code proto=h2} with HTTP/2.
     */
    public static SmallClient smallClient(Map<String, String> a) throws Exception {
        String name = a.get("contender");
        int conns = Integer.parseInt(a.get("conns"));
        DownloadManager manager = manager(a, conns, !name.contains("nofsync"));
        return new SmallClient() {
            @Override
            public long round(java.util.List<URI> uris, Path dir) {
                java.util.List<CompletableFuture<? extends DownloadResult<?>>> all = new java.util.ArrayList<>(uris.size());
                for (URI uri : uris) {
                    Destination<?> d = dir == null ? counting().get() : Destination.file(dir.resolve(SmallClient.name(uri)));
                    all.add(manager.download(builder(uri).build(), d).result());
                }
                long total = 0;
                for (CompletableFuture<? extends DownloadResult<?>> f : all) {
                    total += f.join().size();
                }
                return total;
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }

    /** Called reflectively by {@code Scale.run}: one manager for all N downloads, none queued. */
    public static ScaleClient scaleClient(Map<String, String> a) throws Exception {
        int n = Integer.parseInt(a.get("n"));
        DownloadManager manager = manager(a, n + 1, true);
        String sha = a.get("sha256");
        return new ScaleClient() {
            @Override
            public CompletableFuture<Long> start(URI uri, Runnable onFirstBytes) {
                AtomicBoolean first = new AtomicBoolean();
                DownloadRequest.Builder b = builder(uri);
                if (sha != null) {
                    b.expectedSha256(sha);
                }
                Destination<Void> counting = Destination.stream(chunk -> {
                    if (chunk.length > 0 && first.compareAndSet(false, true)) {
                        onFirstBytes.run();
                    }
                });
                return manager.download(b.build(), counting).result().thenApply(r -> {
                    if (sha != null && !sha.equalsIgnoreCase(r.sha256().orElse(""))) {
                        throw new IllegalStateException("sha256 " + r.sha256() + " != " + sha);
                    }
                    return r.size();
                });
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }
}
