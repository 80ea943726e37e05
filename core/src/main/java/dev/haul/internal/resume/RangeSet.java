package dev.haul.internal.resume;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The byte ranges of a body already held, as sorted, disjoint, non-adjacent half-open intervals
 * {@code [start, end)}. A single-connection download holds one prefix {@code [0, n)}; a download
 * over several connections holds several ranges, and its sidecar keeps them all. Immutable.
 */
public final class RangeSet {
    /** Nothing held. */
    public static final RangeSet EMPTY = new RangeSet(List.of());

    private final List<long[]> ranges;

    private RangeSet(List<long[]> ranges) {
        this.ranges = ranges;
    }

    /** The prefix {@code [0, bytes)}, or empty when {@code bytes} is 0. */
    public static RangeSet prefix(long bytes) {
        return bytes <= 0 ? EMPTY : new RangeSet(List.of(new long[] {0, bytes}));
    }

    /** This set with {@code [start, end)} added. */
    public RangeSet plus(long start, long end) {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
        }
        if (start == end) {
            return this;
        }
        List<long[]> out = new ArrayList<>(ranges.size() + 1);
        long s = start;
        long e = end;
        boolean placed = false;
        for (long[] r : ranges) {
            if (r[1] < s) {
                out.add(r);
            } else if (r[0] > e) {
                if (!placed) {
                    out.add(new long[] {s, e});
                    placed = true;
                }
                out.add(r);
            } else { // overlapping or adjacent: merge
                s = Math.min(s, r[0]);
                e = Math.max(e, r[1]);
            }
        }
        if (!placed) {
            out.add(new long[] {s, e});
        }
        return new RangeSet(Collections.unmodifiableList(out));
    }

    /** The length of the prefix held from byte 0 (0 when byte 0 is missing). */
    public long prefixLength() {
        return ranges.isEmpty() || ranges.get(0)[0] != 0 ? 0 : ranges.get(0)[1];
    }

    /** Bytes held in all. */
    public long size() {
        long n = 0;
        for (long[] r : ranges) {
            n += r[1] - r[0];
        }
        return n;
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** Whether every byte of {@code [0, total)} is held. */
    public boolean covers(long total) {
        return total == 0 || prefixLength() >= total;
    }

    /** The ranges, each {@code {start, end}}; callers must not change the arrays. */
    public List<long[]> ranges() {
        return ranges;
    }

    /** {@code a-b,c-d} with inclusive ends, as the sidecar stores it; "" when empty. */
    public String format() {
        StringBuilder s = new StringBuilder();
        for (long[] r : ranges) {
            if (s.length() > 0) {
                s.append(',');
            }
            s.append(r[0]).append('-').append(r[1] - 1);
        }
        return s.toString();
    }

    /** Parses {@link #format()}; null when malformed. */
    public static RangeSet parse(String text) {
        if (text == null) {
            return null;
        }
        RangeSet set = EMPTY;
        if (text.isBlank()) {
            return set;
        }
        for (String part : text.split(",", 0)) { // limit 0: a trailing comma is ignored, as always
            int dash = part.indexOf('-');
            if (dash <= 0) {
                return null;
            }
            long a = ContentRange.parseNonNegative(part.substring(0, dash).trim());
            long b = ContentRange.parseNonNegative(part.substring(dash + 1).trim());
            if (a < 0 || b < a) {
                return null;
            }
            set = set.plus(a, b + 1);
        }
        return set;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RangeSet other && format().equals(other.format());
    }

    @Override
    public int hashCode() {
        return format().hashCode();
    }

    @Override
    public String toString() {
        return "[" + format() + "]";
    }
}
