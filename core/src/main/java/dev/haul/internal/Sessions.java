package dev.haul.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * The session lifecycle of one manager: created by the first download, shared by all that run
 * while it lives, released after an idle period with none in flight, or at once on request.
 *
 * <p>A released ("retired") session is never handed out again; downloads still running on it
 * finish normally and the last one to end closes it.
 */
final class Sessions {
    private final EngineConfig config;
    private final java.util.function.BiFunction<Runnable, Long, ScheduledFuture<?>> scheduler;
    private final Object lock = new Object();

    // Guarded by lock.
    private Session current;
    private ScheduledFuture<?> idleRelease;
    private long generation;

    Sessions(EngineConfig config, java.util.function.BiFunction<Runnable, Long, ScheduledFuture<?>> scheduler) {
        this.config = config;
        this.scheduler = scheduler;
    }

    /** The live session, created if needed, with one more download counted in flight. */
    Session acquire() {
        synchronized (lock) {
            if (current == null) {
                current = new Session(config);
            }
            if (idleRelease != null) {
                idleRelease.cancel(false);
                idleRelease = null;
            }
            generation++;
            current.inFlight++;
            return current;
        }
    }

    /** One download on {@code session} ended. */
    void release(Session session) {
        boolean closeNow = false;
        synchronized (lock) {
            session.inFlight--;
            if (session.inFlight > 0) {
                return;
            }
            if (session.retired) {
                closeNow = true;
            } else if (session == current) {
                long gen = generation;
                long delay = config.sessionIdleTimeout().toNanos();
                idleRelease = scheduler.apply(() -> releaseIfIdle(gen), delay);
            }
        }
        if (closeNow) {
            closeAsync(session);
        }
    }

    private void releaseIfIdle(long gen) {
        Session idle = null;
        synchronized (lock) {
            if (current != null && current.inFlight == 0 && generation == gen) {
                idle = current;
                idle.retired = true;
                current = null;
                idleRelease = null;
            }
        }
        if (idle != null) {
            idle.release();
        }
    }

    boolean active() {
        synchronized (lock) {
            return current != null;
        }
    }

    /** Retires the live session; completes when it has closed. */
    CompletableFuture<Void> releaseNow() {
        Session s;
        boolean closeNow;
        synchronized (lock) {
            s = current;
            if (s == null) {
                return CompletableFuture.completedFuture(null);
            }
            current = null;
            if (idleRelease != null) {
                idleRelease.cancel(false);
                idleRelease = null;
            }
            s.retired = true;
            closeNow = s.inFlight == 0;
        }
        if (closeNow) {
            closeAsync(s);
        }
        return s.closed;
    }

    private void closeAsync(Session s) {
        // HttpClient.close() waits for exchanges to wind down: never on a caller's thread.
        Thread t = new Thread(s::release, "haul-session-close-" + s.id);
        t.setDaemon(true);
        t.start();
    }
}
