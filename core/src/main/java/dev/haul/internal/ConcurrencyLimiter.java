package dev.haul.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Admits downloads under a global limit and a per-origin limit. Waiting downloads hold a future,
 * not a thread, and are admitted in arrival order as far as their origin's limit allows.
 *
 * <p>The JDK client opens one HTTP/1.1 connection per concurrent request and fails HTTP/2
 * requests above the server's stream limit (JDK-8225647); this is the bound it lacks.
 */
final class ConcurrencyLimiter {
    private final int maxTotal;
    private final int maxPerOrigin;
    private final Object lock = new Object();

    // Guarded by lock.
    private int running;
    private final Map<String, Integer> perOrigin = new HashMap<>();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    private record Waiter(String origin, CompletableFuture<Runnable> admitted) {
    }

    ConcurrencyLimiter(int maxTotal, int maxPerOrigin) {
        this.maxTotal = maxTotal;
        this.maxPerOrigin = maxPerOrigin;
    }

    /**
     * Completes with the release action once admitted. Cancelling the returned future while
     * waiting gives up the place in the queue.
     */
    CompletableFuture<Runnable> acquire(String origin) {
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
            admitted.whenComplete((r, t) -> {
                if (t != null) {
                    synchronized (lock) {
                        queue.removeIf(w -> w.admitted == admitted);
                    }
                }
            });
        }
        return admitted;
    }

    private Runnable releaser(String origin) {
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
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
