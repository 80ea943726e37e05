package dev.haul.internal.segment;

/**
 * How many connections a download uses. Fixed: all at once. Adaptive: slow start, as TCP grows
 * its window. Begin with one connection; measure the throughput over a window (at least
 * {@link #WINDOW_NANOS}, and at least {@link #SETUP_WINDOWS} times the slowest connection's time
 * to its first byte, so that on a long path TCP's own ramp of a new connection is not held
 * against it) with every wanted connection flowing; then judge the last step by what the
 * connections it added brought, compared with what an average connection brought before:
 *
 * <ul>
 *   <li>the first step adds one connection: one window of one connection says nothing about
 *       whether a second would help, and a server that one connection saturates must not see
 *       more than two;
 *   <li>at least {@link #LINEAR} of an average connection each (the server or the path caps each
 *       connection, so more connections mean more speed): multiply the count by {@link #FACTOR}
 *       (1, 2, 8, 16...), so a capped server gets the cap within a second;
 *   <li>a jump of several connections that did not scale: the knee is inside it. Go to the count
 *       the measured total is worth at the old average (at least one more than before the jump)
 *       and go on one at a time from there;
 *   <li>one added connection bringing at least {@link #WORTH} of an average one: add one more;
 *   <li>less: the step did not pay. Go back to the count before it. But when one of the running
 *       connections is known to be much slower than the others (see
 *       {@link SegmentedBody#SLOW_SHARE}), that one connection may be to blame rather than the
 *       count: keep it (its range is already being handed to the others) and probe one more, at
 *       most {@link #OUTLIER_PROBES} times.
 * </ul>
 * A step that did not pay is tried again later, {@link #REPROBES} times, after
 * {@link #REPROBE_NANOS} and then twice as long, from a fresh measurement of the count before it:
 * the connection it added may have been a slow one (a shaped flow, a bad path) that a window
 * this short cannot tell from a saturated server, and a new connection usually is not. A server
 * that one connection saturates sees a second connection for a window now and then, no more.
 * A fast server that one connection saturates therefore keeps one (or two); a server that caps
 * each connection gets the cap in three windows; one slow connection does not stop the growth.
 * Short windows and quick jumps matter because every window spent below the cap is lost time:
 * doubling in half-second windows cost 1.5 s of a 1 GiB download that 16 capped connections
 * fetch in 4.5 s (bench/README.md, issue 11). Pure logic on a clock the caller passes: every
 * decision is testable.
 */
final class ConnectionController {
    /** Added connections each bringing this share of an average one are worth keeping. */
    static final double WORTH = 1.0 / 3;
    /** Added connections each bringing this share of an average one: grow by {@link #FACTOR}. */
    static final double LINEAR = 0.75;
    /** How much the count grows after a step that scaled. */
    static final int FACTOR = 4;
    /** Throughput is measured over windows at least this long. */
    static final long WINDOW_NANOS = 200_000_000L;
    /** ... and at least this many times the slowest new connection's time to first byte. */
    static final int SETUP_WINDOWS = 4;
    /**
     * The first window opens this long after the body starts, so that it does not begin with the
     * opening connection's first burst (a shaped server's allowance: nginx's {@code limit_rate}
     * lets a request's first second's worth go at once).
     */
    static final long WARMUP_NANOS = 50_000_000L;
    /** Steps that did not pay but had a slow connection to blame, probed past at most. */
    static final int OUTLIER_PROBES = 2;
    /** A step that did not pay is tried again this many times... */
    static final int REPROBES = 2;
    /** ... first after this long, then after twice as long. */
    static final long REPROBE_NANOS = 1_000_000_000L;

    private final int cap;
    private final boolean adaptive;
    private long notBefore = Long.MIN_VALUE;
    private long windowStart = -1;
    private long windowBytes;
    /** The throughput measured with {@link #previousCount} connections; -1 before any. */
    private double previousRate = -1;
    private int previousCount;
    /** After a jump that did not scale: grow one at a time. */
    private boolean oneAtATime;
    private int outlierProbes;
    private int reprobes;
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

    /** The body starts now: the first window opens after {@link #WARMUP_NANOS}. */
    void begin(long nowNanos) {
        notBefore = nowNanos + WARMUP_NANOS;
    }

    /** Whether the count may still change by measurement (the caller then ticks often). */
    boolean searching() {
        return adaptive && !settled;
    }

    /** As {@link #tick(long, long, int, boolean, long)}: no slow connection, no setup time. */
    int tick(long nowNanos, long bytesDone, int flowing) {
        return tick(nowNanos, bytesDone, flowing, false, 0);
    }

    /**
     * Called at every tick with the body bytes done so far, the connections flowing (their
     * responses accepted), whether one of them is much slower than the others, and the longest
     * time a flowing connection took to its first byte; returns the connections wanted from now
     * on.
     */
    int tick(long nowNanos, long bytesDone, int flowing, boolean slowOutlier,
            long setupNanos) {
        if (!adaptive || settled || nowNanos - notBefore < 0) {
            return target;
        }
        if (windowStart < 0 || flowing < target) {
            windowStart = nowNanos; // a window counts only while all wanted connections flow
            windowBytes = bytesDone;
            return target;
        }
        long elapsed = nowNanos - windowStart;
        if (elapsed < Math.max(WINDOW_NANOS, SETUP_WINDOWS * setupNanos)) {
            return target;
        }
        double rate = (bytesDone - windowBytes) * 1e9 / elapsed;
        windowStart = nowNanos;
        windowBytes = bytesDone;
        if (previousRate < 0) {
            return step(rate, target + 1, target);
        }
        int added = target - previousCount;
        double average = previousRate / previousCount;
        double gained = rate - previousRate;
        if (gained >= added * average * LINEAR && !oneAtATime) {
            return step(rate, target * FACTOR, target);
        }
        if (added > 1 && !oneAtATime) {
            // The knee is inside the jump: measure the count the total is worth at the old
            // average, against the same count before the jump, then go one at a time.
            oneAtATime = true;
            int knee = average > 0 ? (int) Math.ceil(rate / average) : previousCount + 1;
            target = Math.max(previousCount + 1, Math.min(target - 1, knee));
            return target;
        }
        if (added > 1) { // at the knee's count
            if (gained >= added * average * WORTH) {
                return step(rate, target + 1, target);
            }
            target = previousCount + 1;
            return target;
        }
        if (gained >= added * average * WORTH) {
            return step(rate, target + 1, target);
        }
        if (slowOutlier && outlierProbes < OUTLIER_PROBES) {
            outlierProbes++;
            return step(rate, target + 1, target); // the slow one may be to blame: look past it
        }
        target = previousCount; // the last one did not help: go back
        if (reprobes < REPROBES) { // and try again later, from a fresh measurement
            notBefore = nowNanos + (REPROBE_NANOS << reprobes);
            reprobes++;
            previousRate = -1;
            windowStart = -1;
            oneAtATime = false;
        } else {
            settled = true;
        }
        return target;
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
