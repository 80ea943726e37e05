package dev.haul;

import java.util.Objects;

/**
 * How many connections one download may use. A download is split over several only when its
 * first response proves it safe: a {@code 206} (or {@code Accept-Ranges: bytes}), a known length
 * of at least the split threshold, and a strong validator ({@code ETag}, else
 * {@code Last-Modified}). Every range is then requested with {@code If-Range} and accepted only as
 * a {@code 206} whose {@code Content-Range} matches exactly, so the file cannot become a mix.
 *
 * <ul>
 *   <li>{@link #single()}: one connection, the default of a manager;
 *   <li>{@link #fixed(int) fixed(n)}: n connections from the start;
 *   <li>{@link #adaptive(int) adaptive(max)}: slow start — one connection, then two, then
 *       four times as many while each added connection brings nearly what an average one
 *       brings, and one more at a time while each brings at least a third, up to {@code max}.
 *       Each step is judged over a window of at least 0.2 s (and four times the slowest
 *       connection's time to first byte) with every connection flowing. A server that one
 *       connection saturates keeps one or two; one that caps each connection gets
 *       {@code max} within a second (1, 2, 8, 16); a path that saturates part-way settles
 *       near its knee; one slow connection does not stop the growth.
 * </ul>
 * The manager's per-host connection cap bounds every choice, and a server that refuses extra
 * connections (503, 429, resets) gets fewer. Immutable.
 *
 * <pre>{@code
 * DownloadRequest request =
 *         DownloadRequest.builder(url).connections(Connections.adaptive(8)).build();
 * }</pre>
 */
public final class Connections {
    private static final Connections SINGLE = new Connections(1, false);

    private final int max;
    private final boolean adaptive;

    private Connections(int max, boolean adaptive) {
        this.max = max;
        this.adaptive = adaptive;
    }

    /**
     * One connection: the body is never split.
     *
     * @return one connection
     */
    public static Connections single() {
        return SINGLE;
    }

    /**
     * Exactly {@code n} connections once the body can be split.
     *
     * @param n the connections, at least 1
     * @return n connections
     */
    public static Connections fixed(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("connections < 1: " + n);
        }
        return n == 1 ? SINGLE : new Connections(n, false);
    }

    /**
     * Slow start up to {@code max} connections.
     *
     * @param max the most connections, at least 1
     * @return adaptive connections up to max
     */
    public static Connections adaptive(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("connections < 1: " + max);
        }
        return new Connections(max, true);
    }

    /**
     * The most connections.
     *
     * @return the most connections
     */
    public int max() {
        return max;
    }

    /**
     * Whether the count grows by slow start.
     *
     * @return whether the count is adaptive
     */
    public boolean adaptive() {
        return adaptive;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Connections c && c.max == max && c.adaptive == adaptive;
    }

    @Override
    public int hashCode() {
        return Objects.hash(max, adaptive);
    }

    @Override
    public String toString() {
        return adaptive ? "adaptive(" + max + ")" : max == 1 ? "single" : "fixed(" + max + ")";
    }
}
