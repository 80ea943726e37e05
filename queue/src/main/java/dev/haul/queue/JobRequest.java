package dev.haul.queue;

import dev.haul.DownloadRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a job downloads and where: the URL (and mirrors), the destination directory and file name,
 * headers, the expected SHA-256, a rate limit and a connection count. Immutable; validated by
 * {@link Builder#build()}, which names the bad value.
 *
 * <pre>{@code
 * JobRequest request = JobRequest.builder("https://example.com/big.iso", Path.of("/srv/dl"))
 *         .expectedSha256(sha256)
 *         .maxBytesPerSecond(5_000_000)
 *         .build();
 * Job job = queue.add(request);
 * }</pre>
 *
 * <p><b>Credentials</b> ({@code Authorization}, {@code Proxy-Authorization} and {@code Cookie}
 * headers, and user information in the URL) are never written to the job's record, its listing or
 * its events. With {@link Builder#keepCredentials(boolean) keepCredentials} they are kept in a
 * separate file readable by its owner only, so the job can continue after a restart; without, they
 * live in memory only, and a job interrupted by a restart fails with
 * {@link JobFailure#CREDENTIALS_MISSING}.
 */
public final class JobRequest {
    /** Header names whose values are credentials, lower case. */
    static final Set<String> SECRET_HEADERS = Set.of("authorization", "proxy-authorization",
            "cookie");
    /** The key of the URL's user information among a request's credentials. */
    static final String USERINFO = "userinfo";
    /** The longest idempotency key: an opaque client token, not a document. */
    static final int MAX_KEY_LENGTH = 200;
    /** Mirrors beyond this are a mistake, not a configuration. */
    static final int MAX_MIRRORS = 16;

    private final URI uri;
    private final List<URI> mirrors;
    private final Path directory;
    private final String fileName;
    private final Map<String, String> headers;
    private final String expectedSha256;
    private final long maxBytesPerSecond;
    private final int connections;
    private final boolean paused;
    private final boolean keepCredentials;
    private final String key;

    private JobRequest(Builder b) {
        this.uri = b.uri;
        this.mirrors = List.copyOf(b.mirrors);
        this.directory = b.directory;
        this.fileName = b.fileName;
        TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(b.headers);
        this.headers = Collections.unmodifiableMap(h);
        this.expectedSha256 = b.expectedSha256;
        this.maxBytesPerSecond = b.maxBytesPerSecond;
        this.connections = b.connections;
        this.paused = b.paused;
        this.keepCredentials = b.keepCredentials;
        this.key = b.key;
    }

    /**
     * A builder for a download of {@code url} into {@code directory}.
     *
     * @param url an http or https URL
     * @param directory the absolute directory the file goes into (created when the job starts)
     * @return a builder
     * @throws IllegalArgumentException if {@code url} is not a valid http(s) URL
     */
    public static Builder builder(String url, Path directory) {
        Objects.requireNonNull(url, "url");
        try {
            return builder(new URI(url.trim()), directory);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid URL: " + e.getMessage(), e);
        }
    }

    /**
     * A builder for a download of {@code uri} into {@code directory}.
     *
     * @param uri an http or https URL
     * @param directory the absolute directory the file goes into (created when the job starts)
     * @return a builder
     */
    public static Builder builder(URI uri, Path directory) {
        return new Builder(uri, directory);
    }

    /**
     * A builder that starts from this request.
     *
     * @return a builder with this request's values
     */
    public Builder newBuilder() {
        Builder b = new Builder(uri, directory);
        b.mirrors.addAll(mirrors);
        b.fileName = fileName;
        b.headers.putAll(headers);
        b.expectedSha256 = expectedSha256;
        b.maxBytesPerSecond = maxBytesPerSecond;
        b.connections = connections;
        b.paused = paused;
        b.keepCredentials = keepCredentials;
        b.key = key;
        return b;
    }

    /**
     * The URL to download. In a job's request (as stored and listed) it has no user information.
     *
     * @return the URL
     */
    public URI uri() {
        return uri;
    }

    /**
     * Other URLs of the same file, in order of preference; the engine uses {@link #uri()} today.
     *
     * @return the mirrors, possibly empty
     */
    public List<URI> mirrors() {
        return mirrors;
    }

    /**
     * The absolute directory the file goes into.
     *
     * @return the directory
     */
    public Path directory() {
        return directory;
    }

    /**
     * The file name asked for, or null to take it from the URL (see {@link Job#file()}).
     *
     * @return the file name, or null
     */
    public String fileName() {
        return fileName;
    }

    /**
     * The request headers, by case-insensitive name. In a job's request (as stored and listed)
     * the credentials headers are not among them.
     *
     * @return the headers, sorted by name
     */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * The SHA-256 the body must have, lower-case hex, or null for no check.
     *
     * @return the expected SHA-256, or null
     */
    public String expectedSha256() {
        return expectedSha256;
    }

    /**
     * This job's own rate limit in bytes per second; 0 for none (the queue's global limit still
     * applies).
     *
     * @return the rate limit, 0 for none
     */
    public long maxBytesPerSecond() {
        return maxBytesPerSecond;
    }

    /**
     * How many connections the download may use; 0 for the queue's default.
     *
     * @return the connections, 0 for the default
     */
    public int connections() {
        return connections;
    }

    /**
     * Whether the job is added paused.
     *
     * @return whether the job is added paused
     */
    public boolean paused() {
        return paused;
    }

    /**
     * Whether the request's credentials may be kept on disk (owner-only) to survive a restart.
     *
     * @return whether credentials may be kept on disk
     */
    public boolean keepCredentials() {
        return keepCredentials;
    }

    /**
     * The caller's idempotency key, or null: adding a request whose key a job already has
     * returns that job instead of adding another, so a retried add cannot duplicate a job.
     *
     * @return the key, or null
     */
    public String key() {
        return key;
    }

    /**
     * Whether the request carries credentials: user information in the URL, or an
     * {@code Authorization}, {@code Proxy-Authorization} or {@code Cookie} header.
     *
     * @return whether the request carries credentials
     */
    public boolean hasCredentials() {
        return !credentials().isEmpty();
    }

    /** The credentials: header name to value, and {@link #USERINFO} for the URL's. */
    Map<String, String> credentials() {
        Map<String, String> secrets = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (uri.getRawUserInfo() != null) {
            secrets.put(USERINFO, uri.getRawUserInfo());
        }
        headers.forEach((name, value) -> {
            if (SECRET_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                secrets.put(name, value);
            }
        });
        return secrets;
    }

    /** This request without its credentials: what is stored and shown. */
    JobRequest withoutCredentials() {
        if (!hasCredentials()) {
            return this;
        }
        Builder b = newBuilder();
        b.uri = Uris.withUserInfo(uri, null);
        b.headers.keySet().removeIf(n -> SECRET_HEADERS.contains(n.toLowerCase(Locale.ROOT)));
        return b.build();
    }

    /** This request with {@code credentials} (from {@link #credentials()}) put back. */
    JobRequest withCredentials(Map<String, String> credentials) {
        Builder b = newBuilder();
        credentials.forEach((name, value) -> {
            if (name.equals(USERINFO)) {
                b.uri = Uris.withUserInfo(uri, value);
            } else {
                b.headers.put(name, value);
            }
        });
        return b.build();
    }

    @Override
    public String toString() {
        return "JobRequest{" + Uris.redact(uri) + " -> " + directory
                + (fileName == null ? "" : "/" + fileName) + "}";
    }

    /** Builds a {@link JobRequest}; every setter validates at once or in {@link #build()}. */
    public static final class Builder {
        private URI uri;
        private final List<URI> mirrors = new ArrayList<>();
        private final Path directory;
        private String fileName;
        private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        private String expectedSha256;
        private long maxBytesPerSecond;
        private int connections;
        private boolean paused;
        private boolean keepCredentials;
        private String key;

        private Builder(URI uri, Path directory) {
            this.uri = Uris.checkHttp(Objects.requireNonNull(uri, "uri"), "URL");
            Objects.requireNonNull(directory, "directory");
            if (!directory.isAbsolute()) {
                throw new IllegalArgumentException("directory is not absolute: " + directory);
            }
            this.directory = directory.normalize();
        }

        /**
         * Replaces the URL to download.
         *
         * @param uri an http(s) URL
         * @return this builder
         */
        public Builder uri(URI uri) {
            this.uri = Uris.checkHttp(Objects.requireNonNull(uri, "uri"), "URL");
            return this;
        }

        /**
         * Drops the mirrors added so far.
         *
         * @return this builder
         */
        public Builder clearMirrors() {
            mirrors.clear();
            return this;
        }

        /**
         * Adds a mirror: another http(s) URL of the same file, without user information.
         *
         * @param mirror the mirror's URL
         * @return this builder
         */
        public Builder mirror(URI mirror) {
            Uris.checkHttp(Objects.requireNonNull(mirror, "mirror"), "mirror");
            if (mirror.getRawUserInfo() != null) {
                throw new IllegalArgumentException("a mirror URL cannot carry credentials: "
                        + Uris.redact(mirror) + " (use an Authorization header)");
            }
            if (mirrors.size() == MAX_MIRRORS) {
                throw new IllegalArgumentException("more than " + MAX_MIRRORS + " mirrors");
            }
            mirrors.add(mirror);
            return this;
        }

        /**
         * The file name in the directory; null (the default) takes it from the URL's last path
         * segment, made safe, with {@code .1}, {@code .2}, ... added when that name is taken.
         * A name given here must be one plain file name, free in the directory.
         *
         * @param name a plain file name, or null
         * @return this builder
         */
        public Builder fileName(String name) {
            if (name != null) {
                FileNames.checkPlain(name);
            }
            this.fileName = name;
            return this;
        }

        /**
         * Sets a request header (names are case-insensitive).
         *
         * @param name the header name
         * @param value the header value
         * @return this builder
         */
        public Builder header(String name, String value) {
            // the engine's own rules: names, values, and headers the transport owns
            DownloadRequest.builder(URI.create("http://check.invalid/")).header(name, value);
            headers.put(name, value);
            return this;
        }

        /**
         * The SHA-256 the body must have (64 hex digits, any case), or null.
         *
         * @param hex the digest, or null
         * @return this builder
         */
        public Builder expectedSha256(String hex) {
            if (hex != null) {
                DownloadRequest.builder(URI.create("http://check.invalid/")).expectedSha256(hex);
            }
            this.expectedSha256 = hex == null ? null : hex.toLowerCase(Locale.ROOT);
            return this;
        }

        /**
         * This job's rate limit in bytes per second; 0 (the default) for none.
         *
         * @param bytesPerSecond the limit, at least 0
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
         * How many connections the download may use, 1 to 16; 0 (the default) for the queue's.
         *
         * @param n the connections
         * @return this builder
         */
        public Builder connections(int n) {
            if (n < 0 || n > 16) {
                throw new IllegalArgumentException("connections out of range 0..16: " + n);
            }
            this.connections = n;
            return this;
        }

        /**
         * Whether the job is added paused (default false).
         *
         * @param paused whether the job is added paused
         * @return this builder
         */
        public Builder paused(boolean paused) {
            this.paused = paused;
            return this;
        }

        /**
         * Whether credentials may be kept on disk, in an owner-only file, so the job survives a
         * restart (default false: memory only).
         *
         * @param keep whether credentials may be kept on disk
         * @return this builder
         */
        public Builder keepCredentials(boolean keep) {
            this.keepCredentials = keep;
            return this;
        }

        /**
         * An idempotency key: a job added with a key already in the queue is not added again.
         *
         * @param key up to 200 printable ASCII characters, or null
         * @return this builder
         */
        public Builder key(String key) {
            if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH
                    || key.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
                throw new IllegalArgumentException("key must be 1 to " + MAX_KEY_LENGTH
                        + " printable ASCII characters without spaces");
            }
            this.key = key;
            return this;
        }

        /**
         * The request.
         *
         * @return the request
         */
        public JobRequest build() {
            return new JobRequest(this);
        }
    }
}
