package dev.haul;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A well-behaved loopback HTTP/1.1 server (the JDK's HttpServer) for the contract tests: serves
 * bodies with or without Content-Length, records request headers and counts TCP connections by
 * their client ports.
 */
final class TestServer implements AutoCloseable {
    final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-server");
        t.setDaemon(true);
        return t;
    });
    final List<Map<String, List<String>>> requests = new CopyOnWriteArrayList<>();
    final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();

    TestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int connections() {
        return clientPorts.size();
    }

    /** Serves {@code body} at {@code path}; chunked (no Content-Length) when {@code chunked}. */
    TestServer serve(String path, byte[] body, boolean chunked) {
        return handle(path, ex -> {
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, chunked ? 0 : (body.length == 0 ? -1 : body.length));
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
    }

    /** Serves {@code body} with a Content-Length, {@code piece} bytes at a time, {@code delayMs} apart. */
    TestServer serveSlowly(String path, byte[] body, int piece, long delayMs) {
        return handle(path, ex -> {
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                for (int at = 0; at < body.length; at += piece) {
                    out.write(body, at, Math.min(piece, body.length - at));
                    out.flush();
                    try {
                        Thread.sleep(delayMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        });
    }

    /**
     * Serves {@code body} with a strong ETag, honouring {@code Range: bytes=N-} and
     * {@code If-Range} like a static file server.
     */
    TestServer serveRanges(String path, byte[] body, String etag) {
        return handle(path, ex -> {
            String range = ex.getRequestHeaders().getFirst("Range");
            String ifRange = ex.getRequestHeaders().getFirst("If-Range");
            ex.getResponseHeaders().set("ETag", etag);
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            int from = 0;
            if (range != null && range.startsWith("bytes=") && range.endsWith("-")
                    && (ifRange == null || ifRange.equals(etag))) {
                from = Integer.parseInt(range.substring(6, range.length() - 1));
            }
            if (from > 0) {
                if (from >= body.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            }
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body, from, body.length - from);
            }
        });
    }

    TestServer status(String path, int status) {
        return handle(path, ex -> {
            byte[] msg = ("error " + status).getBytes();
            ex.sendResponseHeaders(status, msg.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(msg);
            }
        });
    }

    TestServer handle(String path, HttpHandler handler) {
        server.createContext(path, ex -> {
            record(ex);
            try {
                handler.handle(ex);
            } finally {
                ex.close();
            }
        });
        return this;
    }

    private void record(HttpExchange ex) {
        requests.add(Map.copyOf(ex.getRequestHeaders()));
        clientPorts.add(ex.getRemoteAddress().getPort());
    }

    String lastHeader(String name) {
        Map<String, List<String>> last = requests.get(requests.size() - 1);
        for (Map.Entry<String, List<String>> e : last.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
