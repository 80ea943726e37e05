package dev.haul;

import dev.haul.internal.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What to download, described once: the URL, its headers, what the body must be and how hard to
 * try. Where the bytes go is the {@link Destination} given with it to
 * {@link DownloadManager#download(DownloadRequest, Destination)}. Immutable and safe to share;
 * {@link #newBuilder()} derives a changed copy.
 *
 * <pre>{@code
 * DownloadRequest request = DownloadRequest.builder("https://example.com/app.mpk")
 *         .expectedSha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
 *         .build();
 * Download<Path> download = manager.download(request, Destination.file(Path.of("app.mpk")));
 * }</pre>
 */
public final class DownloadRequest {

    /** The seed's memory cap is the device; ours is this, unless the caller says otherwise. */
    public static final long DEFAULT_MAX_MEMORY_BYTES = 256L * 1024 * 1024;
    /** Chrome follows 21 redirects; Firefox, curl and wget follow 20. */
    public static final int DEFAULT_MAX_REDIRECTS = 20;
    /** Headers that describe the connection or the message, which the transport writes itself. */
    private static final java.util.Set<String> RESTRICTED_HEADERS = java.util.Set.of("connection",
            "content-length", "expect", "host", "upgrade", "transfer-encoding", "te", "keep-alive",
            "proxy-connection", "trailer");

    private final URI uri;
    private final Map<String, String> headers;
    private final long totalSizeHint;
    private final long expectedSize;
    private final String expectedSha256;
    private final RetryPolicy retryPolicy;
    private final Duration stallTimeout;
    private final Duration responseTimeout;
    private final Duration deadline;
    private final long maxMemoryBytes;
    private final DownloadListener listener;
    private final ProgressCallback progressCallback;
    private final int maxRedirects;
    private final boolean keepCredentialsOnRedirect;
    private final boolean continueExisting;
    private final long maxBytesPerSecond;
    private final String ifNoneMatch;
    private final java.time.Instant ifModifiedSince;
    private final boolean remoteTime;
    private final Connections connections;
    private final long splitThreshold;
    private final List<Mirror> mirrors;
    private final UrlRefresher urlRefresher;

    private DownloadRequest(Builder b) {
        this.uri = b.uri;
        this.headers = Collections.unmodifiableMap(new TreeMap<>(b.headers));
        this.totalSizeHint = b.totalSizeHint;
        this.expectedSize = b.expectedSize;
        this.expectedSha256 = b.expectedSha256;
        this.retryPolicy = b.retryPolicy;
        this.stallTimeout = b.stallTimeout;
        this.responseTimeout = b.responseTimeout;
        this.deadline = b.deadline;
        this.maxMemoryBytes = b.maxMemoryBytes;
        this.listener = b.listener;
        this.progressCallback = b.progressCallback;
        this.maxRedirects = b.maxRedirects;
        this.keepCredentialsOnRedirect = b.keepCredentialsOnRedirect;
        this.continueExisting = b.continueExisting;
        this.maxBytesPerSecond = b.maxBytesPerSecond;
        this.ifNoneMatch = b.ifNoneMatch;
        this.ifModifiedSince = b.ifModifiedSince;
        this.remoteTime = b.remoteTime;
        this.connections = b.connections;
        this.splitThreshold = b.splitThreshold;
        this.mirrors = List.copyOf(b.mirrors);
        this.urlRefresher = b.urlRefresher;
    }

    /**
     * A builder for a GET of {@code url}; throws {@link IllegalArgumentException} if it is not
     * http(s).
     *
     * @param url the URL: http or https with a host
     * @return this builder
     */
    public static Builder builder(String url) {
        Objects.requireNonNull(url, "url");
        try {
            return builder(new URI(url.trim()));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: " + e.getMessage(), e);
        }
    }

    /**
     * A builder for a GET of {@code uri}; throws {@link IllegalArgumentException} if it is not
     * http(s).
     *
     * @param uri the URL: http or https with a host
     * @return this builder
     */
    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    /**
     * A builder that starts from this request.
     *
     * @return this builder
     */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /**
     * The URL to download.
     *
     * @return the URL to download
     */
    public URI uri() {
        return uri;
    }

    /**
     * The caller's headers, names in a case-insensitive order.
     *
     * @return the caller's headers, names in a case-insensitive order
     */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * A size for progress only, or -1.
     *
     * @return a size for progress only, or -1
     */
    public long totalSizeHint() {
        return totalSizeHint;
    }

    /**
     * The size the body must have, or -1.
     *
     * @return the size the body must have, or -1
     */
    public long expectedSize() {
        return expectedSize;
    }

    /**
     * The SHA-256 the body must have, as lower-case hex, or null.
     *
     * @return the SHA-256 the body must have, as lower-case hex, or null
     */
    public String expectedSha256() {
        return expectedSha256;
    }

    /**
     * The retry policy, or null for the manager's default.
     *
     * @return the retry policy, or null for the manager's default
     */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /**
     * The longest time without body bytes before an attempt is abandoned, or null for the default.
     *
     * @return the stall timeout, or null for the default
     */
    public Duration stallTimeout() {
        return stallTimeout;
    }

    /**
     * The longest wait for response headers, or null for the default.
     *
     * @return the longest wait for response headers, or null for the default
     */
    public Duration responseTimeout() {
        return responseTimeout;
    }

    /**
     * The time the whole download may take, retries included, or null for no limit.
     *
     * @return the time the whole download may take, retries included, or null for no limit
     */
    public Duration deadline() {
        return deadline;
    }

    /**
     * The largest body a memory download accepts.
     *
     * @return the largest body a memory download accepts
     */
    public long maxMemoryBytes() {
        return maxMemoryBytes;
    }

    /**
     * This request's listener, or null.
     *
     * @return this request's listener, or null
     */
    public DownloadListener listener() {
        return listener;
    }

    /**
     * The seed's percent callback, or null.
     *
     * @return the seed's percent callback, or null
     */
    public ProgressCallback progressCallback() {
        return progressCallback;
    }

    /**
     * The most redirects followed.
     *
     * @return the most redirects followed
     */
    public int maxRedirects() {
        return maxRedirects;
    }

    /**
     * Whether credentials follow redirects to another origin.
     *
     * @return whether credentials follow redirects to another origin
     */
    public boolean keepCredentialsOnRedirect() {
        return keepCredentialsOnRedirect;
    }

    /**
     * Whether an existing file at the destination is continued, as {@code wget -c}.
     *
     * @return whether an existing file at the destination is continued, as {@code wget -c}
     */
    public boolean continueExisting() {
        return continueExisting;
    }

    /**
     * This download's bandwidth limit in bytes per second; 0 for none.
     *
     * @return the limit; 0 for none
     */
    public long maxBytesPerSecond() {
        return maxBytesPerSecond;
    }

    /**
     * The ETag of the copy the caller has (sent as If-None-Match), or null.
     *
     * @return the ETag, or null
     */
    public String ifNoneMatch() {
        return ifNoneMatch;
    }

    /**
     * The time of the copy the caller has (sent as If-Modified-Since), or null.
     *
     * @return the time, or null
     */
    public java.time.Instant ifModifiedSince() {
        return ifModifiedSince;
    }

    /**
     * Whether a file's modification time is set from the response's Last-Modified.
     *
     * @return whether the file's time follows Last-Modified
     */
    public boolean remoteTime() {
        return remoteTime;
    }

    /**
     * The connections this download may use.
     *
     * @return the connections, or null for the manager's default
     */
    public Connections connections() {
        return connections;
    }

    /**
     * The smallest body split over several connections.
     *
     * @return the threshold in bytes, or -1 for the manager's default
     */
    public long splitThreshold() {
        return splitThreshold;
    }

    /**
     * Other URLs of the same file, in the order given.
     *
     * @return the mirrors; empty when there are none
     */
    public List<Mirror> mirrors() {
        return mirrors;
    }

    /**
     * The hook that gives a fresh URL when the URL expires.
     *
     * @return the hook, or null
     */
    public UrlRefresher urlRefresher() {
        return urlRefresher;
    }

    @Override
    public String toString() {
        return "DownloadRequest{" + Redaction.redact(uri) + "}";
    }

    /** Builds a {@link DownloadRequest}. Setters validate at once and name the bad value. */
    public static final class Builder {
        private URI uri;
        private final TreeMap<String, String> headers =
                new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        private long totalSizeHint = -1;
        private long expectedSize = -1;
        private String expectedSha256;
        private RetryPolicy retryPolicy;
        private Duration stallTimeout;
        private Duration responseTimeout;
        private Duration deadline;
        private long maxMemoryBytes = DEFAULT_MAX_MEMORY_BYTES;
        private DownloadListener listener;
        private ProgressCallback progressCallback;
        private int maxRedirects = DEFAULT_MAX_REDIRECTS;
        private boolean keepCredentialsOnRedirect;
        private boolean continueExisting;
        private long maxBytesPerSecond;
        private String ifNoneMatch;
        private java.time.Instant ifModifiedSince;
        private boolean remoteTime;
        private Connections connections;
        private long splitThreshold = -1;
        private final List<Mirror> mirrors = new ArrayList<>();
        private UrlRefresher urlRefresher;

        private Builder(URI uri) {
            uri(uri);
        }

        private Builder(DownloadRequest r) {
            this.uri = r.uri;
            this.headers.putAll(r.headers);
            this.totalSizeHint = r.totalSizeHint;
            this.expectedSize = r.expectedSize;
            this.expectedSha256 = r.expectedSha256;
            this.retryPolicy = r.retryPolicy;
            this.stallTimeout = r.stallTimeout;
            this.responseTimeout = r.responseTimeout;
            this.deadline = r.deadline;
            this.maxMemoryBytes = r.maxMemoryBytes;
            this.listener = r.listener;
            this.progressCallback = r.progressCallback;
            this.maxRedirects = r.maxRedirects;
            this.keepCredentialsOnRedirect = r.keepCredentialsOnRedirect;
            this.continueExisting = r.continueExisting;
            this.maxBytesPerSecond = r.maxBytesPerSecond;
            this.ifNoneMatch = r.ifNoneMatch;
            this.ifModifiedSince = r.ifModifiedSince;
            this.remoteTime = r.remoteTime;
            this.connections = r.connections;
            this.splitThreshold = r.splitThreshold;
            this.mirrors.addAll(r.mirrors);
            this.urlRefresher = r.urlRefresher;
        }

        /**
         * The URL: http or https with a host.
         *
         * @param uri the URL: http or https with a host
         * @return this builder
         */
        public Builder uri(URI uri) {
            Objects.requireNonNull(uri, "uri");
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("only http and https URLs can be downloaded: "
                        + Redaction.redact(uri));
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new IllegalArgumentException("URL has no host: " + Redaction.redact(uri));
            }
            this.uri = uri;
            return this;
        }

        /**
         * Sets a header, replacing one of the same name (names are case-insensitive).
         *
         * @param name the header name
         * @param value the header value
         * @return this builder
         */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (name.isBlank() || name.chars().anyMatch(c -> c <= ' ' || c == ':' || c >= 127)) {
                throw new IllegalArgumentException("invalid header name: '" + name + "'");
            }
            if (RESTRICTED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header " + name
                        + " is managed by the HTTP client and cannot be set");
            }
            if (value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                throw new IllegalArgumentException("invalid value for header " + name);
            }
            headers.put(name, value);
            return this;
        }

        /**
         * Sets every header of {@code map}; null means none.
         *
         * @param map every header of {@code map}; null means none
         * @return this builder
         */
        public Builder headers(Map<String, String> map) {
            if (map != null) {
                map.forEach(this::header);
            }
            return this;
        }

        /**
         * A size used for progress only (the seed's {@code total_size}); -1 for none.
         *
         * @param bytes a size for progress only (the seed's {@code total_size}); -1 for none
         * @return this builder
         */
        public Builder totalSizeHint(long bytes) {
            if (bytes < -1) {
                throw new IllegalArgumentException("totalSizeHint < 0: " + bytes);
            }
            this.totalSizeHint = bytes;
            return this;
        }

        /**
         * The size the body must have; a different size fails with INTEGRITY. -1 for no check.
         *
         * @param bytes the size the body must have; a different size fails with INTEGRITY
         * @return this builder
         */
        public Builder expectedSize(long bytes) {
            if (bytes < -1) {
                throw new IllegalArgumentException("expectedSize < 0: " + bytes);
            }
            this.expectedSize = bytes;
            return this;
        }

        /**
         * The SHA-256 the body must have, as 64 hex digits; null for no check.
         *
         * @param hex the SHA-256 the body must have, as 64 hex digits; null for no check
         * @return this builder
         */
        public Builder expectedSha256(String hex) {
            if (hex != null) {
                String h = hex.trim().toLowerCase(Locale.ROOT);
                if (!h.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException("not a SHA-256 hex digest: '" + hex + "'");
                }
                hex = h;
            }
            this.expectedSha256 = hex;
            return this;
        }

        /**
         * The retry policy; null for the manager's.
         *
         * @param policy the retry policy; null for the manager's
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = policy;
            return this;
        }

        /**
         * No body bytes for this long abandons the attempt, which then resumes. Default 10 s.
         *
         * @param timeout no body bytes for this long abandons the attempt, which then resumes
         * @return this builder
         */
        public Builder stallTimeout(Duration timeout) {
            this.stallTimeout = positive(timeout, "stallTimeout");
            return this;
        }

        /**
         * The longest wait for the response headers of one attempt. Default 30 s.
         *
         * @param timeout the longest wait for the response headers of one attempt
         * @return this builder
         */
        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = positive(timeout, "responseTimeout");
            return this;
        }

        /**
         * The time the whole download may take, retries included; null for no limit.
         *
         * @param deadline the time the whole download may take, retries included; null for no limit
         * @return this builder
         */
        public Builder deadline(Duration deadline) {
            this.deadline = positive(deadline, "deadline");
            return this;
        }

        /**
         * The largest body a memory download accepts. Default 256 MiB.
         *
         * @param bytes the largest body a memory download accepts
         * @return this builder
         */
        public Builder maxMemoryBytes(long bytes) {
            if (bytes < 0 || bytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("maxMemoryBytes out of range: " + bytes);
            }
            this.maxMemoryBytes = bytes;
            return this;
        }

        /**
         * Receives this download's events, before the manager's listener; null for none.
         *
         * @param listener receives this download's events; null for none
         * @return this builder
         */
        public Builder listener(DownloadListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * The seed's percent callback; null for none.
         *
         * @param callback the seed's percent callback; null for none
         * @return this builder
         */
        public Builder progressCallback(ProgressCallback callback) {
            this.progressCallback = callback;
            return this;
        }

        /**
         * At most this many redirects are followed (default 20); 0 follows none.
         *
         * @param n at most this many redirects are followed (default 20); 0 follows none
         * @return this builder
         */
        public Builder maxRedirects(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxRedirects < 0: " + n);
            }
            this.maxRedirects = n;
            return this;
        }

        /**
         * Keeps the caller's headers and URL userinfo on redirects to another scheme, host or port
         * (curl's {@code --location-trusted}). Off by default: another origin then receives only
         * User-Agent, Accept, Accept-Language, Accept-Encoding, Cache-Control and Pragma, never
         * Authorization, Cookie, Proxy-Authorization or a custom header such as an API key.
         *
         * @param keep whether credentials follow redirects to another origin
         * @return this builder
         */
        public Builder keepCredentialsOnRedirect(boolean keep) {
            this.keepCredentialsOnRedirect = keep;
            return this;
        }

        /**
         * Treats an existing file at the file destination as the first part of the body and asks
         * only for the rest, as {@code wget -c}. The server must prove the rest belongs to the same
         * representation by answering 206 with a matching Content-Range; a 200 starts over. The
         * existing file stays untouched until the whole body is in place.
         *
         * @param continueExisting whether an existing file at the destination is continued
         * @return this builder
         */
        public Builder continueExisting(boolean continueExisting) {
            this.continueExisting = continueExisting;
            return this;
        }

        /**
         * This download's bandwidth limit in bytes per second (0, the default, for none); it can
         * change while the download runs ({@link Download#setMaxBytesPerSecond}). The manager's
         * shared limit applies too: the lower wins. Time spent waiting for the limit is never a
         * stall.
         *
         * @param bytesPerSecond the limit; 0 for none
         * @return this builder
         */
        public Builder maxBytesPerSecond(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("maxBytesPerSecond < 0: " + bytesPerSecond);
            }
            this.maxBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * Downloads only if the representation is no longer the one with this ETag (sent as
         * {@code If-None-Match}). A {@code 304 Not Modified} then succeeds without touching the
         * destination: {@link DownloadResult#notModified()} is true, a file destination's body is
         * its existing path. A changed representation replaces the file atomically, as usual.
         * Not sent while continuing a {@code .part} (which proves a change already). Null for none.
         *
         * @param etag the ETag of the copy the caller has, or null
         * @return this builder
         */
        public Builder ifNoneMatch(String etag) {
            if (etag != null && etag.chars().anyMatch(c -> c < ' ' || c == 127)) {
                throw new IllegalArgumentException("invalid ETag for If-None-Match");
            }
            this.ifNoneMatch = etag;
            return this;
        }

        /**
         * Downloads only if the representation changed since {@code time} (sent as
         * {@code If-Modified-Since}, an HTTP date with whole seconds); see
         * {@link #ifNoneMatch(String)} for what a 304 does. Null for none.
         *
         * @param time the time of the copy the caller has, or null
         * @return this builder
         */
        public Builder ifModifiedSince(java.time.Instant time) {
            this.ifModifiedSince = time;
            return this;
        }

        /**
         * Sets a downloaded file's modification time from the response's {@code Last-Modified},
         * as wget does by default and curl with {@code -R}. Default false.
         *
         * @param remoteTime whether to set the file's time
         * @return this builder
         */
        public Builder remoteTime(boolean remoteTime) {
            this.remoteTime = remoteTime;
            return this;
        }

        /**
         * The connections this download may use (see {@link Connections}); null for the manager's
         * default.
         *
         * @param connections single, fixed or adaptive
         * @return this builder
         */
        public Builder connections(Connections connections) {
            this.connections = connections;
            return this;
        }

        /**
         * The smallest body split over several connections: smaller ones always use one, because
         * a second connection costs a round trip that a small body does not repay. -1 for the
         * manager's default.
         *
         * @param bytes the threshold, or -1
         * @return this builder
         */
        public Builder splitThreshold(long bytes) {
            if (bytes < -1) {
                throw new IllegalArgumentException("splitThreshold < 0: " + bytes);
            }
            this.splitThreshold = bytes;
            return this;
        }

        /**
         * Adds a mirror: another URL of the same file, used for failover and, when proven to serve
         * the same bytes, alongside the request's URL (see {@link Mirror}). The request's
         * credentials are not sent to it when it is of another origin.
         *
         * @param url the mirror's URL, http or https
         * @return this builder
         * @throws IllegalArgumentException if it is not an http(s) URL with a host
         */
        public Builder mirror(String url) {
            return mirror(Mirror.of(url));
        }

        /**
         * Adds a mirror (see {@link Mirror}); duplicates of the request's URL or of an earlier
         * mirror are ignored.
         *
         * @param mirror the mirror
         * @return this builder
         */
        public Builder mirror(Mirror mirror) {
            Objects.requireNonNull(mirror, "mirror");
            if (!mirror.uri().equals(uri) && mirrors.stream()
                    .noneMatch(m -> m.uri().equals(mirror.uri()))) {
                mirrors.add(mirror);
            }
            return this;
        }

        /**
         * Removes every mirror added so far.
         *
         * @return this builder
         */
        public Builder clearMirrors() {
            mirrors.clear();
            return this;
        }

        /**
         * The hook that gives a fresh URL when the request's URL expires (401, 403 or 410); see
         * {@link UrlRefresher}. Null for none, the default.
         *
         * @param refresher the hook, or null
         * @return this builder
         */
        public Builder urlRefresher(UrlRefresher refresher) {
            this.urlRefresher = refresher;
            return this;
        }

        /**
         * The request; the builder can go on to build others.
         *
         * @return the request; the builder can go on to build others
         */
        public DownloadRequest build() {
            return new DownloadRequest(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw new IllegalArgumentException(name + " <= 0: " + d);
            }
            return d;
        }
    }
}
