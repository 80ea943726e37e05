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
        c.begin(now);
        now += ConnectionController.WARMUP_NANOS;
        bytes += (long) (server.applyAsDouble(1) * ConnectionController.WARMUP_NANOS / 1e9);
        c.tick(now, bytes, c.target()); // opens the first window
        for (int w = 0; w < windows; w++) {
            int n = c.target();
            counts[w] = n;
            now += WINDOW;
            bytes += (long) (server.applyAsDouble(n) * WINDOW / 1e9);
            c.tick(now, bytes, n, slowOutlier.test(n), 0);
        }
        return counts;
    }

    static int[] run(ConnectionController c, IntToDoubleFunction server, int windows) {
        return run(c, server, windows, n -> false);
    }

    @Test
    void aServerThatCapsEachConnectionGetsTheCapInThreeWindows() {
        ConnectionController c = new ConnectionController(16, true);
        int[] counts = run(c, n -> 16 * MIB * n, 6);
        assertEquals("[1, 2, 8, 16, 16, 16]", java.util.Arrays.toString(counts),
                "one more, then four times as many while each added one brings its share");
        assertEquals(16, c.target());
        assertEquals(false, c.searching(), "at the cap: nothing left to find out");
    }

    @Test
    void theCapEndsTheGrowthEvenWhereTheLastStepIsSmall() {
        ConnectionController c = new ConnectionController(8, true);
        int[] counts = run(c, n -> 16 * MIB * n, 5);
        assertEquals("[1, 2, 8, 8, 8]", java.util.Arrays.toString(counts));
    }

    @Test
    void aServerOneConnectionSaturatesKeepsOneAndSeesASecondOnlyForAFewProbes() {
        ConnectionController c = new ConnectionController(8, true);
        int[] counts = run(c, n -> 400 * MIB * (n == 1 ? 1 : 1.05), 40);
        assertEquals("[1, 2, 1, 1, 1]",
                java.util.Arrays.toString(java.util.Arrays.copyOf(counts, 5)));
        assertEquals(1 + ConnectionController.REPROBES,
                java.util.Arrays.stream(counts).filter(n -> n == 2).count(),
                "one window of two connections per probe: " + java.util.Arrays.toString(counts));
        assertEquals(1, c.target());
        assertEquals(false, c.searching(), "after its probes the count is settled");
    }

    @Test
    void aStepSpoiltByOneSlowConnectionIsTriedAgainWithAFreshOne() {
        // the first second connection is a slow flow (a tenth), and nothing says so yet; the
        // one opened when the step is tried again is as fast as the first
        int[] probesAt2 = {0};
        int[] last = {1};
        ConnectionController c = new ConnectionController(16, true);
        int[] counts = run(c, n -> {
            if (n == 2 && last[0] != 2) {
                probesAt2[0]++;
            }
            last[0] = n;
            return n == 2 && probesAt2[0] == 1 ? 17.6 * MIB : 16 * MIB * n;
        }, 14);
        assertEquals(16, c.target(), java.util.Arrays.toString(counts));
        assertEquals("[1, 2, 1, 1, 1, 1, 1, 1, 2, 8, 16, 16, 16, 16]",
                java.util.Arrays.toString(counts), "back to one, then 1 s later a fresh probe");
    }

    @Test
    void aLinkThatSaturatesAtAboutFiveStopsNearFive() {
        // each connection 10 MiB/s, the path 52 MiB/s in all
        ConnectionController c = new ConnectionController(16, true);
        int[] counts = run(c, n -> Math.min(52 * MIB, 10 * MIB * n), 40);
        assertEquals("[1, 2, 8, 6, 7, 6, 6, 6, 6, 6, 6, 7, 6]",
                java.util.Arrays.toString(java.util.Arrays.copyOf(counts, 13)),
                "2 pay fully, 8 do not: measure 6, what 52 MiB/s is worth at 10 each; 7 adds"
                        + " nothing, so 6 it is, and 7 is tried again a second later");
        assertEquals(6, c.target());
        assertEquals(false, c.searching(),
                "settled after its probes: " + java.util.Arrays.toString(counts));
    }

    @Test
    void aJumpThatDidNotScaleButWhoseKneeDoesNotPayEitherGoesOneAtATime() {
        // 2 connections 20 MiB/s; beyond that the path gives 24 MiB/s whatever the count
        ConnectionController c = new ConnectionController(16, true);
        int[] counts = run(c, n -> n == 1 ? 10 * MIB : n == 2 ? 20 * MIB : 24 * MIB, 8);
        assertEquals("[1, 2, 8, 3, 4, 3, 3, 3]", java.util.Arrays.toString(counts));
    }

    @Test
    void aWindowLastsFourTimesTheSlowestSetupAndStartsOnlyWhenEveryConnectionFlows() {
        long ms = 1_000_000L;
        ConnectionController c = new ConnectionController(16, true);
        c.begin(-50 * ms);
        assertEquals(1, c.tick(-1, 0, 1), "warming up: no window yet");
        c.tick(0, 0, 1); // the first window opens, after the warm-up
        assertEquals(2, c.tick(200 * ms, 4 << 20, 1, false, 0));
        // the second connection is asked for but has no accepted response yet: no window
        assertEquals(2, c.tick(600 * ms, 8 << 20, 1, false, 0));
        // it flows from 600 ms; its first byte took 300 ms: the window needs 1.2 s, not 200 ms
        assertEquals(2, c.tick(800 * ms, 12 << 20, 2, false, 300 * ms));
        assertEquals(2, c.tick(1_700 * ms, 52 << 20, 2, false, 300 * ms));
        assertEquals(8, c.tick(1_800 * ms, 56 << 20, 2, false, 300 * ms),
                "after 1.2 s with both flowing: 40 MiB/s, twice the rate of one, so grow");
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
