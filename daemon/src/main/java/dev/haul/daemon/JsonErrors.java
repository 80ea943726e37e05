package dev.haul.daemon;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals, made before a request reaches {@link Api} (a malformed request line, an
 * ambiguous path such as {@code /a/../b}, headers over 8 KiB), as JSON errors with a stable code
 * like every other error, instead of Jetty's HTML page.
 */
final class JsonErrors extends ErrorHandler {

    static String code(int status) {
        return switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            case 415 -> "unsupported_media_type";
            case 431 -> "headers_too_large";
            default -> status >= 500 ? "internal" : "bad_request";
        };
    }

    static String message(int status, String reason) {
        return "refused before the API: HTTP " + status + (reason == null || reason.isBlank()
                ? "" : " (" + reason + ")");
    }

    @Override
    protected void generateResponse(Request request, Response response, int status,
            String reason, Throwable cause, Callback callback) {
        Api.error(response, callback, status, code(status), message(status, reason));
    }
}
