package dev.haul.daemon;

/**
 * An API request refused: an HTTP status, a stable code (docs/api.md, "Errors") and a message
 * for people. Thrown by request handling, turned into the JSON error body by {@link Api}.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The HTTP status. */
    final int status;
    /** The stable error code. */
    final String code;

    ApiError(int status, String code, String message) {
        super(message, null, false, false); // an answer, not a bug: no stack trace to fill
        this.status = status;
        this.code = code;
    }

    static ApiError badJson(String message) {
        return new ApiError(400, "bad_json", message);
    }

    static ApiError unknownField(String message) {
        return new ApiError(400, "unknown_field", message);
    }

    static ApiError invalid(String message) {
        return new ApiError(400, "invalid_value", message);
    }

    static ApiError notFound(String message) {
        return new ApiError(404, "not_found", message);
    }
}
