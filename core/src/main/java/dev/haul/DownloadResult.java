package dev.haul;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * What a successful download produced. Immutable.
 *
 * <pre>{@code
 * DownloadResult<Path> r = download.result().join();
 * System.out.println(r.size() + " bytes in " + r.body() + ", " + r.attempts() + " attempt(s)");
 * }</pre>
 *
 * @param <T> the type of the body, set by the {@link Destination}
 */
public final class DownloadResult<T> {
    private final T body;
    private final URI uri;
    private final ResponseInfo response;
    private final long size;
    private final String sha256;
    private final int attempts;
    private final long resumedFrom;
    private final Duration elapsed;

    DownloadResult(T body, URI uri, ResponseInfo response, long size, String sha256, int attempts,
                   long resumedFrom, Duration elapsed) {
        this.body = body;
        this.uri = uri;
        this.response = response;
        this.size = size;
        this.sha256 = sha256;
        this.attempts = attempts;
        this.resumedFrom = resumedFrom;
        this.elapsed = elapsed;
    }

    /**
     * The body: the bytes for {@link Destination#memory()} (the caller's to keep), the file for
     * {@link Destination#file}, and null for {@link Destination#stream} — the only case of null.
     *
     * @return the body: bytes, a file, or null for a stream destination
     */
    public T body() {
        return body;
    }

    /**
     * The requested URI, as given (userinfo included).
     *
     * @return the requested URI, as given (userinfo included)
     */
    public URI uri() {
        return uri;
    }

    /**
     * The head of the response that completed the body.
     *
     * @return the head of the response that completed the body
     */
    public ResponseInfo response() {
        return response;
    }

    /**
     * The status of the final response: 200, or 206 when the body came in ranges (a resume, or a
     * download over several connections, whose first request asks {@code bytes=0-}); 304 when
     * {@link #notModified()}.
     *
     * @return the status of the final response
     */
    public int statusCode() {
        return response.statusCode();
    }

    /**
     * The URI that served the body, after redirects, without userinfo.
     *
     * @return the URI that served the body, after redirects, without userinfo
     */
    public URI finalUri() {
        return response.uri();
    }

    /**
     * The size of the complete body in bytes.
     *
     * @return the size of the complete body in bytes
     */
    public long size() {
        return size;
    }

    /**
     * Whether the server answered a conditional request with {@code 304 Not Modified}: nothing
     * was downloaded, and a file destination was left as it was.
     *
     * @return whether the server answered 304 Not Modified
     */
    public boolean notModified() {
        return response.statusCode() == 304;
    }

    /**
     * The SHA-256 of the body as lower-case hex, when one was expected (and so computed).
     *
     * @return the SHA-256 of the body as lower-case hex, when one was expected (and so computed)
     */
    public Optional<String> sha256() {
        return Optional.ofNullable(sha256);
    }

    /**
     * How many attempts it took: 1 without retries.
     *
     * @return how many attempts it took: 1 without retries
     */
    public int attempts() {
        return attempts;
    }

    /**
     * The offset the last attempt resumed from; 0 when it started at the beginning.
     *
     * @return the offset the last attempt resumed from; 0 when it started at the beginning
     */
    public long resumedFrom() {
        return resumedFrom;
    }

    /**
     * Wall time from start (queueing included) to completion, on the manager's clock.
     *
     * @return wall time from start (queueing included) to completion, on the manager's clock
     */
    public Duration elapsed() {
        return elapsed;
    }

    @Override
    public String toString() {
        return "DownloadResult{" + response + ", " + size + " bytes, " + attempts + " attempt(s)"
                + (resumedFrom > 0 ? ", resumed from " + resumedFrom : "") + "}";
    }
}
