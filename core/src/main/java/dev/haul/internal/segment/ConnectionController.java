package dev.haul.internal.segment;

/**
 * How many connections a download uses. Fixed: all at once. Adaptive: slow start, as TCP grows
 * its window — begin with one connection and add one while the last one added brought at least
 * {@link #GAIN} more throughput, measured over windows of {@link #WINDOW_NANOS}; once an added
 * connection brings less, stop at the count before it. A fast server that one connection
 * saturates therefore keeps one or two; a server that caps each connection gets as many as the
 * cap allows. Pure logic on a clock the caller passes: every decision is testable.
 */
final class ConnectionController {
    /** An added connection must bring this much more throughput to be worth keeping: 15 %. */
    static final double GAIN = 1.15;
    /** Throughput is measured over windows this long (and never on less). */
    static final long WINDOW_NANOS = 500_000_000L;

    private final int cap;
    private final boolean adaptive;
    private long windowStart = -1;
    private long windowBytes;
    /** The throughput measured with one connection less, bytes per second; -1 before any. */
    private double previousRate = -1;
    private boolean settled;
    private int target;

    /**
     * @param cap      the most connections
     * @param adaptive false for "cap connections from the start"
     */
    ConnectionController(int cap, boolean adaptive) {
        this.cap = Math.max(1, cap);
        this.adaptive = adaptive;
        this.target = adaptive ? 1 : this.cap;
    }

    /** Connections wanted now. */
    int target() {
        return target;
    }

    /**
     * Called at every tick with the body bytes done so far and the connections running; returns
     * the connections wanted from now on.
     */
    int tick(long nowNanos, long bytesDone, int running) {
        if (!adaptive || settled || target >= cap) {
            return target;
        }
        if (windowStart < 0 || running < target) {
            windowStart = nowNanos; // a window counts only while all wanted connections run
            windowBytes = bytesDone;
            return target;
        }
        long elapsed = nowNanos - windowStart;
        if (elapsed < WINDOW_NANOS) {
            return target;
        }
        double rate = (bytesDone - windowBytes) * 1e9 / elapsed;
        if (previousRate >= 0 && rate < previousRate * GAIN) {
            target = Math.max(1, target - 1); // the last one did not help: go back and stay
            settled = true;
            return target;
        }
        previousRate = rate;
        target++;
        windowStart = nowNanos;
        windowBytes = bytesDone;
        return target;
    }

    /** A server refused a connection (503, 429, a reset on connect): want one fewer, for good. */
    void refused(int running) {
        target = Math.max(1, Math.min(target, running - 1));
        settled = true;
    }
}
