package dev.haul;

import java.io.IOException;
import java.util.Objects;

/**
 * Why a download failed. The {@link #reason()} says what happened and whether trying again could
 * help; an HTTP failure also carries its {@link #statusCode()}.
 *
 * <p>A cancelled download is not a failure: its future is cancelled and throws
 * {@link java.util.concurrent.CancellationException}, whoever cancelled it (see {@link Download}).
 *
 * <p>Messages never contain URL userinfo or query strings.
 */
public final class DownloadException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, and whether a retry could help. */
    public enum Reason {
        /** The connection could not be made (refused, unreachable, connect timeout). */
        CONNECT(true),
        /** The connection broke: reset, closed early, body shorter than its declared length. */
        NETWORK(true),
        /** No response headers within the response timeout. */
        TIMEOUT(true),
        /** The body stopped flowing for longer than the stall timeout. */
        STALLED(true),
        /** The server answered 408, 429, 500, 502, 503 or 504: worth another try later. */
        HTTP_TRANSIENT(true),
        /** The server answered with an error status that retrying will not change (404, 403…). */
        HTTP_STATUS(false),
        /**
         * The server broke the protocol: a bad Content-Range, a bad length, an unexpected status.
         */
        PROTOCOL(false),
        /**
         * The download could not continue from the bytes already delivered: a stream-mode resume
         * answered with the whole body, or a resume that the server refused.
         */
        CANNOT_RESUME(false),
        /** TLS failed: an untrusted certificate, a wrong host name, a failed handshake. */
        TLS(false),
        /** The body did not match the expected size or SHA-256 digest. */
        INTEGRITY(false),
        /** The body is larger than the memory cap. */
        TOO_LARGE(false),
        /** A local file operation failed: missing directory, disk full, failed rename. */
        LOCAL_IO(false),
        /** Another download is writing to the same destination. */
        DESTINATION_BUSY(false),
        /** A policy refused the request: a non-HTTP scheme, HTTPS to HTTP, too many redirects. */
        POLICY(false),
        /** A proxy refused the route or failed: a CONNECT answered with an error, a SOCKS error. */
        PROXY(false),
        /**
         * The caller's code threw: a chunk callback, a progress callback or a listener. The cause
         * is what it threw.
         */
        CALLBACK_FAILED(false),
        /** The overall deadline of the request passed. */
        DEADLINE(false);

        private final boolean retryable;

        Reason(boolean retryable) {
            this.retryable = retryable;
        }

        /**
         * Whether another attempt at the same request could succeed.
         *
         * @return whether another attempt at the same request could succeed
         */
        public boolean retryable() {
            return retryable;
        }
    }

    /** What kind of failure this is. */
    private final Reason reason;
    /** The HTTP status of the failing response, or -1. */
    private final int statusCode;
    /** The redacted URL of the download; may be null. */
    private final String url;

    /**
     * A failure without an HTTP status or a cause.
     *
     * @param reason what kind of failure this is
     * @param url the URL of the download, already redacted; may be null
     * @param message what went wrong
     */
    public DownloadException(Reason reason, String url, String message) {
        this(reason, url, -1, message, null);
    }

    /**
     * A failure without an HTTP status.
     *
     * @param reason what kind of failure this is
     * @param url the URL of the download, already redacted; may be null
     * @param message what went wrong
     * @param cause the underlying failure; may be null
     */
    public DownloadException(Reason reason, String url, String message, Throwable cause) {
        this(reason, url, -1, message, cause);
    }

    /**
     * A failure.
     *
     * @param url        the URL, already redacted
     * @param statusCode the HTTP status, or -1
     * @param cause      what caused it, or null
     * @param reason what kind of failure this is
     * @param message what went wrong
     */
    public DownloadException(Reason reason, String url, int statusCode, String message,
            Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.url = url;
        this.statusCode = statusCode;
    }

    /**
     * What went wrong.
     *
     * @return what went wrong
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The HTTP status of the failing response, or -1 when the failure was not an HTTP status.
     *
     * @return the HTTP status of the failing response, or -1 when there was none
     */
    public int statusCode() {
        return statusCode;
    }

    /**
     * The URL of the download, with userinfo and query string redacted; may be null.
     *
     * @return the URL of the download, with userinfo and query string redacted; may be null
     */
    public String url() {
        return url;
    }

    /**
     * Whether another attempt could succeed.
     *
     * @return whether another attempt could succeed
     */
    public boolean retryable() {
        return reason.retryable();
    }

    /**
     * Returns the reason, the status code if any and the message, so that a logged stack trace
     * starts with what went wrong. {@link #getMessage()} stays the bare message.
     */
    @Override
    @SuppressWarnings("OverrideThrowableToString") // public behaviour: logs rely on this format
    public String toString() {
        return "DownloadException[" + reason + (statusCode > 0 ? " " + statusCode : "") + "]: "
                + getMessage();
    }
}
