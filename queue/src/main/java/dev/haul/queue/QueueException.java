package dev.haul.queue;

import java.util.Locale;
import java.util.Objects;

/**
 * A queue operation that could not be done, with a stable {@link Code}. Bad arguments are
 * {@link IllegalArgumentException}s instead, named by the setter that refused them.
 */
public final class QueueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why an operation failed; each maps to one HTTP status in the daemon. */
    public enum Code {
        /** No job has that id. */
        NOT_FOUND,
        /** The job's state does not allow the operation (pause a completed job, ...). */
        INVALID_STATE,
        /** The file name asked for is taken on disk or by another job. */
        FILE_EXISTS,
        /** Another process has the queue open (one daemon per queue). */
        LOCKED,
        /** The database or a file beside it failed, or was made by a newer Haul. */
        STORE,
        /** The queue is closed. */
        CLOSED;

        /**
         * The lower-case name used on the wire: {@code not_found}, ...
         *
         * @return the lower-case name
         */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The code; serializable as an enum. */
    private final Code code;

    /**
     * An exception with a code and a message.
     *
     * @param code why the operation failed
     * @param message what happened, for people
     */
    public QueueException(Code code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    /**
     * An exception with a code, a message and a cause.
     *
     * @param code why the operation failed
     * @param message what happened, for people
     * @param cause the underlying failure
     */
    public QueueException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /**
     * Why the operation failed.
     *
     * @return the code
     */
    public Code code() {
        return code;
    }

    static QueueException notFound(long id) {
        return new QueueException(Code.NOT_FOUND, "no job " + id);
    }
}
