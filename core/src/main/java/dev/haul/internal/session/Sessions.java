package dev.haul.internal.session;

import dev.haul.TimeSource;
import dev.haul.internal.http.HttpTransport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The session lifecycle of one manager. A session is one transport with its pool of keep-alive
 * connections: created by the first download, shared by all that run while it lives, released
 * after an idle period with none in flight, or at once on request.
 *
 * <p>A released ("retired") session is never handed out again; downloads still running on it
 * finish normally and the last one to end closes it.
 */
public final class Sessions {
    private final Supplier<HttpTransport> factory;
    private final TimeSource time;
    private final long idleNanos;
    private final Executor closer;
    private final Object lock = new Object();

    // Guarded by lock.
    private Session current;
    private TimeSource.Cancellable idleRelease;
    private long generation;

    /** A live transport and the downloads using it. */
    public static final class Session {
        private final HttpTransport transport;
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        // Guarded by the Sessions lock.
        private int inFlight;
        private boolean retired;

        Session(HttpTransport transport) {
            this.transport = transport;
        }

        public HttpTransport transport() {
            return transport;
        }
    }

    /**
     * @param closer runs the closing of a transport, which may wait for exchanges to wind down
     */
    public Sessions(Supplier<HttpTransport> factory, TimeSource time, long idleNanos,
            Executor closer) {
        this.factory = factory;
        this.time = time;
        this.idleNanos = idleNanos;
        this.closer = closer;
    }

    /** The live session, created if needed, with one more download counted in flight. */
    public Session acquire() {
        synchronized (lock) {
            if (current == null) {
                current = new Session(factory.get());
            }
            if (idleRelease != null) {
                idleRelease.cancel();
                idleRelease = null;
            }
            generation++;
            current.inFlight++;
            return current;
        }
    }

    /** One download on {@code session} ended. */
    public void release(Session session) {
        boolean closeNow = false;
        long gen;
        synchronized (lock) {
            session.inFlight--;
            if (session.inFlight > 0) {
                return;
            }
            if (session.retired) {
                closeNow = true;
            } else if (session != current) {
                return;
            }
            gen = generation;
        }
        if (closeNow) {
            closeAsync(session);
            return;
        }
        // Scheduled outside the lock: a time source may run the task at once.
        TimeSource.Cancellable task = time.schedule(() -> releaseIfIdle(gen), idleNanos);
        synchronized (lock) {
            if (generation == gen && current == session) {
                idleRelease = task;
                return;
            }
        }
        task.cancel(); // another download took the session meanwhile
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
            closeAsync(idle);
        }
    }

    public boolean active() {
        synchronized (lock) {
            return current != null;
        }
    }

    /** Retires the live session; completes when it has closed. */
    public CompletableFuture<Void> releaseNow() {
        Session s;
        boolean closeNow;
        synchronized (lock) {
            s = current;
            if (s == null) {
                return CompletableFuture.completedFuture(null);
            }
            current = null;
            if (idleRelease != null) {
                idleRelease.cancel();
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
        Runnable close = () -> {
            try {
                s.transport.close();
            } finally {
                s.closed.complete(null);
            }
        };
        try {
            closer.execute(close);
        } catch (RuntimeException e) { // the manager's threads are gone: close here
            close.run();
        }
    }
}
