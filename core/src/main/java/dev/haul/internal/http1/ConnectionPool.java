package dev.haul.internal.http1;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Idle keep-alive connections by {@link PoolKey}: the only state exchanges share, so one lock
 * around small deques is all the locking the transport does, and it is never held while a
 * socket is touched.
 *
 * <p>Each deque is most-recently-used first: a request takes the connection that went idle last,
 * the one least likely to have been closed by the server, and the oldest ones age out at the
 * tail. With no thread of its own, the pool drops expired connections when it is next used.
 */
final class ConnectionPool {
    /**
     * How long a connection may sit idle. Servers close idle connections after 5-75 s (nginx 75,
     * Apache 5, most CDNs 15-60); 30 s reuses most of them while rarely racing the server's close.
     */
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * Most idle connections kept per key: more than any segmented download uses at once to one
     * server, and few enough that a burst does not leave hundreds of sockets open.
     */
    static final int MAX_IDLE_PER_KEY = 16;
    /** How often a release looks through every key for expired connections. */
    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final LongSupplier clock;
    private final int maxIdlePerKey;
    private final Map<PoolKey, ArrayDeque<Connection>> idle = new HashMap<>();
    private boolean closed;
    private long nextSweep;

    ConnectionPool(LongSupplier clock) {
        this(clock, MAX_IDLE_PER_KEY);
    }

    /** A pool keeping at most {@code maxIdlePerKey} idle connections per key; 0 keeps none. */
    ConnectionPool(LongSupplier clock, int maxIdlePerKey) {
        this.clock = clock;
        this.maxIdlePerKey = maxIdlePerKey;
        this.nextSweep = clock.getAsLong() + SWEEP_NANOS;
    }

    /**
     * An idle connection for {@code key} that has passed its checks (not expired, quiet, in the
     * I/O mode the caller needs), or null. Connections that fail a check are closed.
     */
    Connection acquire(PoolKey key, boolean virtualThread) {
        long now = 0;
        boolean haveNow = false;
        while (true) {
            Connection c;
            synchronized (this) {
                ArrayDeque<Connection> deque = idle.get(key);
                if (deque == null) {
                    return null;
                }
                c = deque.pollFirst();
                if (deque.isEmpty()) {
                    idle.remove(key);
                }
            }
            if (!haveNow) {
                now = clock.getAsLong();
                haveNow = true;
            }
            if (now - c.idleSinceNanos <= IDLE_NANOS && c.probeIdle()) {
                try {
                    c.adaptTo(virtualThread);
                    return c;
                } catch (IOException e) {
                    // fall through: a connection we cannot switch is as good as stale
                }
            }
            c.close();
        }
    }

    /** Takes back a connection whose exchange ended cleanly; closes it when it cannot be kept. */
    void release(Connection c) {
        long now = clock.getAsLong();
        c.idleSinceNanos = now;
        List<Connection> evicted = null;
        synchronized (this) {
            if (closed || maxIdlePerKey == 0) {
                evicted = List.of(c);
            } else {
                ArrayDeque<Connection> deque = idle.computeIfAbsent(c.key, k -> new ArrayDeque<>());
                deque.addFirst(c);
                if (deque.size() > maxIdlePerKey) {
                    evicted = new ArrayList<>(List.of(deque.pollLast()));
                }
                if (now - nextSweep >= 0) {
                    nextSweep = now + SWEEP_NANOS;
                    evicted = sweep(now, evicted);
                }
            }
        }
        if (evicted != null) {
            for (Connection e : evicted) {
                e.close();
            }
        }
    }

    private List<Connection> sweep(long now, List<Connection> evicted) {
        Iterator<ArrayDeque<Connection>> deques = idle.values().iterator();
        while (deques.hasNext()) {
            ArrayDeque<Connection> deque = deques.next();
            while (!deque.isEmpty() && now - deque.peekLast().idleSinceNanos > IDLE_NANOS) {
                if (evicted == null) {
                    evicted = new ArrayList<>();
                }
                evicted.add(deque.pollLast());
            }
            if (deque.isEmpty()) {
                deques.remove();
            }
        }
        return evicted;
    }

    /** Closes every idle connection; later releases close their connection instead. */
    void close() {
        List<Connection> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (ArrayDeque<Connection> deque : idle.values()) {
                all.addAll(deque);
            }
            idle.clear();
        }
        for (Connection c : all) {
            c.close();
        }
    }

    /** Idle connections for {@code key}, for tests. */
    synchronized int idleCount(PoolKey key) {
        ArrayDeque<Connection> deque = idle.get(key);
        return deque == null ? 0 : deque.size();
    }

    /** Idle connections in all, for tests. */
    synchronized int idleCount() {
        int n = 0;
        for (ArrayDeque<Connection> deque : idle.values()) {
            n += deque.size();
        }
        return n;
    }
}
