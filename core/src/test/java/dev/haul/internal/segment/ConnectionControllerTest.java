package dev.haul.internal.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The adaptive connection count, window by window, on servers of known shapes. */
@Timeout(10)
class ConnectionControllerTest {
    static final long WINDOW = ConnectionController.WINDOW_NANOS;
    static final double MIB = 1024 * 1024;

    /**
     * Runs the controller against a server whose total throughput with n connections is
     * {@code server(n)}, for {@code windows} windows; returns the connection counts chosen.
     */
    static int[] run(ConnectionController c, IntToDoubleFunction server, int windows,
            java.util.function.IntPredicate slowOutlier) {
        int[] counts = new int[windows];
        long now = 0;
        long bytes = 0;
        c.tick(now, bytes, c.target(), false); // opens the first window
        for (int w = 0; w < windows; w++) {
            int n = c.target();
            counts[w] = n;
            now += WINDOW;
            bytes += (long) (server.applyAsDouble(n) * WINDOW / 1e9);
            c.tick(now, bytes, n, slowOutlier.test(n));
        }
        return counts;
    }

    static int[] run(ConnectionController c, IntToDoubleFunction server, int windows) {
        return run(c, server, windows, n -> false);
    }

    @Test
    void aServerThatCapsEachConnectionGetsTheCapByDoublingEvenThe8th() {
        ConnectionController c = new ConnectionController(8, true);
        int[] counts = run(c, n -> 16 * MIB * n, 6);
        assertEquals("[1, 2, 4, 8, 8, 8]", java.util.Arrays.toString(counts),
                "8/7 is 14 % more in total, yet the 8th brings a whole connection's worth");
        assertEquals(8, c.target());
    }

    @Test
    void aServerOneConnectionSaturatesKeepsOne() {
        ConnectionController c = new ConnectionController(8, true);
        int[] counts = run(c, n -> 400 * MIB * (n == 1 ? 1 : 1.05), 5);
        assertEquals("[1, 2, 1, 1, 1]", java.util.Arrays.toString(counts));
    }

    @Test
    void aLinkThatSaturatesAtAboutFiveStopsNearFive() {
        // each connection 10 MiB/s, the path 52 MiB/s in all
        ConnectionController c = new ConnectionController(8, true);
        run(c, n -> Math.min(52 * MIB, 10 * MIB * n), 12);
        assertEquals(5, c.target(), "4 pay fully, 8 do not; then one at a time: 5 pays, 6 not");
    }

    @Test
    void oneSlowConnectionDoesNotStopTheGrowth() {
        // the 2nd connection opened is slow (a tenth); the others 16 MiB/s each
        ConnectionController c = new ConnectionController(8, true);
        run(c, n -> n == 1 ? 16 * MIB : 16 * MIB * (n - 1) + 1.6 * MIB, 8, n -> n >= 2);
        assertEquals(8, c.target(), "the slow one is to blame, not the count");
    }

    @Test
    void withoutAnOutlierAStepThatDoesNotPayIsUndone() {
        ConnectionController c = new ConnectionController(8, true);
        run(c, n -> n == 1 ? 16 * MIB : 17 * MIB, 6);
        assertEquals(1, c.target());
    }

    @Test
    void fixedCountsAndRefusals() {
        ConnectionController fixed = new ConnectionController(6, false);
        assertEquals(6, fixed.target());
        assertEquals(6, fixed.tick(WINDOW * 5, 1 << 30, 6));
        ConnectionController c = new ConnectionController(8, true);
        run(c, n -> 16 * MIB * n, 3);
        c.refused(3);
        assertEquals(2, c.target(), "one fewer than ran when the server refused, for good");
        assertEquals(2, c.tick(WINDOW * 100, 1L << 40, 2));
    }
}
