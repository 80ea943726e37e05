package dev.haul;

import java.net.URI;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The head of the response that served a download's body: status, headers and the final URI
 * after redirects. With it a caller can name a file from {@code Content-Disposition}, check the
 * {@code Content-Type}, or set the file's time from {@code Last-Modified}. Immutable.
 *
 * <pre>{@code
 * ResponseInfo r = result.response();
 * Optional<Instant> mtime = r.lastModified();
 * }</pre>
 */
public final class ResponseInfo {
    private final int statusCode;
    private final String protocol;
    private final URI uri;
    private final Map<String, List<String>> headers;

    ResponseInfo(int statusCode, String protocol, URI uri, Map<String, List<String>> headers) {
        this.statusCode = statusCode;
        this.protocol = protocol;
        this.uri = uri;
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.headers = Collections.unmodifiableMap(copy);
    }

    /**
     * The status: 200, or 206 for a resumed body (416 when the held bytes were already whole).
     *
     * @return the status: 200, 206 for a resumed body, 416 for one already whole
     */
    public int statusCode() {
        return statusCode;
    }

    /**
     * {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}.
     *
     * @return {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}
     */
    public String protocol() {
        return protocol;
    }

    /**
     * The URI that served the body, after redirects, without userinfo.
     *
     * @return the URI that served the body, after redirects, without userinfo
     */
    public URI uri() {
        return uri;
    }

    /**
     * Every header, names case-insensitive, values in arrival order.
     *
     * @return every header, names case-insensitive, values in arrival order
     */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /**
     * The first value of header {@code name}.
     *
     * @param name the header name, in any case
     * @return the first value of header {@code name}
     */
    public Optional<String> header(String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    /**
     * The Content-Length of this response (not of the whole body when resumed), when valid.
     *
     * @return the Content-Length of this response (not of the whole body when resumed), when valid
     */
    public OptionalLong contentLength() {
        Optional<String> v = header("Content-Length");
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(v.get().trim());
            return n < 0 ? OptionalLong.empty() : OptionalLong.of(n);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * The Content-Type.
     *
     * @return the Content-Type
     */
    public Optional<String> contentType() {
        return header("Content-Type");
    }

    /**
     * The Content-Disposition, raw.
     *
     * @return the Content-Disposition, raw
     */
    public Optional<String> contentDisposition() {
        return header("Content-Disposition");
    }

    /**
     * The ETag, raw (weak ones included).
     *
     * @return the ETag, raw (weak ones included)
     */
    public Optional<String> etag() {
        return header("ETag");
    }

    /**
     * The Last-Modified time, when present and an HTTP date.
     *
     * @return the Last-Modified time, when present and an HTTP date
     */
    public Optional<Instant> lastModified() {
        return header("Last-Modified").flatMap(ResponseInfo::httpDate);
    }

    static Optional<Instant> httpDate(String value) {
        try {
            return Optional.of(ZonedDateTime.parse(value.trim(),
                    DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResponseInfo r && r.statusCode == statusCode
                && r.protocol.equals(protocol) && r.uri.equals(uri) && r.headers.equals(headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(statusCode, protocol, uri, headers);
    }

    @Override
    public String toString() {
        return "ResponseInfo{" + protocol + " " + statusCode + " "
                + dev.haul.internal.Redaction.redact(uri) + "}";
    }
}
