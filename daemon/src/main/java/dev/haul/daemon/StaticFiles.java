package dev.haul.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The web page: files from the class path folder {@code dev/haul/daemon/web/}, served at
 * {@code /} ({@code /} itself is {@code index.html}). Only plain names are looked up (letters,
 * digits, {@code . _ -} and {@code /} between them, no {@code ..}), so a path can never reach
 * another resource. No token is needed: the files hold none.
 */
final class StaticFiles {
    static final String ROOT = "dev/haul/daemon/web/";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*"
            + "(/[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*)*\\.[A-Za-z0-9]+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "txt", "text/plain; charset=utf-8",
            "woff2", "font/woff2");

    private StaticFiles() {
    }

    static void serve(Request request, Response response, Callback callback, String path)
            throws IOException {
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            throw new ApiError(405, "method_not_allowed", method + " is not allowed on " + path);
        }
        String name = path.equals("/") ? "index.html" : path.substring(1);
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
        if (!SAFE.matcher(name).matches() || type == null) {
            throw ApiError.notFound("no such file: " + path);
        }
        byte[] bytes;
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(ROOT
                + name)) {
            if (in == null) {
                throw ApiError.notFound("no such file: " + path);
            }
            bytes = in.readAllBytes();
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        Content.Sink.write(response, true, method.equals("HEAD") ? ByteBuffer.allocate(0)
                : ByteBuffer.wrap(bytes));
        callback.succeeded();
    }
}
