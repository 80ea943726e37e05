package dev.haul.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The web server of {@code haul demo}: serves generated files on 127.0.0.1 with Range, If-Range and
 * ETag like a real file server, throttled so that progress is visible, and cuts the connection of
 * a {@link Served#cutAt() chosen file} once, midway, so that the client has to resume.
 */
final class DemoServer implements AutoCloseable {

    /**
     * One file the server offers.
     *
     * @param bytesPerSecond the pace at which it is sent
     * @param cutAt          the byte after which the first full request loses its connection;
     *                       -1 never
     */
    @SuppressWarnings("ArrayRecordComponent") // never compared or hashed: equals() is not used
    record Served(String name, byte[] body, long bytesPerSecond, long cutAt) {
        String etag() {
            return "\"" + Integer.toHexString(name.hashCode()) + "-" + body.length + "\"";
        }
    }

    /** One request as the server saw it. */
    record Seen(String path, String range, int status, int remotePort) {
    }

    private static final int CHUNK = 32 * 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Served> files = new ConcurrentHashMap<>();
    private final Set<String> alreadyCut = ConcurrentHashMap.newKeySet();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    DemoServer(List<Served> served) throws IOException {
        served.forEach(f -> files.put("/" + f.name(), f));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "haul-demo-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    int port() {
        return server.getAddress().getPort();
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Served f = files.get(ex.getRequestURI().getPath());
            String range = ex.getRequestHeaders().getFirst("Range");
            int port = ex.getRemoteAddress().getPort();
            if (f == null) {
                seen.add(new Seen(ex.getRequestURI().getPath(), range, 404, port));
                ex.sendResponseHeaders(404, -1);
                return;
            }
            long length = f.body().length;
            long from = 0;
            String ifRange = ex.getRequestHeaders().getFirst("If-Range");
            boolean rangeApplies = range != null && range.matches("bytes=\\d+-")
                    && (ifRange == null || ifRange.equals(f.etag()));
            if (rangeApplies) {
                from = Long.parseLong(range.substring(6, range.length() - 1));
                if (from >= length) {
                    seen.add(new Seen(f.name(), range, 416, port));
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
            }
            int status = rangeApplies ? 206 : 200;
            seen.add(new Seen(f.name(), range, status, port));
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            ex.getResponseHeaders().set("ETag", f.etag());
            if (rangeApplies) {
                ex.getResponseHeaders()
                        .set("Content-Range", "bytes " + from + "-" + (length - 1) + "/" + length);
            }
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(status, head ? -1 : length - from);
            if (head) {
                return;
            }
            long cutAt = f.cutAt() >= 0 && from == 0 && alreadyCut.add(f.name()) ? f.cutAt() : -1;
            send(ex.getResponseBody(), f, from, cutAt);
        }
    }

    /**
     * Writes the body from {@code from} at the file's pace; throws to drop the connection at cutAt.
     */
    private static void send(OutputStream out, Served f, long from, long cutAt) throws IOException {
        long start = System.nanoTime();
        long sent = 0;
        byte[] body = f.body();
        for (long pos = from; pos < body.length; ) {
            int n = (int) Math.min(CHUNK, body.length - pos);
            if (cutAt >= 0 && pos + n > cutAt) {
                out.write(body, (int) pos, (int) (cutAt - pos));
                out.flush();
                // Leaving the handler with the body short of its Content-Length makes the server
                // close the connection: the client sees it end early, as on a real network fault.
                throw new IOException("demo: connection cut at byte " + cutAt);
            }
            out.write(body, (int) pos, n);
            pos += n;
            sent += n;
            long dueNanos = (long) (sent * 1e9 / f.bytesPerSecond());
            long aheadNanos = dueNanos - (System.nanoTime() - start);
            if (aheadNanos > 1_000_000) {
                try {
                    Thread.sleep(aheadNanos / 1_000_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("demo server stopping", e);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
