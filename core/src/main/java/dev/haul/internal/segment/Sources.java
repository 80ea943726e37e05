package dev.haul.internal.segment;

import dev.haul.internal.resume.Validators;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The URLs one download may fetch its body from — source 0 is the request's own URL, the others
 * its mirrors — and what the download has learned about each. Shared by the transfer, which fails
 * over from one source to the next, and by the connections of a split body, which fetch from
 * several at once when that is proven safe. Knows indexes, not URLs: the transfer owns those.
 *
 * <h2>When two sources may fill one body</h2>
 * The <em>anchor</em> is the source whose response proved the body (its validators are the
 * body's). Another source may serve ranges of the same body only when proven to hold the same
 * bytes: it names the same total length, and either the caller gave an expected SHA-256
 * ({@link Proof#SAME_TOTAL}: the hash of the whole body decides, and a mismatch makes the transfer
 * start over from one source), or it sends the anchor's strong ETag ({@link Proof#SAME_ETAG}).
 * Anything else ({@link Proof#DIFFERENT}) keeps it to failover: it may serve a whole body of its
 * own, never a piece of another's.
 *
 * <h2>Which source next</h2>
 * A source that fails is down for a while (2 s, doubling per failure to 60 s), so a dead mirror
 * costs seconds. Failover takes the fastest live source not yet tried in this round; a round ends
 * when every source failed once, and the transfer's retry policy decides the wait. Connections
 * of a split body go first to a source nobody has measured yet, then to the source with the most
 * throughput per connection.
 *
 * <p>Thread-safe: every method holds the instance's lock briefly.
 */
public final class Sources {
    /** How long a failed source rests before it is tried again, doubled per failure. */
    static final long DOWN_NANOS = 2_000_000_000L;
    /** The longest rest. */
    static final long MAX_DOWN_NANOS = 60_000_000_000L;
    /** Weight of a new throughput measurement. */
    static final double RATE_WEIGHT = 0.3;

    /** What a source is known to serve, relative to the anchor. */
    public enum Proof {
        /** Not asked yet, or asked only for a whole body. */
        UNKNOWN,
        /** The anchor's strong ETag and total: ranges from it are the anchor's bytes. */
        SAME_ETAG,
        /** The same total, with an expected SHA-256 to decide once the body is whole. */
        SAME_TOTAL,
        /** Other bytes, no ranges, or a changed representation: failover only. */
        DIFFERENT
    }

    private final int count;
    private final boolean shaGiven;
    private final Proof[] proof;
    private final Validators[] validators;
    private final long[] downUntil;
    private final int[] downs;
    private final boolean[] tried;
    private final boolean[] bad;
    private final double[] rate;
    private final int[] connections;
    private int anchor;
    private boolean unvalidatedJoin;
    private boolean joins = true;

    /**
     * @param count    how many sources: 1 + the mirrors
     * @param shaGiven whether an expected SHA-256 may vouch for joined bytes: the caller gave one,
     *                 and the destination can take bytes back (not a stream, whose callback has
     *                 them at once)
     */
    public Sources(int count, boolean shaGiven) {
        if (count < 1) {
            throw new IllegalArgumentException("count < 1: " + count);
        }
        this.count = count;
        this.shaGiven = shaGiven;
        this.proof = new Proof[count];
        this.validators = new Validators[count];
        this.downUntil = new long[count];
        this.downs = new int[count];
        this.tried = new boolean[count];
        this.bad = new boolean[count];
        this.rate = new double[count];
        this.connections = new int[count];
        Arrays.fill(proof, Proof.UNKNOWN);
        Arrays.fill(validators, Validators.NONE);
        Arrays.fill(rate, -1);
    }

    /** How many sources there are. */
    public int count() {
        return count;
    }

    /** Whether an expected SHA-256 may vouch for joined bytes. */
    public boolean shaGiven() {
        return shaGiven;
    }

    /** The source whose response the body stands on. */
    public synchronized int anchor() {
        return anchor;
    }

    /**
     * The body now stands on {@code source}'s response with {@code v}: proofs made against another
     * anchor or representation no longer hold.
     */
    public synchronized void anchored(int source, Validators v, boolean newRepresentation) {
        if (source != anchor || newRepresentation) {
            Arrays.fill(proof, Proof.UNKNOWN);
        }
        anchor = source;
        validators[source] = v;
    }

    /** The representation changed or the body starts over: every proof and join is forgotten. */
    public synchronized void forgetProofs() {
        Arrays.fill(proof, Proof.UNKNOWN);
        unvalidatedJoin = false;
    }

    /** What is known of {@code source}. */
    public synchronized Proof proof(int source) {
        return proof[source];
    }

    /** What {@code source} said identifies its bytes (for If-Range to it), or NONE. */
    public synchronized Validators validators(int source) {
        return validators[source];
    }

    /** Records what {@code source} proved, and the validators it sent. */
    public synchronized void proven(int source, Proof p, Validators v) {
        proof[source] = p;
        if (v != null) {
            validators[source] = v;
        }
    }

    /**
     * Whether {@code source} may serve ranges of the anchor's body now: it is the anchor, or the
     * proof it has (or can still get) allows it.
     *
     * @param anchorEtag the anchor's strong ETag, or null
     */
    public synchronized boolean mayJoin(int source, String anchorEtag) {
        if (source == anchor) {
            return true;
        }
        if (!joins || bad[source] || proof[source] == Proof.DIFFERENT) {
            return false;
        }
        return shaGiven || anchorEtag != null;
    }

    /**
     * Sources in the order new connections of a split body should try them: live sources that
     * may join, those nobody measured first, then by throughput per connection.
     */
    public synchronized int[] forConnections(long nowNanos, String anchorEtag) {
        List<Integer> order = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            if ((s == anchor || aliveLocked(s, nowNanos)) && mayJoin(s, anchorEtag)) {
                order.add(s);
            }
        }
        order.sort((a, b) -> Double.compare(score(b), score(a)));
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    private double score(int s) {
        if (rate[s] < 0) {
            return connections[s] == 0 ? Double.MAX_VALUE : -1; // explore each source once
        }
        return rate[s] / (connections[s] + 1);
    }

    /** A connection to {@code source} starts. */
    public synchronized void connected(int source) {
        connections[source]++;
    }

    /** A connection to {@code source} ended. */
    public synchronized void disconnected(int source) {
        connections[source]--;
    }

    /** Connections open to {@code source}. */
    public synchronized int connections(int source) {
        return connections[source];
    }

    /** One connection to {@code source} moved {@code bytesPerSecond}. */
    public synchronized void measured(int source, double bytesPerSecond) {
        rate[source] = rate[source] < 0 ? bytesPerSecond
                : rate[source] * (1 - RATE_WEIGHT) + bytesPerSecond * RATE_WEIGHT;
    }

    /** Throughput of one connection to {@code source}, or -1 before a measurement. */
    public synchronized double rate(int source) {
        return rate[source];
    }

    /** {@code source} failed: it rests, longer each time, until it serves again. */
    public synchronized void down(int source, long nowNanos) {
        downs[source]++;
        long rest = DOWN_NANOS << Math.min(downs[source] - 1, 10);
        downUntil[source] = nowNanos + Math.min(rest, MAX_DOWN_NANOS);
    }

    /** {@code source} served: it is no longer resting. */
    public synchronized void up(int source) {
        downs[source] = 0;
        downUntil[source] = 0;
    }

    /** Whether a source other than {@code source} is there to take over now. */
    public synchronized boolean alternative(int source, long nowNanos) {
        for (int s = 0; s < count; s++) {
            if (s != source && aliveLocked(s, nowNanos)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code source} is not resting after a failure. */
    public synchronized boolean alive(int source, long nowNanos) {
        return aliveLocked(source, nowNanos);
    }

    private boolean aliveLocked(int source, long nowNanos) {
        return !bad[source] && (downs[source] == 0 || nowNanos - downUntil[source] >= 0);
    }

    /**
     * {@code failed} failed an attempt: the source to continue with at once, or -1 when every
     * source failed in this round (the retry policy decides the wait; a new round begins).
     */
    public synchronized int failover(int failed, long nowNanos) {
        tried[failed] = true;
        down(failed, nowNanos);
        int best = -1;
        for (int s = 0; s < count; s++) {
            if (!tried[s] && aliveLocked(s, nowNanos) && better(s, best)) {
                best = s;
            }
        }
        if (best < 0) {
            Arrays.fill(tried, false);
        }
        return best;
    }

    /** The source a new round starts with: the fastest that is not resting, else the first. */
    public synchronized int best(long nowNanos, int current) {
        int best = -1;
        for (int s = 0; s < count; s++) {
            if (aliveLocked(s, nowNanos) && better(s, best)) {
                best = s;
            }
        }
        if (best >= 0) {
            return best;
        }
        // everything rests: the one whose rest ends first
        long soonest = Long.MAX_VALUE;
        for (int s = 0; s < count; s++) {
            if (!bad[s] && downUntil[s] - nowNanos < soonest) {
                soonest = downUntil[s] - nowNanos;
                best = s;
            }
        }
        return best >= 0 ? best : current;
    }

    /** Source order by preference: measured rate, then the order given (the request's first). */
    private boolean better(int s, int than) {
        if (than < 0) {
            return true;
        }
        if (rate[s] >= 0 && rate[than] >= 0) {
            return rate[s] > rate[than];
        }
        return rate[s] >= 0 && rate[than] < 0;
    }

    /** Bytes of the body were joined on the proof of the total alone: the SHA-256 decides. */
    public synchronized void joinedUnvalidated() {
        unvalidatedJoin = true;
    }

    /** Whether the body holds bytes joined on the total alone. */
    public synchronized boolean unvalidatedJoin() {
        return unvalidatedJoin;
    }

    /**
     * The body failed its SHA-256. When it was joined from several sources, joins stop and the
     * body is fetched again from one; else the anchor served other bytes and is not used again.
     * Returns the source to start over from, or -1 when none is left.
     */
    public synchronized int hashFailed(long nowNanos) {
        if (unvalidatedJoin && joins) {
            joins = false;
            unvalidatedJoin = false;
            Arrays.fill(proof, Proof.UNKNOWN);
            return bad[0] ? firstGood() : 0;
        }
        bad[anchor] = true;
        unvalidatedJoin = false;
        Arrays.fill(proof, Proof.UNKNOWN);
        return firstGood();
    }

    private int firstGood() {
        for (int s = 0; s < count; s++) {
            if (!bad[s]) {
                return s;
            }
        }
        return -1;
    }
}
