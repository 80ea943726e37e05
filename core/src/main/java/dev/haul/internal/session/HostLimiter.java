package dev.haul.internal.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Admits downloads under a global limit ({@code maxConcurrentDownloads}) and each origin's
 * connection limit ({@code maxConnectionsPerHost}). A download is admitted with one connection to
 * its origin; a download that wants more (segments) asks with {@link #tryAcquireConnection}, which
 * never waits. Waiting downloads hold a future, not a thread, and are admitted in arrival order as
 * far as their origin's limit allows.
 *
 * <p>Both transports open one HTTP/1.1 connection per exchange in flight, so counting exchanges
 * in flight per origin counts connections. (The JDK client also fails HTTP/2 requests above the
 * server's stream limit, JDK-8225647; this is the bound it lacks.)
 */
public final class HostLimiter {
    private final int maxTotal;
    private final int maxPerOrigin;
    private final Object lock = new Object();

    // Guarded by lock.
    private int running;
    private final Map<String, Integer> perOrigin = new HashMap<>();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    private record Waiter(String origin, CompletableFuture<Runnable> admitted) {
    }

    public HostLimiter(int maxTotal, int maxPerOrigin) {
        this.maxTotal = maxTotal;
        this.maxPerOrigin = maxPerOrigin;
    }

    /**
     * Completes with the release action once admitted. Cancelling the returned future while
     * waiting gives up the place in the queue.
     */
    public CompletableFuture<Runnable> acquire(String origin) {
        CompletableFuture<Runnable> admitted = new CompletableFuture<>();
        boolean now;
        synchronized (lock) {
            now = queue.isEmpty() && canRun(origin);
            if (now) {
                take(origin);
            } else {
                queue.add(new Waiter(origin, admitted));
            }
        }
        if (now) {
            admitted.complete(releaser(origin));
        } else {
            var unused = admitted.whenComplete((r, t) -> {
                if (t != null) {
                    synchronized (lock) {
                        queue.removeIf(w -> w.admitted == admitted);
                    }
                }
            });
        }
        return admitted;
    }

    /**
     * One more connection to {@code origin} for a download already admitted, if the origin's limit
     * allows it now; null otherwise. Never waits. The returned action gives it back.
     */
    public Runnable tryAcquireConnection(String origin) {
        synchronized (lock) {
            if (perOrigin.getOrDefault(origin, 0) >= maxPerOrigin) {
                return null;
            }
            perOrigin.merge(origin, 1, Integer::sum);
        }
        java.util.concurrent.atomic.AtomicBoolean once =
                new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (once.compareAndSet(false, true)) {
                releaseConnection(origin);
            }
        };
    }

    private void releaseConnection(String origin) {
        synchronized (lock) {
            running++; // release() below takes one download and one connection back
        }
        release(origin);
    }

    private Runnable releaser(String origin) {
        java.util.concurrent.atomic.AtomicBoolean once =
                new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (once.compareAndSet(false, true)) {
                release(origin);
            }
        };
    }

    private void release(String origin) {
        List<Waiter> admit = new ArrayList<>();
        synchronized (lock) {
            running--;
            perOrigin.merge(origin, -1, Integer::sum);
            if (perOrigin.get(origin) <= 0) {
                perOrigin.remove(origin);
            }
            for (Iterator<Waiter> it = queue.iterator(); it.hasNext() && running < maxTotal; ) {
                Waiter w = it.next();
                if (canRun(w.origin)) {
                    it.remove();
                    take(w.origin);
                    admit.add(w);
                }
            }
        }
        // Completing runs the waiter's continuation: outside the lock.
        for (Waiter w : admit) {
            if (!w.admitted.complete(releaser(w.origin))) {
                release(w.origin); // cancelled meanwhile: pass the place on
            }
        }
    }

    private boolean canRun(String origin) {
        return running < maxTotal && perOrigin.getOrDefault(origin, 0) < maxPerOrigin;
    }

    private void take(String origin) {
        running++;
        perOrigin.merge(origin, 1, Integer::sum);
    }
}
