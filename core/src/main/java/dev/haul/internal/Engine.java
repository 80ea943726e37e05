package dev.haul.internal;

import dev.haul.DownloadRequest;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The machinery behind one {@code DownloadManager}: its session, its limits, one timer thread
 * for stall checks, backoff waits and idle release, and the set of running transfers.
 */
public final class Engine {
    private final EngineConfig config;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Sessions sessions;
    private final ConcurrencyLimiter limiter;
    private final Set<Transfer> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public Engine(EngineConfig config) {
        this.config = config;
        this.scheduler = new ScheduledThreadPoolExecutor(1, Session.daemonThreads("haul-timer-"));
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setKeepAliveTime(500, TimeUnit.MILLISECONDS);
        scheduler.allowCoreThreadTimeOut(true); // no thread while nothing is scheduled
        this.sessions = new Sessions(config, this::schedule);
        this.limiter = new ConcurrencyLimiter(config.maxConcurrentDownloads(), config.maxConnectionsPerHost());
    }

    public Transfer start(DownloadRequest request) {
        if (closed) {
            throw new IllegalStateException("this DownloadManager is closed");
        }
        Transfer t = new Transfer(this, request);
        running.add(t);
        t.start();
        return t;
    }

    public boolean sessionActive() {
        return sessions.active();
    }

    public CompletableFuture<Void> releaseSession() {
        return sessions.releaseNow();
    }

    /** Cancels every transfer, releases the session and stops the timer thread. */
    public void close() {
        closed = true;
        for (Transfer t : List.copyOf(running)) {
            t.result().cancel(true);
        }
        sessions.releaseNow();
        scheduler.shutdownNow(); // pending waits belong to the transfers just cancelled
    }

    /** Runs {@code task} after {@code delayNanos}; null once the manager is closed. */
    ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closed: whatever wanted the timer has been cancelled
        }
    }

    boolean closed() {
        return closed;
    }

    EngineConfig config() {
        return config;
    }

    Sessions sessions() {
        return sessions;
    }

    ConcurrencyLimiter limiter() {
        return limiter;
    }

    void finished(Transfer t) {
        running.remove(t);
    }
}
