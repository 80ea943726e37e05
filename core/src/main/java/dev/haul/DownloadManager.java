package dev.haul;

import dev.haul.internal.Engine;
import dev.haul.internal.EngineConfig;
import dev.haul.internal.Redaction;
import dev.haul.internal.http.HttpDate;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.net.Netrc;
import dev.haul.internal.net.ProxyEnvironment;
import dev.haul.internal.net.ProxyUrl;
import dev.haul.internal.sink.FileOps;
import dev.haul.internal.transfer.Transfer;
import dev.haul.internal.transfer.TransferSpec;
import java.net.Authenticator;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * Downloads over HTTP(S) to memory, to a file or to a chunk callback, with resume, retries, stall
 * detection, integrity checks and atomic file writes.
 *
 * <h2>The static facade</h2>
 * The seed's API, backed by one lazily created shared instance:
 * <pre>{@code
 * byte[] data = DownloadManager.downloadUrl("https://api.example.com/data.json")
 *         .join(); // null on failure
 * boolean ok = DownloadManager.downloadUrl(url, Path.of("app.mpk"), DownloadOptions.defaults())
 *         .join();
 * }</pre>
 * These calls never complete exceptionally for a failed download: memory mode completes with
 * {@code null}, file and stream modes with {@code false}, and the reason is logged through
 * {@link System.Logger} (logger {@code dev.haul}) with secrets redacted from the URL.
 *
 * <h2>The instance API</h2>
 * <pre>{@code
 * try (DownloadManager manager = DownloadManager.builder().maxConnectionsPerHost(4).build()) {
 *     Download<Path> download = manager.download(DownloadRequest.builder(url).build(),
 *             Destination.file(Path.of("big.iso")));
 *     DownloadResult<Path> result = download.result().join();   // or DownloadException
 * }
 * }</pre>
 *
 * <h2>The session</h2>
 * A manager owns at most one session at a time: one transport and its keep-alive connections,
 * which every download reuses. It is created by the first download and released after
 * {@link Builder#sessionIdleTimeout(Duration)} without a download in flight.
 * {@link #releaseSession()} releases it at once for new downloads; downloads already running keep
 * it and finish normally, and it is closed when the last of them ends.
 *
 * <h2>Threads</h2>
 * A manager owns every thread its downloads use, and {@link #close()} ends them: one per download
 * while it transfers (virtual threads on JDK 21 and later; platform threads on 17, which end after
 * 2 s idle), a timer thread (unless a {@link TimeSource} is given), and small pools for SHA-256 and
 * background flushes. Queued downloads and downloads waiting to retry hold no thread.
 *
 * <p>A manager is immutable and thread-safe. {@link #close()} cancels its running downloads.
 */
public final class DownloadManager implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("dev.haul");
    private static final Object SHARED_LOCK = new Object();
    private static DownloadManager shared;

    /**
     * Bodies smaller than this use one connection: 4 MiB. Below it, a second connection's
     * round trip and slow start do not pay for themselves (bench/README.md).
     */
    public static final long DEFAULT_SPLIT_THRESHOLD = 4L * 1024 * 1024;

    private final Engine engine;
    private final DownloadListener listener;
    private final Connections connections;
    private final long splitThreshold;
    private final AtomicLong ids = new AtomicLong();

    private DownloadManager(Builder b) {
        this.engine = new Engine(b.toConfig());
        this.listener = b.listener;
        this.connections = b.connections;
        this.splitThreshold = b.splitThreshold;
    }

    /**
     * A builder with the defaults described on each setter.
     *
     * @return this builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The instance behind the static facade, created on first use.
     *
     * @return the instance behind the static facade, created on first use
     */
    public static DownloadManager shared() {
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                shared = builder().build();
            }
            return shared;
        }
    }

    // ---------------------------------------------------------------- the seed's static facade

    /**
     * Downloads {@code url} to memory: the body, an empty array for an empty body, or null on
     * failure.
     *
     * @param url the URL to download: http or https
     * @return the body, an empty array for an empty body, or null on failure
     */
    public static CompletableFuture<byte[]> downloadUrl(String url) {
        return downloadUrl(url, DownloadOptions.defaults());
    }

    /**
     * Downloads {@code url} to memory: the body, an empty array for an empty body, or null on
     * failure.
     *
     * @param url the URL to download: http or https
     * @param options the options; null for the defaults
     * @return the body, an empty array for an empty body, or null on failure
     */
    public static CompletableFuture<byte[]> downloadUrl(String url, DownloadOptions options) {
        return facade(url, Destination.memory(), options, DownloadResult::body, null);
    }

    /**
     * Downloads {@code url} to {@code outfile}: true on success, false on failure. A caller
     * {@code Range: bytes=N-} header with an outfile of N bytes continues the file (the seed's
     * "Resume Partial Download" pattern); the outfile is replaced only once the body is complete.
     *
     * @param url the URL to download: http or https
     * @param outfile the file to write; may be null
     * @param options the options; null for the defaults
     * @return true on success, false on failure
     */
    public static CompletableFuture<Boolean> downloadUrl(String url, Path outfile,
            DownloadOptions options) {
        Objects.requireNonNull(outfile, "outfile");
        return facade(url, Destination.file(outfile), options, r -> Boolean.TRUE, Boolean.FALSE);
    }

    /**
     * Streams {@code url} to {@code chunkCallback}: true on success, false on failure.
     *
     * @param url the URL to download: http or https
     * @param chunkCallback receives the body in order, chunk by chunk; may be null
     * @param options the options; null for the defaults
     * @return true on success, false on failure
     */
    public static CompletableFuture<Boolean> downloadUrl(String url, ChunkCallback chunkCallback,
            DownloadOptions options) {
        Objects.requireNonNull(chunkCallback, "chunkCallback");
        return facade(url, Destination.stream(chunkCallback), options, r -> Boolean.TRUE,
                Boolean.FALSE);
    }

    /**
     * The seed's full signature, where {@code outfile} and {@code chunkCallback} may each be null.
     * Memory mode completes with the bytes or null; the other modes with {@code Boolean}.
     *
     * @param url the URL to download: http or https
     * @param outfile the file to write; may be null
     * @param chunkCallback receives the body in order, chunk by chunk; may be null
     * @param options the options; null for the defaults
     * @return a future of {@code true} on success, {@code false} on failure
     * @throws IllegalArgumentException if both {@code outfile} and {@code chunkCallback} are given
     */
    public static CompletableFuture<?> downloadUrl(String url, Path outfile,
                                                   ChunkCallback chunkCallback,
                                                   DownloadOptions options) {
        if (outfile != null && chunkCallback != null) {
            throw new IllegalArgumentException("outfile and chunkCallback cannot be used together: "
                    + "choose a file or a chunk callback");
        }
        if (outfile != null) {
            return downloadUrl(url, outfile, options);
        }
        if (chunkCallback != null) {
            return downloadUrl(url, chunkCallback, options);
        }
        return downloadUrl(url, options);
    }

    /**
     * Whether the shared instance holds a live session.
     *
     * @return whether the shared instance holds a live session
     */
    public static boolean isSessionActive() {
        synchronized (SHARED_LOCK) {
            return shared != null && shared.sessionActive();
        }
    }

    /**
     * Releases the shared session; see {@link #releaseSession()}.
     *
     * @return a future that completes when the session has closed
     */
    public static CompletableFuture<Void> closeSession() {
        DownloadManager m;
        synchronized (SHARED_LOCK) {
            m = shared;
        }
        return m == null ? CompletableFuture.completedFuture(null) : m.releaseSession();
    }

    private static <B, T> CompletableFuture<T> facade(String url, Destination<B> destination,
                                                     DownloadOptions options,
                                                     Function<DownloadResult<B>, T> onSuccess,
                                                     T onFailure) {
        DownloadRequest request;
        try {
            request = (options == null ? DownloadOptions.defaults() : options)
                    .applyTo(DownloadRequest.builder(url)).build();
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "download refused: " + e.getMessage());
            return CompletableFuture.completedFuture(onFailure);
        }
        Download<B> download;
        try {
            download = shared().download(request, destination);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "download refused: " + e.getMessage());
            return CompletableFuture.completedFuture(onFailure);
        }
        CompletableFuture<T> mapped = download.result().handle((result, failure) -> {
            if (failure == null) {
                return onSuccess.apply(result);
            }
            log(request.uri(), failure);
            return onFailure;
        });
        // Cancelling or timing out the caller's future stops the transfer.
        var unused = mapped.whenComplete((v, t) -> {
            if (t != null) {
                download.cancel();
            }
        });
        return mapped;
    }

    private static void log(URI uri, Throwable failure) {
        Throwable t = failure instanceof java.util.concurrent.CompletionException
                && failure.getCause() != null ? failure.getCause() : failure;
        String why = t instanceof DownloadException de ? de.reason() + ": " + de.getMessage()
                : t.toString();
        LOG.log(System.Logger.Level.WARNING, "download of " + Redaction.redact(uri) + " failed: "
                + why);
    }

    // ---------------------------------------------------------------- the instance API

    /**
     * Starts downloading {@code request} to {@code destination}; it runs until its result
     * completes. Never blocks: a download beyond the manager's limits waits in a queue.
     *
     * <pre>{@code
     * Download<byte[]> d =
     *         manager.download(DownloadRequest.builder(url).build(), Destination.memory());
     * }</pre>
     *
     * @param <T> the type of the result's body, set by the destination
     * @param request what to download
     * @param destination where the body goes
     * @return the running download
     * @throws IllegalArgumentException if the request cannot go to that destination (an expected
     *                                  size above the memory cap of a memory download)
     * @throws IllegalStateException    if the manager is closed
     */
    public <T> Download<T> download(DownloadRequest request, Destination<T> destination) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(destination, "destination");
        if (destination.kind() == Destination.Kind.MEMORY
                && request.expectedSize() > request.maxMemoryBytes()) {
            throw new IllegalArgumentException("expectedSize " + request.expectedSize()
                    + " > maxMemoryBytes " + request.maxMemoryBytes());
        }
        EngineConfig c = engine.config();
        ResultFuture<T> future = new ResultFuture<>(engine.time());
        Download<T> download = new Download<>(ids.incrementAndGet(), request, destination, future);
        DownloadEvents<T> events =
                new DownloadEvents<>(download, future, listener, Redaction.redact(request.uri()));
        Map<String, String> headers = new LinkedHashMap<>();
        request.headers().forEach((name, value) -> {
            if (!name.equalsIgnoreCase("Range")) {
                headers.put(name, value);
            }
        });
        TransferSpec spec = new TransferSpec(request.uri(), headers, request.headers().get("Range"),
                TransferSpec.Kind.valueOf(destination.kind().name()), destination.path(),
                destination.callback(), request.maxMemoryBytes(), request.continueExisting(),
                request.totalSizeHint(), request.expectedSize(), request.expectedSha256(),
                request.retryPolicy() != null ? request.retryPolicy() : c.retryPolicy(),
                request.stallTimeout() != null ? request.stallTimeout() : c.stallTimeout(),
                request.responseTimeout() != null ? request.responseTimeout() : c.responseTimeout(),
                request.deadline(), request.maxRedirects(), request.keepCredentialsOnRedirect(),
                request.progressCallback() != null, request.maxBytesPerSecond(),
                        request.ifNoneMatch(),
                request.ifModifiedSince() == null ? null
                        : HttpDate.format(request.ifModifiedSince()),
                request.remoteTime(),
                request.connections() != null ? request.connections() : connections,
                request.splitThreshold() >= 0 ? request.splitThreshold() : splitThreshold,
                request.mirrors(), request.urlRefresher());
        Transfer transfer = engine.create(spec, events);
        download.attach(transfer);
        engine.start(transfer, download::cancel);
        return download;
    }

    /**
     * Changes the bandwidth limit every download of this manager shares, at once, for running
     * downloads too (bytes per second; 0 for none). The one setting of a manager that changes
     * after it is built.
     *
     * @param bytesPerSecond the shared limit; 0 for none
     * @throws IllegalArgumentException if negative
     */
    public void setMaxBytesPerSecond(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("maxBytesPerSecond < 0: " + bytesPerSecond);
        }
        engine.setMaxBytesPerSecond(bytesPerSecond);
    }

    /**
     * The bandwidth limit every download of this manager shares now; 0 for none.
     *
     * @return the shared limit; 0 for none
     */
    public long maxBytesPerSecond() {
        return engine.maxBytesPerSecond();
    }

    /**
     * Whether this manager holds a live session.
     *
     * @return whether this manager holds a live session
     */
    public boolean sessionActive() {
        return engine.sessionActive();
    }

    /**
     * Releases the session now. New downloads create a fresh one; running downloads finish on the
     * old one, which closes when the last ends. The future completes when it has closed.
     *
     * @return a future that completes when the session has closed
     */
    public CompletableFuture<Void> releaseSession() {
        return engine.releaseSession();
    }

    /**
     * Cancels running and queued downloads (their futures are cancelled), waits up to two seconds
     * for them to release their files, releases the session and ends the manager's threads. New
     * downloads are refused with {@link IllegalStateException}.
     */
    @Override
    public void close() {
        engine.close();
        synchronized (SHARED_LOCK) {
            if (shared == this) {
                shared = null;
            }
        }
    }

    /** Builds a {@link DownloadManager}. */
    public static final class Builder {
        private int maxConcurrentDownloads = 64;
        private int maxConnectionsPerHost = 8;
        private int maxIdleConnectionsPerHost = 16;
        private Duration sessionIdleTimeout = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration stallTimeout = Duration.ofSeconds(10);
        private Duration responseTimeout = Duration.ofSeconds(30);
        private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
        private int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private String userAgent;
        private SSLContext sslContext;
        private boolean insecure;
        private HttpClient.Version httpVersion = HttpClient.Version.HTTP_1_1;
        private Transport transport;
        private boolean fsync = true;
        private TimeSource timeSource;
        private FileOps fileOps = FileOps.DEFAULT;
        private DownloadListener listener;
        private ProxySelector proxy;
        private String proxyUrl;
        private String noProxy;
        private boolean proxyFromEnvironment;
        private Map<String, String> proxyEnvironment;
        private Authenticator authenticator;
        private long maxBytesPerSecond;
        private Path netrc;
        private CookieJar cookieJar;
        private Connections connections = Connections.single();
        private long splitThreshold = DEFAULT_SPLIT_THRESHOLD;

        private Builder() {
        }

        /**
         * Downloads running at once; more wait in a queue without holding a thread. Default 64.
         *
         * @param n downloads running at once; more wait in a queue without holding a thread
         * @return this builder
         */
        public Builder maxConcurrentDownloads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConcurrentDownloads < 1: " + n);
            }
            this.maxConcurrentDownloads = n;
            return this;
        }

        /**
         * Connections open at once to one scheme, host and port, over all downloads of this
         * manager. A download uses one connection while it transfers; downloads beyond the cap wait
         * in the queue. Default 8.
         *
         * @param n connections open at once to one scheme, host and port
         * @return this builder
         */
        public Builder maxConnectionsPerHost(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConnectionsPerHost < 1: " + n);
            }
            this.maxConnectionsPerHost = n;
            return this;
        }

        /**
         * Most idle keep-alive connections kept open to one scheme, host and port for later
         * requests. Default 16. {@code 0} closes every connection as its response ends, so that a
         * connection open is a connection in use: daemons that share one per-host connection cap
         * (a fleet on one queue) count only connections in use. Applies to Haul's own HTTP/1.1
         * transport; the JDK's client keeps its own pool.
         *
         * @param n idle connections kept per scheme, host and port, from 0
         * @return this builder
         */
        public Builder maxIdleConnectionsPerHost(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxIdleConnectionsPerHost < 0: " + n);
            }
            this.maxIdleConnectionsPerHost = n;
            return this;
        }

        /**
         * How long the session lives without a download in flight. Default 5 s.
         *
         * @param d how long the session lives without a download in flight
         * @return this builder
         */
        public Builder sessionIdleTimeout(Duration d) {
            this.sessionIdleTimeout = nonNegative(d, "sessionIdleTimeout");
            return this;
        }

        /**
         * The longest wait for a TCP (and TLS) connection. Default 30 s.
         *
         * @param d the longest wait for a TCP (and TLS) connection
         * @return this builder
         */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connectTimeout");
            return this;
        }

        /**
         * The default stall timeout of requests that set none. Default 10 s, the seed's.
         *
         * @param d the default stall timeout of requests that set none
         * @return this builder
         */
        public Builder stallTimeout(Duration d) {
            this.stallTimeout = positive(d, "stallTimeout");
            return this;
        }

        /**
         * The default wait for response headers of requests that set none. Default 30 s.
         *
         * @param d the default wait for response headers of requests that set none
         * @return this builder
         */
        public Builder responseTimeout(Duration d) {
            this.responseTimeout = positive(d, "responseTimeout");
            return this;
        }

        /**
         * The retry policy of requests that set none. Default {@link RetryPolicy#DEFAULT}.
         *
         * @param policy the retry policy of requests that set none
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The most threads the session's pool runs, shared by all downloads; they start on demand
         * and end after 2 s idle. Default max(4, 2 × cores).
         *
         * @param n the most threads the session's pool runs
         * @return this builder
         */
        public Builder threads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("threads < 1: " + n);
            }
            this.threads = n;
            return this;
        }

        /**
         * The User-Agent sent unless a request sets one. Default {@code haul/<version>}.
         *
         * @param userAgent the User-Agent sent unless a request sets one
         * @return this builder
         */
        public Builder userAgent(String userAgent) {
            this.userAgent = userAgent;
            return this;
        }

        /**
         * The TLS context, for a private trust store. Default: the JDK's.
         *
         * @param context the TLS context, for a private trust store
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.sslContext = context;
            return this;
        }

        /**
         * Turns off TLS certificate and host name verification. Dangerous: anyone on the path can
         * read and change the download. Logged as a warning, on the logger {@code dev.haul.tls},
         * when a session starts.
         *
         * @param insecure true to turn verification off
         * @return this builder
         */
        public Builder insecure(boolean insecure) {
            this.insecure = insecure;
            return this;
        }

        /**
         * The HTTP version offered. Default HTTP/1.1, which is as fast as HTTP/2 for downloads.
         * {@code HTTP_2} is carried by the JDK's client (ALPN over TLS, HTTP/1.1 otherwise): it
         * selects {@link Transport#JDK} unless a transport was set explicitly, which must then be
         * {@code JDK}.
         *
         * @param version the HTTP version offered
         * @return this builder
         */
        public Builder httpVersion(HttpClient.Version version) {
            this.httpVersion = Objects.requireNonNull(version, "version");
            return this;
        }

        /**
         * The HTTP client that carries the downloads. Default {@link Transport#HAUL}, Haul's own
         * HTTP/1.1 client; {@link Transport#JDK} for HTTP/2 or as a fallback. The system property
         * {@code haul.transport} ({@code haul} or {@code jdk}) changes the default for every
         * manager that sets none, without a code change.
         *
         * @param transport the HTTP client that carries the downloads
         * @return this builder
         */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /**
         * Whether a finished file is forced to disk before it is renamed onto its destination.
         * Default true: then even a power loss cannot leave a destination that names a partial
         * body. Large files are flushed in the background every 32 MiB while they download, so
         * the force at the end has little left to write. Without it the rename still keeps partial
         * bodies away from the destination when a process dies, as with curl and wget, and many
         * small files download faster.
         *
         * @param fsync whether a finished file is forced to disk before its rename
         * @return this builder
         */
        public Builder fsync(boolean fsync) {
            this.fsync = fsync;
            return this;
        }

        /**
         * The clock and timer of every wait and measurement of time: retries, Retry-After,
         * timeouts, the deadline, speed and ETA, the session's idle release. Default: the system
         * clock and a timer thread of the manager's own. Tests inject a fake clock here.
         *
         * @param timeSource the clock and timer of every wait and measurement of time
         * @return this builder
         */
        public Builder timeSource(TimeSource timeSource) {
            this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
            return this;
        }

        /**
         * Receives the events of every download of this manager, after the request's own listener.
         * See {@link DownloadListener} for the contract; a listener that throws fails the download
         * it was called for.
         *
         * @param listener receives the events of every download; null for none
         * @return this builder
         */
        public Builder listener(DownloadListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Chooses the proxy of each request. {@code Proxy.Type.HTTP} proxies carry plain http as
         * proxy requests and https through {@code CONNECT} tunnels. A {@code Proxy.Type.SOCKS}
         * proxy is SOCKS5 (with remote name resolution when the selector gives an unresolved
         * address): the JDK client used for HTTP/2 cannot use one, so such a download fails with
         * {@link DownloadException.Reason#PROXY} rather than connecting directly. Default: no proxy
         * (the JDK's system-wide default selector is not consulted).
         *
         * @param selector chooses the proxy of each request
         * @return this builder
         */
        public Builder proxy(ProxySelector selector) {
            this.proxy = selector;
            return this;
        }

        /**
         * Sends every request through the proxy at {@code url}, written as curl takes it:
         * {@code http://[user:password@]host[:port]} (an HTTP proxy: {@code CONNECT} tunnels for
         * https), {@code socks5://…} (SOCKS5, names resolved here) or {@code socks5h://…} (SOCKS5,
         * names resolved by the proxy). Without a scheme, http; without a port, 1080. Credentials
         * in
         * the URL go to the proxy only, never to a server. Hosts in {@link #noProxy(String)} are
         * reached directly. Overrides {@link #proxy(ProxySelector)}.
         *
         * @throws IllegalArgumentException for a URL that is not one of those (https and SOCKS4
         *                                  proxies are refused, not downgraded)
         *
         * @param url the proxy in curl's syntax, or null for none
         * @return this builder
         */
        public Builder proxy(String url) {
            this.proxyUrl = url;
            if (url != null) {
                ProxyUrl.parse(url); // fails now, naming the bad value
            }
            return this;
        }

        /**
         * Hosts reached without a proxy, as curl's {@code no_proxy}: comma-separated names (a name
         * also matches its subdomains; a leading dot is ignored), IP addresses, CIDR ranges, or
         * {@code *} for every host.
         *
         * @param list the hosts reached directly, or null for none
         * @return this builder
         */
        public Builder noProxy(String list) {
            this.noProxy = list;
            return this;
        }

        /**
         * Takes the proxy from the environment exactly as curl does: {@code http_proxy} (lower
         * case only) for http, {@code https_proxy}/{@code HTTPS_PROXY} for https,
         * {@code all_proxy}/{@code ALL_PROXY} otherwise, and {@code no_proxy}/{@code NO_PROXY};
         * {@link #proxy(String)} and {@link #noProxy(String)} override them.
         *
         * @return this builder
         */
        public Builder proxyFromEnvironment() {
            this.proxyFromEnvironment = true;
            this.proxyEnvironment = null;
            return this;
        }

        /**
         * Takes the proxy from {@code environment} with the rules of
         * {@link #proxyFromEnvironment()}, instead of from this process's environment: for a
         * program that holds its environment as a value (a command-line tool under test, a
         * launcher that passes on a filtered copy). The map is copied; names are case-sensitive,
         * as on POSIX.
         *
         * @param environment variable names to values, as {@link System#getenv()} gives them
         * @return this builder
         */
        public Builder proxyFromEnvironment(Map<String, String> environment) {
            this.proxyEnvironment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
            this.proxyFromEnvironment = true;
            return this;
        }

        /**
         * The bandwidth limit every download of this manager shares, in bytes per second (0, the
         * default, for none); see {@link DownloadManager#setMaxBytesPerSecond(long)} to change it
         * later and {@link DownloadRequest.Builder#maxBytesPerSecond(long)} for one download's.
         *
         * @param bytesPerSecond the shared limit; 0 for none
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
         * Sends Basic credentials from a {@code .netrc} file (curl's format: {@code machine},
         * {@code login}, {@code password}, {@code default}) to the host they are for, when a
         * request carries no Authorization of its own. Read when the manager is built; its
         * passwords never appear in a message.
         *
         * @param file a .netrc file, or null for none
         * @return this builder
         */
        public Builder netrc(Path file) {
            this.netrc = file;
            return this;
        }

        /**
         * The connections a download may use unless its request says otherwise; see
         * {@link Connections}. Default {@link Connections#single()}.
         *
         * @param connections single, fixed or adaptive
         * @return this builder
         */
        public Builder connections(Connections connections) {
            this.connections = Objects.requireNonNull(connections, "connections");
            return this;
        }

        /**
         * The smallest body split over several connections, unless a request says otherwise.
         * Default {@link DownloadManager#DEFAULT_SPLIT_THRESHOLD}.
         *
         * @param bytes the threshold
         * @return this builder
         */
        public Builder splitThreshold(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("splitThreshold < 0: " + bytes);
            }
            this.splitThreshold = bytes;
            return this;
        }

        /**
         * Sends and keeps cookies in {@code jar}; see {@link CookieJar}. Default: no cookies.
         *
         * @param jar the cookie jar, or null for none
         * @return this builder
         */
        public Builder cookieJar(CookieJar jar) {
            this.cookieJar = jar;
            return this;
        }

        /**
         * Answers proxy authentication challenges (407) when the proxy's route carries no
         * credentials. Origin servers' 401 challenges are not answered: send their credentials with
         * the request (a header, or userinfo in the URL). Default: none.
         *
         * @param authenticator answers proxy authentication challenges; null for none
         * @return this builder
         */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = authenticator;
            return this;
        }

        /** For tests: the file operations, to inject local faults. */
        Builder fileOps(FileOps fileOps) {
            this.fileOps = Objects.requireNonNull(fileOps, "fileOps");
            return this;
        }

        /**
         * The manager. The builder can go on to build others.
         *
         * @return the manager
         * @throws IllegalStateException    if HTTP/2 was asked of Haul's own HTTP/1.1 transport
         * @throws IllegalArgumentException if the netrc file cannot be read or parsed
         */
        public DownloadManager build() {
            if (transport == Transport.HAUL && httpVersion == HttpClient.Version.HTTP_2) {
                throw new IllegalStateException(
                        "HTTP/2 needs Transport.JDK; Transport.HAUL speaks HTTP/1.1");
            }
            return new DownloadManager(this);
        }

        private boolean jdkClient() {
            if (transport != null) {
                return transport == Transport.JDK;
            }
            if (httpVersion == HttpClient.Version.HTTP_2) {
                return true;
            }
            String p = System.getProperty("haul.transport", "haul").trim();
            if (p.equalsIgnoreCase("jdk")) {
                return true;
            }
            if (!p.equalsIgnoreCase("haul")) {
                throw new IllegalStateException("haul.transport must be haul or jdk, not '" + p
                        + "'");
            }
            return false;
        }

        EngineConfig toConfig() {
            return new EngineConfig(maxConcurrentDownloads, maxConnectionsPerHost,
                    sessionIdleTimeout,
                    connectTimeout, stallTimeout, responseTimeout, retryPolicy, threads,
                    userAgent == null ? EngineConfig.defaultUserAgent() : userAgent,
                    sslContext, insecure, httpVersion, jdkClient(), fsync, timeSource, fileOps,
                            routes(),
                    authenticator, maxBytesPerSecond, credentials(), cookies(),
                    maxIdleConnectionsPerHost);
        }

        private java.util.function.Function<URI, ProxyRoute> routes() {
            if (proxyUrl == null && noProxy == null && !proxyFromEnvironment) {
                return Engine.routes(proxy);
            }
            ProxyEnvironment env;
            if (!proxyFromEnvironment) {
                env = ProxyEnvironment.of(Map.of());
            } else if (proxyEnvironment != null) {
                env = ProxyEnvironment.of(proxyEnvironment);
            } else {
                env = ProxyEnvironment.fromSystem();
            }
            if (proxyUrl != null) {
                env = env.withProxy(proxyUrl);
            }
            if (noProxy != null) {
                env = env.withNoProxy(noProxy);
            }
            ProxyEnvironment chosen = env;
            return uri -> chosen.proxyFor(uri).map(Builder::route)
                    .orElse(ProxyRoute.DIRECT);
        }

        private static ProxyRoute route(ProxyUrl p) {
            if (p.type() == ProxyUrl.Type.SOCKS5) {
                return new ProxyRoute.Socks5(p.host(), p.port(), p.remoteDns(),
                        p.credentials());
            }
            return new ProxyRoute.Http(p.host(), p.port(), p.credentials());
        }

        private java.util.function.Function<String, String> credentials() {
            if (netrc == null) {
                return null;
            }
            Netrc n;
            try {
                n = Netrc.load(netrc);
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException("cannot use netrc file " + netrc + ": "
                        + e.getMessage(), e);
            }
            return host -> host == null ? null : n.find(host).map(c -> "Basic "
                    + java.util.Base64.getEncoder()
                    .encodeToString((c.login() + ":" + c.password()).getBytes(
                    java.nio.charset.StandardCharsets.UTF_8)))
                    .orElse(null);
        }

        private EngineConfig.Cookies cookies() {
            CookieJar jar = cookieJar;
            if (jar == null) {
                return null;
            }
            return new EngineConfig.Cookies() {
                @Override
                public String header(URI uri) {
                    return jar.cookieHeader(uri);
                }

                @Override
                public void store(URI uri, String setCookie) {
                    jar.setCookie(uri, setCookie);
                }
            };
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " <= 0: " + d);
            }
            return d;
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " < 0: " + d);
            }
            return d;
        }
    }
}
