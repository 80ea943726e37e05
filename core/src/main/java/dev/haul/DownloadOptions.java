package dev.haul;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed's keyword arguments for the static {@link DownloadManager#downloadUrl} calls:
 * {@code total_size}, {@code progress_callback} and {@code headers}, plus Haul's own knobs.
 *
 * <pre>{@code
 * DownloadOptions options = DownloadOptions.builder()
 *         .totalSize(app.size())
 *         .progressCallback(percent -> bar.setValue(percent))
 *         .headers(Map.of("Authorization", "Bearer " + token))
 *         .build();
 * }</pre>
 */
public final class DownloadOptions {
    private static final DownloadOptions DEFAULTS = builder().build();

    private final long totalSize;
    private final ProgressCallback progressCallback;
    private final Map<String, String> headers;
    private final DownloadListener listener;
    private final RetryPolicy retryPolicy;
    private final Duration stallTimeout;
    private final Duration responseTimeout;
    private final Duration deadline;
    private final long maxMemoryBytes;
    private final String expectedSha256;

    private DownloadOptions(Builder b) {
        this.totalSize = b.totalSize;
        this.progressCallback = b.progressCallback;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.listener = b.listener;
        this.retryPolicy = b.retryPolicy;
        this.stallTimeout = b.stallTimeout;
        this.responseTimeout = b.responseTimeout;
        this.deadline = b.deadline;
        this.maxMemoryBytes = b.maxMemoryBytes;
        this.expectedSha256 = b.expectedSha256;
    }

    /**
     * No total size, no callbacks, no headers, default timeouts and retries.
     *
     * @return the default options
     */
    public static DownloadOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Returns a builder with nothing set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The expected size in bytes for progress, or -1 when not given (the default).
     *
     * @return the expected size in bytes, or -1
     */
    public long totalSize() {
        return totalSize;
    }

    /**
     * The callback told the percentage done; may return null (the default: none).
     *
     * @return the progress callback, or null
     */
    public ProgressCallback progressCallback() {
        return progressCallback;
    }

    /**
     * The request headers, in the order given; empty by default.
     *
     * @return the headers, unmodifiable
     */
    public Map<String, String> headers() {
        return headers;
    }

    /** Applies these options to a request builder. */
    DownloadRequest.Builder applyTo(DownloadRequest.Builder b) {
        b.totalSizeHint(totalSize).progressCallback(progressCallback).headers(headers)
                .listener(listener).retryPolicy(retryPolicy).expectedSha256(expectedSha256);
        if (stallTimeout != null) {
            b.stallTimeout(stallTimeout);
        }
        if (responseTimeout != null) {
            b.responseTimeout(responseTimeout);
        }
        if (deadline != null) {
            b.deadline(deadline);
        }
        if (maxMemoryBytes >= 0) {
            b.maxMemoryBytes(maxMemoryBytes);
        }
        return b;
    }

    /** Builds {@link DownloadOptions}. */
    public static final class Builder {
        private long totalSize = -1;
        private ProgressCallback progressCallback;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private DownloadListener listener;
        private RetryPolicy retryPolicy;
        private Duration stallTimeout;
        private Duration responseTimeout;
        private Duration deadline;
        private long maxMemoryBytes = -1;
        private String expectedSha256;

        private Builder() {
        }

        /**
         * The expected size in bytes, for progress (the seed's {@code total_size}).
         *
         * @param bytes the expected size in bytes, for progress (the seed's {@code total_size})
         * @return this builder
         */
        public Builder totalSize(long bytes) {
            if (bytes < -1) {
                throw new IllegalArgumentException("totalSize < 0: " + bytes);
            }
            this.totalSize = bytes;
            return this;
        }

        /**
         * The callback told the percentage done (the seed's {@code progress_callback}); null for
         * none, the default.
         *
         * @param callback the progress callback, or null
         * @return this builder
         */
        public Builder progressCallback(ProgressCallback callback) {
            this.progressCallback = callback;
            return this;
        }

        /**
         * Request headers, sent as given; null means none.
         *
         * @param headers request headers, sent as given; null means none
         * @return this builder
         */
        public Builder headers(Map<String, String> headers) {
            if (headers != null) {
                this.headers.putAll(headers);
            }
            return this;
        }

        /**
         * Adds one request header, replacing an earlier value of the same name.
         *
         * @param name the header name
         * @param value the header value
         * @return this builder
         */
        public Builder header(String name, String value) {
            this.headers.put(name, value);
            return this;
        }

        /**
         * Richer events: bytes, speed and retries.
         *
         * @param listener receives bytes, speed and retries; null for none
         * @return this builder
         */
        public Builder listener(DownloadListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * How failed attempts are retried; null, the default, for the manager's policy.
         *
         * @param policy the retry policy, or null
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = policy;
            return this;
        }

        /**
         * See {@link DownloadRequest.Builder#stallTimeout(Duration)}.
         *
         * @param timeout the stall timeout, or null for the default
         * @return this builder
         */
        public Builder stallTimeout(Duration timeout) {
            this.stallTimeout = timeout;
            return this;
        }

        /**
         * See {@link DownloadRequest.Builder#responseTimeout(Duration)}.
         *
         * @param timeout the response timeout, or null for the default
         * @return this builder
         */
        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = timeout;
            return this;
        }

        /**
         * See {@link DownloadRequest.Builder#deadline(Duration)}.
         *
         * @param deadline the deadline, or null for none
         * @return this builder
         */
        public Builder deadline(Duration deadline) {
            this.deadline = deadline;
            return this;
        }

        /**
         * See {@link DownloadRequest.Builder#maxMemoryBytes(long)}.
         *
         * @param bytes the largest body a memory download accepts, or -1 for the default
         * @return this builder
         */
        public Builder maxMemoryBytes(long bytes) {
            this.maxMemoryBytes = bytes;
            return this;
        }

        /**
         * See {@link DownloadRequest.Builder#expectedSha256(String)}.
         *
         * @param hex the SHA-256 the body must have, as 64 hex digits; null for no check
         * @return this builder
         */
        public Builder expectedSha256(String hex) {
            this.expectedSha256 = hex;
            return this;
        }

        /**
         * Returns the options set so far; the builder can go on to build others.
         *
         * @return the options
         */
        public DownloadOptions build() {
            return new DownloadOptions(this);
        }
    }
}
