package dev.haul.daemon;

import dev.haul.queue.DownloadQueue;
import dev.haul.queue.OwnerOnlyFiles;
import dev.haul.DownloadManager;
import dev.haul.queue.JobStore;
import dev.haul.queue.PostgresJobStore;
import dev.haul.queue.SqliteJobStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A running daemon: the durable queue in {@code DATA} (SQLite), the HTTP API and the web page on
 * one port. {@link #start} returns once it listens and has written {@code DATA/daemon.url} and
 * {@code DATA/daemon.pid}; {@link #close} stops it gracefully: new requests are refused, event
 * streams end, running downloads stop keeping their {@code .part} files and go back to the queue
 * (the next start continues them), and the two files are deleted.
 *
 * <pre>{@code
 * try (Daemon d = Daemon.start(Daemon.Settings.defaults().port(0))) {
 *     System.out.println(d.url());
 * }
 * }</pre>
 */
public final class Daemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.haul.daemon");
    /** The port when none is given (aria2 uses 6800). */
    public static final int DEFAULT_PORT = 6801;
    /** The file holding the daemon's address, in its data directory. */
    public static final String URL_FILE = "daemon.url";
    /** The file holding the daemon's process id, in its data directory. */
    public static final String PID_FILE = "daemon.pid";
    /** How long the HTTP server waits for answers in flight when it stops. */
    static final Duration STOP_GRACE = Duration.ofMillis(500);

    private final Settings settings;
    private final DownloadQueue queue;
    private final EventStreams events;
    private final Api api;
    private final Server server;
    private final URI url;
    private final String token;
    private final Aria2Socket.Sockets sockets;
    private final java.util.concurrent.CompletableFuture<Void> shutdownRequested =
            new java.util.concurrent.CompletableFuture<>();
    private volatile boolean closed;

    /**
     * What a daemon is started with; immutable, each setter returns a copy.
     *
     * @param dataDir the queue, token, pid and address files
     * @param downloadDir where jobs with a relative (or no) {@code dir} save their files
     * @param host the address to listen on
     * @param port the port, 0 for any free one
     * @param token the API token, or null to use (or make) {@code DATA/token}
     * @param maxConcurrentDownloads jobs downloading at once
     * @param maxBytesPerSecond the global speed limit, 0 for none
     * @param keepAlive how often a quiet event stream gets a comment
     * @param store the shared queue's PostgreSQL URL, or null for the SQLite queue in
     *     {@code dataDir}
     * @param worker this daemon's name in the queue's leases, or null for a unique one
     * @param connectionsPerHost the most connections to one host: over the whole fleet with a
     *     shared store, else this daemon's
     * @param lease how long a claimed job stays this daemon's without a heartbeat: how long a
     *     dead daemon's jobs wait before another daemon of the fleet takes them over
     */
    public record Settings(Path dataDir, Path downloadDir, String host, int port, String token,
                           int maxConcurrentDownloads, long maxBytesPerSecond,
                           Duration keepAlive, String store, String worker,
                           int connectionsPerHost, Duration lease) {
        /**
         * Checks the settings.
         *
         * @param dataDir the data directory
         * @param downloadDir the download directory
         * @param host the address
         * @param port the port
         * @param token the token or null
         * @param maxConcurrentDownloads the concurrency
         * @param maxBytesPerSecond the global limit
         * @param keepAlive the keep-alive interval
         * @param store the PostgreSQL URL or null
         * @param worker the daemon's name or null
         * @param connectionsPerHost the per-host connection cap
         * @param lease the lease
         */
        public Settings {
            Objects.requireNonNull(lease, "lease");
            if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("lease shorter than 1 s: " + lease);
            }
            if (connectionsPerHost < 1) {
                throw new IllegalArgumentException("connections per host < 1: "
                        + connectionsPerHost);
            }
            if (worker != null && (worker.isBlank() || worker.length() > 200)) {
                throw new IllegalArgumentException("a worker name is 1 to 200 characters");
            }
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(downloadDir, "downloadDir");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(keepAlive, "keepAlive");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range 0..65535: " + port);
            }
            if (maxConcurrentDownloads < 1
                    || maxConcurrentDownloads > DownloadQueue.MAX_CONCURRENT_DOWNLOADS) {
                throw new IllegalArgumentException("concurrency out of range 1.."
                        + DownloadQueue.MAX_CONCURRENT_DOWNLOADS + ": " + maxConcurrentDownloads);
            }
            if (maxBytesPerSecond < 0) {
                throw new IllegalArgumentException("maxBytesPerSecond < 0: " + maxBytesPerSecond);
            }
            if (token != null) {
                TokenFile.check(token);
            }
            dataDir = dataDir.toAbsolutePath().normalize();
            downloadDir = downloadDir.toAbsolutePath().normalize();
        }

        /**
         * The defaults: the XDG data directory, {@code ~/Downloads}, {@code 127.0.0.1:6801},
         * the token from the data directory, 3 downloads at once, no speed limit.
         *
         * @return the default settings
         */
        public static Settings defaults() {
            return new Settings(SqliteJobStore.defaultDirectory(),
                    Path.of(System.getProperty("user.home"), "Downloads"), "127.0.0.1",
                    DEFAULT_PORT, null, 3, 0, EventStreams.KEEP_ALIVE, null, null, 8,
                    Duration.ofSeconds(30));
        }

        /**
         * These settings with another data directory.
         *
         * @param dir the data directory
         * @return the new settings
         */
        public Settings dataDir(Path dir) {
            return new Settings(dir, downloadDir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings with another download directory.
         *
         * @param dir the download directory
         * @return the new settings
         */
        public Settings downloadDir(Path dir) {
            return new Settings(dataDir, dir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings with another address.
         *
         * @param host the address to listen on
         * @param port the port, 0 for any free one
         * @return the new settings
         */
        public Settings listen(String host, int port) {
            return new Settings(dataDir, downloadDir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings with another port.
         *
         * @param port the port, 0 for any free one
         * @return the new settings
         */
        public Settings port(int port) {
            return listen(host, port);
        }

        /**
         * These settings with an explicit token.
         *
         * @param token the token, or null for the data directory's
         * @return the new settings
         */
        public Settings token(String token) {
            return new Settings(dataDir, downloadDir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings with other limits.
         *
         * @param concurrency jobs downloading at once
         * @param bytesPerSecond the global speed limit, 0 for none
         * @return the new settings
         */
        public Settings limits(int concurrency, long bytesPerSecond) {
            return new Settings(dataDir, downloadDir, host, port, token, concurrency,
                    bytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings on a shared queue: several daemons on one PostgreSQL database.
         *
         * @param store the PostgreSQL URL, or null for the SQLite queue in the data directory
         * @param worker this daemon's name in leases, or null for a unique one
         * @param connectionsPerHost the most connections to one host, over the whole fleet
         * @return the new settings
         */
        public Settings fleet(String store, String worker, int connectionsPerHost) {
            return new Settings(dataDir, downloadDir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings with another lease (default 30 s).
         *
         * @param lease how long a claim holds without a heartbeat, at least 1 s
         * @return the new settings
         */
        public Settings lease(Duration lease) {
            return new Settings(dataDir, downloadDir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, keepAlive, store, worker, connectionsPerHost, lease);
        }

        /**
         * These settings with another keep-alive interval for event streams.
         *
         * @param interval the interval
         * @return the new settings
         */
        public Settings keepAlive(Duration interval) {
            return new Settings(dataDir, downloadDir, host, port, token, maxConcurrentDownloads,
                    maxBytesPerSecond, interval, store, worker, connectionsPerHost, lease);
        }
    }

    private Daemon(Settings settings, DownloadQueue queue, String token) throws Exception {
        this.settings = settings;
        this.queue = queue;
        this.token = token;
        this.events = new EventStreams(queue, settings.keepAlive());
        this.api = new Api(queue, events, token, settings.downloadDir());
        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("haul-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        this.sockets = new Aria2Socket.Sockets(queue);
        Aria2Rpc rpc = new Aria2Rpc(queue, token, settings.downloadDir(), this::shutdownSoon);
        api.jsonRpc(rpc);
        server.setHandler(Aria2Socket.handler(server, rpc, sockets, api));
        server.setErrorHandler(new JsonErrors());
        // a graceful stop lets answers in flight finish; it then waits for every connection to
        // close, and clients keep idle ones open, so it is kept short
        server.setStopTimeout(STOP_GRACE.toMillis());
        server.start();
        String host = settings.host().contains(":") ? "[" + settings.host() + "]"
                : settings.host();
        this.url = URI.create("http://" + host + ":" + connector.getLocalPort() + "/");
    }

    /**
     * Starts a daemon: opens (locks) the queue, listens, writes the pid and address files.
     *
     * @param settings what to start with
     * @return the running daemon
     * @throws IOException if the data directory or token cannot be written, or the port is taken
     * @throws IllegalStateException if the address is not loopback and no token was set
     * @throws dev.haul.queue.QueueException {@code LOCKED} if another daemon has the queue
     */
    public static Daemon start(Settings settings) throws IOException {
        boolean loopback = isLoopback(settings.host());
        if (!loopback && settings.token() == null) {
            throw new IllegalStateException("listening on " + settings.host() + " makes the queue "
                    + "reachable from the network: set the token explicitly (--token or "
                    + "HAUL_TOKEN)");
        }
        OwnerOnlyFiles.createDirectories(settings.dataDir());
        String token = settings.token();
        if (token == null) {
            token = TokenFile.loadOrCreate(settings.dataDir());
        } else {
            TokenFile.write(settings.dataDir(), token);
        }
        JobStore store = settings.store() == null ? SqliteJobStore.open(settings.dataDir())
                : PostgresJobStore.open(settings.store(), settings.connectionsPerHost());
        DownloadQueue.Builder b = DownloadQueue.builder(store)
                .maxConcurrentDownloads(settings.maxConcurrentDownloads())
                .maxBytesPerSecond(settings.maxBytesPerSecond())
                .lease(settings.lease())
                .manager(DownloadManager.builder()
                        .maxConnectionsPerHost(settings.connectionsPerHost()));
        if (settings.worker() != null) {
            b.owner(settings.worker());
        }
        DownloadQueue queue;
        try {
            queue = b.build();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        Daemon daemon;
        try {
            daemon = new Daemon(settings, queue, token);
        } catch (Exception e) {
            queue.close();
            throw e instanceof IOException io ? io : new IOException("cannot listen on "
                    + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
        }
        try {
            OwnerOnlyFiles.write(settings.dataDir().resolve(URL_FILE),
                    (daemon.url + "\n").getBytes(StandardCharsets.US_ASCII));
            OwnerOnlyFiles.write(settings.dataDir().resolve(PID_FILE),
                    (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            daemon.close();
            throw e;
        }
        if (!loopback) {
            LOG.log(System.Logger.Level.WARNING, "*** the daemon listens on " + settings.host()
                    + ": the queue is reachable from the network, guarded by the token only ***");
        }
        LOG.log(System.Logger.Level.INFO, "listening on " + daemon.url + ", queue in "
                + (store instanceof PostgresJobStore pg ? pg.location() + " (shared; "
                        + settings.connectionsPerHost() + " connections per host over the fleet)"
                        : settings.dataDir().toString()));
        return daemon;
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The daemon's base URL, such as {@code http://127.0.0.1:6801/}.
     *
     * @return the URL
     */
    public URI url() {
        return url;
    }

    /**
     * The API token.
     *
     * @return the token
     */
    public String token() {
        return token;
    }

    /**
     * The settings it was started with.
     *
     * @return the settings
     */
    public Settings settings() {
        return settings;
    }

    /**
     * This daemon's name in the queue's leases: a job's {@code worker} while it runs it.
     *
     * @return the name
     */
    public String worker() {
        return queue.worker();
    }

    /** The queue it serves, for tests in this package. */
    DownloadQueue queue() {
        return queue;
    }

    /** The HTTP server, for tests in this package. */
    Server server() {
        return server;
    }

    /** The API's handler, for tests in this package. */
    Api api() {
        return api;
    }

    /** How many event streams are open, for tests in this package. */
    int openEventStreams() {
        return events.open();
    }

    /**
     * Completes when a client asked the daemon to stop (aria2's {@code shutdown}): whoever runs
     * the daemon then closes it, as on SIGTERM.
     *
     * @return the request to stop
     */
    public java.util.concurrent.CompletableFuture<Void> shutdownRequested() {
        return shutdownRequested;
    }

    private void shutdownSoon() {
        shutdownRequested.complete(null);
    }

    /**
     * Stops gracefully (see the class comment). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        api.stopping();
        events.close();
        sockets.close();
        queue.close();
        try {
            server.stop();
        } catch (java.util.concurrent.TimeoutException e) {
            // idle keep-alive connections outlived the grace period: closed all the same
            LOG.log(System.Logger.Level.DEBUG, "connections still open after the grace period");
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the HTTP server: " + e);
        }
        try {
            Files.deleteIfExists(settings.dataDir().resolve(URL_FILE));
            Files.deleteIfExists(settings.dataDir().resolve(PID_FILE));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete the pid or address file: " + e);
        }
        LOG.log(System.Logger.Level.INFO, "stopped");
    }
}
