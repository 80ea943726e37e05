package dev.haul.internal;

import dev.haul.TimeSource;
import dev.haul.internal.http.HttpTransport;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.TransportConfig;
import dev.haul.internal.http1.Http1Transport;
import dev.haul.internal.net.TokenBucket;
import dev.haul.internal.jdkhttp.JdkTransport;
import dev.haul.internal.pipe.BufferPool;
import dev.haul.internal.session.HostLimiter;
import dev.haul.internal.session.Sessions;
import dev.haul.internal.session.SystemTime;
import dev.haul.internal.session.Threads;
import dev.haul.internal.sink.FileOps;
import dev.haul.internal.transfer.Transfer;
import dev.haul.internal.transfer.TransferContext;
import dev.haul.internal.transfer.TransferEvents;
import dev.haul.internal.transfer.TransferSpec;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The machinery behind one {@code DownloadManager}: its threads, its clock, its session, its
 * limits, and the set of running transfers. It owns every thread a download uses, and
 * {@link #close()} ends them.
 */
public final class Engine implements TransferContext {
    /** How long {@link #close()} waits for cancelled transfers to release their files. */
    private static final long CLOSE_WAIT_NANOS = 2_000_000_000L;
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final ThreadLocal<Engine> RUNNING_ON = new ThreadLocal<>();

    private final EngineConfig config;
    private final TimeSource time;
    private final SystemTime ownTime;
    private final Threads threads;
    private final BufferPool buffers;
    private final Sessions sessions;
    private final HostLimiter limiter;
    private final Map<Transfer, Runnable> running = new ConcurrentHashMap<>();
    private final TokenBucket sharedLimit;
    /**
     * Origins a server asked to be left alone (429/503 with Retry-After), until when (clock nanos).
     */
    private final Map<String, Long> pausedUntil = new ConcurrentHashMap<>();
    private final Object idle = new Object();
    private volatile boolean closed;

    public Engine(EngineConfig config) {
        this.config = config;
        String prefix = "haul-" + IDS.incrementAndGet() + "-";
        if (config.timeSource() != null) {
            this.time = config.timeSource();
            this.ownTime = null;
        } else {
            this.ownTime = new SystemTime(prefix + "timer-");
            this.time = ownTime;
        }
        this.threads = new Threads(prefix);
        // As many idle buffers as downloads usually run at once (up to 16, 4 MiB): with fewer, a
        // batch of small files allocated and zeroed a 256 KiB direct buffer for about a fifth of
        // its downloads (2,000 x 16 KiB over 8 connections: 150-420 of them; bench/README.md).
        this.buffers = new BufferPool(Math.max(2 * Runtime.getRuntime().availableProcessors(),
                Math.min(config.maxConcurrentDownloads(), 16)));
        this.sessions = new Sessions(this::newTransport, time, config.sessionIdleTimeout().toNanos(
                ),
                threads.transfers());
        this.limiter = new HostLimiter(config.maxConcurrentDownloads(),
                config.maxConnectionsPerHost());
        this.sharedLimit = new TokenBucket(config.maxBytesPerSecond(), time::nanoTime);
    }

    /** Changes the limit shared by every download, at once; 0 or less for none. */
    public void setMaxBytesPerSecond(long bytesPerSecond) {
        sharedLimit.setRate(bytesPerSecond);
    }

    /** The limit shared by every download; 0 for none. */
    public long maxBytesPerSecond() {
        return Math.max(0, sharedLimit.rate());
    }

    /** A new transfer of this engine; {@link #start} starts it. */
    public Transfer create(TransferSpec spec, TransferEvents events) {
        return new Transfer(this, spec, events);
    }

    /**
     * Registers and starts {@code t}.
     *
     * @param onClose cancels its future when the manager closes
     * @throws IllegalStateException if the manager is closed
     */
    public void start(Transfer t, Runnable onClose) {
        if (closed) {
            throw new IllegalStateException("this DownloadManager is closed");
        }
        running.put(t, onClose);
        t.start();
        if (closed) {
            onClose.run(); // closed while starting: close() may have missed it
        }
    }

    public boolean sessionActive() {
        return sessions.active();
    }

    /** Releases the session now, and lets the idle threads go with it. */
    public CompletableFuture<Void> releaseSession() {
        CompletableFuture<Void> closed = sessions.releaseNow();
        threads.trimIdle();
        return closed;
    }

    /** Whether transfers run on virtual threads. */
    public boolean virtualThreads() {
        return threads.virtual();
    }

    /**
     * Cancels every transfer, waits a little for them to release their files (not when called from
     * a transfer's own thread), releases the session and ends the manager's threads.
     */
    public void close() {
        closed = true;
        for (Runnable cancel : List.copyOf(running.values())) {
            cancel.run();
        }
        if (RUNNING_ON.get() != this) {
            long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
            synchronized (idle) {
                long left;
                while (!running.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        idle.wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        // Not awaited: the session closes its idle connections on its own time.
        var unused = sessions.releaseNow();
        threads.shutdown();
        if (ownTime != null) {
            ownTime.shutdown(); // pending waits belong to the transfers just cancelled
        }
    }

    private HttpTransport newTransport() {
        TransportConfig tc = new TransportConfig(config.connectTimeout(), config.sslContext(),
                config.insecure(),
                config.routes(), config.authenticator());
        if (config.jdkClient()) {
            return new JdkTransport(tc, config.httpVersion(), config.threads());
        }
        return new Http1Transport(tc, time::nanoTime, config.maxIdleConnectionsPerHost());
    }

    /** The route of each URI from the caller's proxy selector. */
    public static Function<URI, ProxyRoute> routes(ProxySelector selector) {
        if (selector == null) {
            return uri -> ProxyRoute.DIRECT;
        }
        return uri -> {
            List<Proxy> proxies = selector.select(uri);
            Proxy p = proxies == null || proxies.isEmpty() ? Proxy.NO_PROXY : proxies.get(0);
            if (p.type() == Proxy.Type.DIRECT || !(p.address() instanceof InetSocketAddress a)) {
                return ProxyRoute.DIRECT;
            }
            String host = a.getHostString();
            if (p.type() == Proxy.Type.HTTP) {
                return new ProxyRoute.Http(host, a.getPort(), null);
            }
            // An unresolved address asks the proxy to resolve the name (socks5h); a resolved one
            // does not.
            return new ProxyRoute.Socks5(host, a.getPort(), a.isUnresolved(), null);
        };
    }

    // ---------------------------------------------------------------- TransferContext

    @Override
    public TimeSource time() {
        return time;
    }

    @Override
    public Executor transfers() {
        Executor e = threads.transfers();
        return task -> e.execute(() -> {
            RUNNING_ON.set(this);
            try {
                task.run();
            } finally {
                RUNNING_ON.remove();
            }
        });
    }

    @Override
    public Executor hashing() {
        return threads.hashing();
    }

    @Override
    public Executor flushing() {
        return threads.flushing();
    }

    @Override
    public BufferPool buffers() {
        return buffers;
    }

    @Override
    public HostLimiter limiter() {
        return limiter;
    }

    @Override
    public Sessions sessions() {
        return sessions;
    }

    @Override
    public FileOps fileOps() {
        return config.fileOps();
    }

    @Override
    public boolean fsync() {
        return config.fsync();
    }

    @Override
    public String userAgent() {
        return config.userAgent();
    }

    @Override
    public TokenBucket sharedLimit() {
        return sharedLimit;
    }

    @Override
    public long pausedUntil(String origin) {
        Long until = pausedUntil.get(origin);
        if (until == null) {
            return time.nanoTime(); // not paused: "until now"
        }
        if (until - time.nanoTime() <= 0) {
            pausedUntil.remove(origin, until);
        }
        return until;
    }

    @Override
    public void pause(String origin, long untilNanos) {
        pausedUntil.merge(origin, untilNanos, (a, b) -> a - b >= 0 ? a : b);
    }

    @Override
    public String credentials(String host) {
        return config.credentials() == null ? null : config.credentials().apply(host);
    }

    @Override
    public EngineConfig.Cookies cookies() {
        return config.cookies();
    }

    @Override
    public boolean closed() {
        return closed;
    }

    @Override
    public void finished(Transfer transfer) {
        running.remove(transfer);
        synchronized (idle) {
            idle.notifyAll();
        }
    }

    public EngineConfig config() {
        return config;
    }
}
