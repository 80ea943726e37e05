package dev.haul.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JDK HttpServer on 127.0.0.1 for the CLI tests: routes by exact path, records every request
 * (path, query, Range, remote port — one port per TCP connection) and serves byte ranges.
 */
final class LoopbackServer implements AutoCloseable {

    /** What a route does with an exchange. */
    @FunctionalInterface
    interface Route {
        void handle(HttpExchange exchange, int hit) throws IOException;
    }

    record Request(String path, String rawQuery, String range, String ifRange, Map<String, List<String>> headers,
                   int remotePort) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    LoopbackServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
        server.start();
    }

    String url(String pathAndQuery) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery;
    }

    LoopbackServer route(String path, Route route) {
        routes.put(path, route);
        return this;
    }

    /** Serves {@code body} at {@code path}, honouring {@code Range: bytes=N-}. */
    LoopbackServer file(String path, byte[] body) {
        return route(path, (ex, hit) -> serve(ex, body, -1));
    }

    /** Serves {@code body}, but the first request without Range loses its connection after {@code cutAt} bytes. */
    LoopbackServer fileCutOnce(String path, byte[] body, int cutAt) {
        return route(path, (ex, hit) -> serve(ex, body, hit == 1 ? cutAt : -1));
    }

    long connections() {
        return requests.stream().mapToInt(Request::remotePort).distinct().count();
    }

    List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    private void dispatch(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            requests.add(new Request(path, ex.getRequestURI().getRawQuery(),
                    ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("If-Range"),
                    Map.copyOf(ex.getRequestHeaders()), ex.getRemoteAddress().getPort()));
            Route route = routes.get(path);
            if (route == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            route.handle(ex, hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet());
        }
    }

    static void serve(HttpExchange ex, byte[] body, int cutAt) throws IOException {
        String etag = "\"v1-" + body.length + "\"";
        String range = ex.getRequestHeaders().getFirst("Range");
        String ifRange = ex.getRequestHeaders().getFirst("If-Range");
        int from = 0;
        if (range != null && range.matches("bytes=\\d+-") && (ifRange == null || ifRange.equals(etag))) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= body.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        ex.getResponseHeaders().set("ETag", etag);
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length - from == 0 ? -1 : body.length - from);
        if (cutAt >= 0) {
            ex.getResponseBody().write(body, from, cutAt - from);
            ex.getResponseBody().flush();
            throw new IOException("test: cutting the connection at " + cutAt);
        }
        ex.getResponseBody().write(body, from, body.length - from);
    }

    static byte[] body(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
