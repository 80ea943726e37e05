package dev.haul.internal.segment;

import dev.haul.internal.resume.RangeSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Who fetches which bytes of one body, and which bytes are done. The body is {@code [0, total)};
 * {@link #done()} holds what has been written; each {@link Segment} is a range a connection is
 * fetching now, from its position to an end that may shrink when another connection takes the
 * second half ({@link #claim()}: work stealing). Whatever is neither done nor being fetched is a
 * gap, the first thing a connection looking for work takes.
 *
 * <p>For a destination that takes bytes only in order (a stream, through the bounded
 * {@link ReorderBuffer}), the table hands out work in order: pieces of at most {@code chunk}
 * bytes, none reaching {@code window} bytes or more past the frontier (the first byte not done).
 * Bytes fetched ahead of the frontier then always fit the buffer, and every connection works
 * near the frontier, instead of equal parts of the whole body where all but the first wait for a
 * buffer that the first alone can drain. A connection that finds no work inside the window waits
 * for the frontier to move ({@link #awaitFrontier}). Thread-safe: one lock, short holds.
 */
final class SegmentTable {
    /** One range a connection is fetching: {@code [pos, end)} is left to do. */
    static final class Segment {
        final int id;
        final long start;
        /** The next byte to write; advanced only by the owner. */
        long pos;
        /** The first byte not to write; lowered by a steal. Guarded by the table. */
        long end;
        boolean released;

        Segment(int id, long start, long end) {
            this.id = id;
            this.start = start;
            this.pos = start;
            this.end = end;
        }

        @Override
        public String toString() {
            return "#" + id + "[" + pos + ", " + end + ")";
        }
    }

    /** For in-order destinations, the shortest rest of a slow piece worth giving away. */
    static final long MIN_ORDERED_REST = 64 * 1024;

    private final long total;
    private final long minSplit;
    /** 0: any byte may be claimed; else claims stay below frontier + window. */
    private final long window;
    private final long chunk;
    private long frontier;
    private final List<Segment> active = new ArrayList<>();
    private RangeSet done;
    private int ids;

    /**
     * @param total    the body's length
     * @param done     what an earlier attempt or run already holds
     * @param minSplit the smallest piece worth a connection of its own: a segment is split only
     *                 when both halves would be at least this long
     */
    SegmentTable(long total, RangeSet done, long minSplit) {
        this(total, done, minSplit, 0, 0);
    }

    /**
     * @param window for an in-order destination, how far past the frontier claims may reach
     *               (its reorder budget); 0 for a destination written at any offset
     * @param chunk  for an in-order destination, the longest piece one claim takes
     */
    SegmentTable(long total, RangeSet done, long minSplit, long window, long chunk) {
        this.total = total;
        this.done = done;
        this.minSplit = minSplit;
        this.window = window;
        this.chunk = Math.max(1, chunk);
        this.frontier = done.prefixLength();
    }

    long total() {
        return total;
    }

    /** The segment that starts at {@code from}, for the connection already reading from there. */
    synchronized Segment claimAt(long from) {
        long end = gapEnd(from);
        if (window > 0) {
            end = Math.min(end, from + chunk);
        }
        Segment s = new Segment(++ids, from, end);
        active.add(s);
        return s;
    }

    /**
     * Work for a connection: the first gap, else the second half of the segment with the most
     * left, when both halves are worth a connection. Null when there is nothing to take.
     */
    synchronized Segment claim() {
        long gap = firstGap();
        if (gap >= 0 && window > 0 && gap < frontier + window) {
            long end = Math.min(gapEnd(gap), Math.min(gap + chunk, frontier + window));
            Segment s = new Segment(++ids, gap, end);
            active.add(s);
            return s;
        }
        if (gap >= 0 && window == 0) {
            Segment s = new Segment(++ids, gap, gapEnd(gap));
            active.add(s);
            return s;
        }
        if (gap >= 0) {
            // In order, with work left past the window: wait for the frontier. Halving a piece
            // here would cost its connection (its response runs past the new end) for nothing.
            return null;
        }
        Segment largest = null;
        for (Segment s : active) {
            if (largest == null || s.end - s.pos > largest.end - largest.pos) {
                largest = s;
            }
        }
        if (largest == null || largest.end - largest.pos < 2 * minSplit) {
            return null;
        }
        long mid = largest.pos + (largest.end - largest.pos) / 2;
        Segment s = new Segment(++ids, mid, largest.end);
        largest.end = mid;
        active.add(s);
        return s;
    }

    /**
     * Gives the rest of {@code slow} to whoever claims next: its end becomes its position plus
     * {@code keep} bytes. Returns whether anything was freed.
     */
    synchronized boolean shorten(Segment slow, long keep) {
        long newEnd = Math.min(slow.end, slow.pos + keep);
        // In order, a slow piece holds up every byte after it: give away even a short rest.
        long least = window > 0 ? Math.min(minSplit, MIN_ORDERED_REST) : minSplit;
        if (newEnd >= slow.end || slow.end - newEnd < least) {
            return false;
        }
        slow.end = newEnd;
        return true;
    }

    /** The end the owner must stop at now. */
    synchronized long end(Segment s) {
        return s.end;
    }

    /** The owner wrote {@code [s.pos, s.pos + n)}; returns the new position. */
    synchronized long wrote(Segment s, int n) {
        long from = s.pos;
        long to = Math.min(from + n, total);
        if (to > from) {
            done = done.plus(from, to);
            if (from <= frontier && frontier < to) {
                frontier = done.prefixLength();
                if (window > 0) {
                    notifyAll(); // connections waiting for work inside the window
                }
            }
        }
        s.pos = to;
        return to;
    }

    /** The owner stops fetching {@code s}; what it did not do becomes a gap again. */
    synchronized void release(Segment s) {
        s.released = true;
        active.remove(s);
    }

    /**
     * Whether a connection that found no work should wait rather than stop: the destination
     * takes bytes in order and some are left unclaimed beyond the window.
     */
    synchronized boolean waitsForFrontier() {
        return window > 0 && firstGap() >= frontier + window;
    }

    /** Waits until the frontier moves or {@code millis} pass. */
    synchronized void awaitFrontier(long millis) throws InterruptedException {
        long at = frontier;
        long until = System.nanoTime() + millis * 1_000_000L;
        while (frontier == at) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
    }

    synchronized boolean finished() {
        return done.covers(total);
    }

    synchronized RangeSet done() {
        return done;
    }

    synchronized long doneBytes() {
        return done.size();
    }

    synchronized int activeCount() {
        return active.size();
    }

    synchronized List<Segment> activeSegments() {
        return List.copyOf(active);
    }

    /** Bytes neither done nor being fetched, plus what active segments still have to do. */
    synchronized long remaining() {
        return total - done.size();
    }

    /** The first byte that is neither done nor claimed, or -1. */
    private long firstGap() {
        long at = 0;
        while (at < total) {
            long next = coveredUntil(at);
            if (next == at) {
                return at;
            }
            at = next;
        }
        return -1;
    }

    /** From {@code at}, how far bytes are done or claimed (at itself when {@code at} is free). */
    private long coveredUntil(long at) {
        boolean moved = true;
        long p = at;
        while (moved) {
            moved = false;
            for (long[] r : done.ranges()) {
                if (r[0] <= p && p < r[1]) {
                    p = r[1];
                    moved = true;
                }
            }
            for (Segment s : active) {
                if (s.pos <= p && p < s.end) {
                    p = s.end;
                    moved = true;
                }
            }
        }
        return p;
    }

    /** Where the gap starting at {@code from} ends: the next done or claimed byte, or the total. */
    private long gapEnd(long from) {
        long end = total;
        for (long[] r : done.ranges()) {
            if (r[0] > from) {
                end = Math.min(end, r[0]);
            }
        }
        for (Segment s : active) {
            if (s.pos > from) {
                end = Math.min(end, s.pos);
            }
        }
        return end;
    }
}
