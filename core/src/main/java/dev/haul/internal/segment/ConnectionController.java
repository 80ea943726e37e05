package dev.haul.internal.segment;

/**
 * How many connections a download uses. Fixed: all at once. Adaptive: slow start, as TCP grows
 * its window. Begin with one connection; measure the throughput over a window of
 * {@link #WINDOW_NANOS} with every wanted connection running; then judge the last step by what
 * the connections it added brought, compared with what an average connection brought before:
 *
 * <ul>
 *   <li>at least {@link #LINEAR} of an average connection each (the server or the path caps each
 *       connection, so more connections mean more speed): double the count (1, 2, 4, 8...);
 *   <li>at least {@link #WORTH} each: add one more;
 *   <li>less: the step did not pay. Go back to the count before it and stop there, or, when the
 *       step added several connections, go on one at a time from the count before it. But when
 *       one of the running connections is much slower than the others (see
 *       {@link SegmentedBody#SLOW_SHARE}), that one connection may be to blame rather than the
 *       count: keep it (its range is already being handed to the others) and probe one more, at
 *       most {@link #OUTLIER_PROBES} times.
 * </ul>
 * A fast server that one connection saturates therefore keeps one; a server that caps each
 * connection gets the cap in a few windows; one slow connection does not stop the growth. A
 * fixed rule of "15 % more in total" would refuse the 8th connection even on a server that caps
 * each one (8/7 is 14 % more). Pure logic on a clock the caller passes: every decision is
 * testable.
 */
final class ConnectionController {
    /** Added connections each bringing this share of an average one are worth keeping. */
    static final double WORTH = 1.0 / 3;
    /** Added connections each bringing this share of an average one: grow by doubling. */
    static final double LINEAR = 0.75;
    /** Throughput is measured over windows this long (and never on less). */
    static final long WINDOW_NANOS = 500_000_000L;
    /** Steps that did not pay but had a slow connection to blame, probed past at most. */
    static final int OUTLIER_PROBES = 2;

    private final int cap;
    private final boolean adaptive;
    private long windowStart = -1;
    private long windowBytes;
    /** The throughput measured with {@link #previousCount} connections; -1 before any. */
    private double previousRate = -1;
    private int previousCount;
    /** After a doubling that did not pay: grow one at a time. */
    private boolean oneAtATime;
    private int outlierProbes;
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

    /** As {@link #tick(long, long, int, boolean)}, with no connection much slower than others. */
    int tick(long nowNanos, long bytesDone, int running) {
        return tick(nowNanos, bytesDone, running, false);
    }

    /**
     * Called at every tick with the body bytes done so far, the connections running and whether
     * one of them is much slower than the others; returns the connections wanted from now on.
     */
    int tick(long nowNanos, long bytesDone, int running, boolean slowOutlier) {
        if (!adaptive || settled) {
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
        windowStart = nowNanos;
        windowBytes = bytesDone;
        if (previousRate < 0) {
            return step(rate, target + 1);
        }
        int added = target - previousCount;
        double average = previousRate / previousCount;
        double gained = rate - previousRate;
        if (gained >= added * average * LINEAR && !oneAtATime) {
            return step(rate, target * 2);
        }
        if (gained >= added * average * WORTH) {
            return step(rate, target + 1);
        }
        if (slowOutlier && outlierProbes < OUTLIER_PROBES) {
            outlierProbes++;
            return step(rate, target + 1); // the slow one may be to blame: look past it
        }
        if (added > 1) {
            oneAtATime = true; // half of that jump may pay: go on one at a time
            return step(previousRate, previousCount + 1, previousCount);
        }
        target = previousCount; // the last one did not help: go back and stay
        settled = true;
        return target;
    }

    private int step(double rate, int next) {
        return step(rate, next, target);
    }

    private int step(double rate, int next, int measured) {
        previousRate = rate;
        previousCount = measured;
        target = Math.min(cap, next);
        if (target == measured) {
            settled = true; // at the cap
        }
        return target;
    }

    /** A server refused a connection (503, 429, a reset on connect): want one fewer, for good. */
    void refused(int running) {
        target = Math.max(1, Math.min(target, running - 1));
        settled = true;
    }
}
