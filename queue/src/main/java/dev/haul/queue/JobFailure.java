package dev.haul.queue;

import java.util.Objects;

/**
 * Why a job failed: a stable code that scripts can match, and a message for people.
 *
 * <p>Codes are the engine's {@link dev.haul.DownloadException.Reason} in lower case
 * ({@code http_status}, {@code network}, {@code integrity}, ...), or one of the queue's own:
 * {@link #FILE_EXISTS}, {@link #CREDENTIALS_MISSING}, {@link #INTERNAL}. Messages never contain
 * credentials.
 */
public final class JobFailure {
    /** The destination file appeared before the job first started; the queue never replaces it. */
    public static final String FILE_EXISTS = "file_exists";
    /** The request's credentials were kept in memory only, and the daemon restarted. */
    public static final String CREDENTIALS_MISSING = "credentials_missing";
    /** An unexpected failure inside Haul (a bug). */
    public static final String INTERNAL = "internal";

    private final String code;
    private final String message;

    /**
     * A failure with this code and message.
     *
     * @param code a stable, lower-case code
     * @param message what happened, for people
     */
    public JobFailure(String code, String message) {
        this.code = Objects.requireNonNull(code, "code");
        this.message = Objects.requireNonNull(message, "message");
    }

    /**
     * The stable code, such as {@code http_status}.
     *
     * @return the stable code
     */
    public String code() {
        return code;
    }

    /**
     * What happened, for people.
     *
     * @return what happened
     */
    public String message() {
        return message;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobFailure f && f.code.equals(code) && f.message.equals(message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(code, message);
    }

    @Override
    public String toString() {
        return code + ": " + message;
    }
}
