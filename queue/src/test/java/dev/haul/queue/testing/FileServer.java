package dev.haul.queue.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A static-file server on 127.0.0.1 for the service's tests (JDK HttpServer): strong ETags,
 * {@code Range: bytes=A-[B]} with {@code If-Range}, an optional pace (bytes per second per
 * response), responses held after N bytes until a test releases them, and counts of the body bytes
 * it wrote, so a test can tell how many bytes were fetched twice.
 */
public final class FileServer implements AutoCloseable {
    /** A request as the server saw it. */
    public record Request(String path, String range, String ifRange,
                          Map<String, List<String>> headers) {
        /** The first value of a header, or null. */
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** Holds the first response of a path after some bytes, until released. */
    public static final class Gate {
        final long afterBytes;
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        final AtomicInteger uses = new AtomicInteger();

        Gate(long afterBytes) {
            this.afterBytes = afterBytes;
        }

        /** Waits until a response is held at the gate. */
        public boolean awaitHeld(Duration timeout) throws InterruptedException {
            return held.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Lets the held response (and any later one) go on. */
        public void release() {
            released.countDown();
        }
    }

    private static final int CHUNK = 16 * 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> servedPerPath = new ConcurrentHashMap<>();
    private final AtomicLong served = new AtomicLong();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile long bytesPerSecond;

    private FileServer() throws IOException {
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(32, r -> {
            Thread t = new Thread(r, "file-server-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public static FileServer start() throws IOException {
        return new FileServer();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public FileServer file(String path, byte[] body) {
        files.put(path, body);
        return this;
    }

    /** Answers {@code path} with this status and a short body. */
    public FileServer status(String path, int status) {
        statuses.put(path, status);
        return this;
    }

    /** Paces every response body to about this many bytes per second (0: as fast as it can). */
    public FileServer pace(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        return this;
    }

    /** Holds the first response of {@code path} after {@code bytes} body bytes. */
    public Gate hold(String path, long bytes) {
        Gate g = new Gate(bytes);
        gates.put(path, g);
        return g;
    }

    public long bytesServed() {
        return served.get();
    }

    public long bytesServed(String path) {
        AtomicLong a = servedPerPath.get(path);
        return a == null ? 0 : a.get();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    public static String etagOf(byte[] body) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(d, 0, 8) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String range = ex.getRequestHeaders().getFirst("Range");
            String ifRange = ex.getRequestHeaders().getFirst("If-Range");
            requests.add(new Request(path, range, ifRange, Map.copyOf(ex.getRequestHeaders())));
            Integer status = statuses.get(path);
            byte[] body = files.get(path);
            if (status != null || body == null) {
                byte[] msg = ("status " + (status == null ? 404 : status)).getBytes();
                ex.sendResponseHeaders(status == null ? 404 : status, msg.length);
                ex.getResponseBody().write(msg);
                return;
            }
            String etag = etagOf(body);
            ex.getResponseHeaders().set("ETag", etag);
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            long from = 0;
            long to = body.length - 1L;
            boolean partial = false;
            if (range != null && range.startsWith("bytes=") && !range.contains(",")
                    && (ifRange == null || ifRange.equals(etag))) {
                String[] ab = range.substring(6).split("-", -1);
                try {
                    from = Long.parseLong(ab[0]);
                    if (ab.length > 1 && !ab[1].isEmpty()) {
                        to = Math.min(to, Long.parseLong(ab[1]));
                    }
                    partial = true;
                } catch (NumberFormatException e) {
                    from = 0;
                }
            }
            if (partial && from >= body.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            long length = to - from + 1;
            if (partial) {
                ex.getResponseHeaders().set("Content-Range",
                        "bytes " + from + "-" + to + "/" + body.length);
            }
            ex.sendResponseHeaders(partial ? 206 : 200, length == 0 ? -1 : length);
            write(ex.getResponseBody(), path, body, from, length);
        }
    }

    private void write(OutputStream out, String path, byte[] body, long from, long length)
            throws IOException {
        Gate gate = gates.get(path);
        boolean gated = gate != null && gate.uses.getAndIncrement() == 0;
        long start = System.nanoTime();
        long sent = 0;
        AtomicLong perPath = servedPerPath.computeIfAbsent(path, p -> new AtomicLong());
        while (sent < length) {
            int n = (int) Math.min(CHUNK, length - sent);
            if (gated && sent + n > gate.afterBytes) {
                n = (int) Math.max(0, gate.afterBytes - sent);
                if (n == 0) {
                    out.flush();
                    gate.held.countDown();
                    awaitQuietly(gate.released);
                    gated = false;
                    continue;
                }
            }
            out.write(body, (int) (from + sent), n);
            sent += n;
            served.addAndGet(n);
            perPath.addAndGet(n);
            long rate = bytesPerSecond;
            if (rate > 0) {
                long due = start + sent * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    sleepQuietly(wait);
                }
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The server's own pacing: the test never sleeps to wait, the server paces its writes. */
    private static void sleepQuietly(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        gates.values().forEach(Gate::release);
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
