package dev.haul.internal.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.resume.RangeSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Who fetches what: work stealing for files, in-order pieces inside a window for streams. */
@Timeout(10)
class SegmentTableTest {
    static final long MIB = 1024 * 1024;

    @Test
    void aFileIsSplitByHalvingTheLargestSegment() {
        SegmentTable t = new SegmentTable(64 * MIB, RangeSet.EMPTY, MIB);
        SegmentTable.Segment first = t.claimAt(0);
        assertEquals(64 * MIB, t.end(first), "the opening response may run to the end");
        SegmentTable.Segment second = t.claim();
        assertEquals(32 * MIB, second.start);
        assertEquals(32 * MIB, t.end(first));
        assertFalse(t.waitsForFrontier(), "nothing waits: any offset may be written");
    }

    @Test
    void anInOrderDestinationGetsPiecesInOrderThatNeverReachPastTheWindow() {
        // a 32 MiB reorder budget shared by 8 connections: 4 MiB pieces, none past frontier + 32
        SegmentTable t = new SegmentTable(100 * MIB, RangeSet.EMPTY, MIB, 32 * MIB, 4 * MIB);
        List<SegmentTable.Segment> claimed = new ArrayList<>();
        SegmentTable.Segment first = t.claimAt(0);
        assertEquals(4 * MIB, t.end(first), "the opening response stops at its piece");
        claimed.add(first);
        for (int i = 1; i < 8; i++) {
            SegmentTable.Segment s = t.claim();
            assertEquals(i * 4 * MIB, s.start, "in order: " + claimed);
            assertEquals((i + 1) * 4 * MIB, t.end(s));
            claimed.add(s);
        }
        assertTrue(t.waitsForFrontier(), "the window is full and bytes are left beyond it");
        assertNull(t.claim(), "a 9th waits: no piece past the window, and no piece is halved"
                + " while work is left beyond it (that would cost a connection for nothing)");

        // The pieces ahead of the frontier are done; the window still ends at 32 MiB.
        for (SegmentTable.Segment s : claimed.subList(1, 8)) {
            t.wrote(s, (int) (t.end(s) - s.pos));
            t.release(s);
        }
        assertEquals(0, t.done().prefixLength());
        assertNull(t.claim(), "nothing inside the window is free");
        // The frontier's connection is slow: all but 64 KiB of its piece goes to others.
        assertTrue(t.shorten(first, 64 * 1024));
        SegmentTable.Segment rest = t.claim();
        assertEquals(64 * 1024, rest.start);
        assertEquals(4 * MIB, t.end(rest));

        // The frontier moves past the first piece and the rest's first MiB: the window reaches
        // 33 MiB, and a claim takes 32-33 MiB.
        t.wrote(first, 64 * 1024);
        t.wrote(rest, (int) (MIB - 64 * 1024));
        SegmentTable.Segment next = t.claim();
        assertEquals(32 * MIB, next.start);
        assertEquals(33 * MIB, t.end(next), "the piece is cut at the window's edge");
    }

    @Test
    void aConnectionWaitingForTheFrontierWakesWhenItMoves() throws Exception {
        SegmentTable t = new SegmentTable(100 * MIB, RangeSet.EMPTY, MIB, 8 * MIB, 4 * MIB);
        SegmentTable.Segment first = t.claimAt(0);
        SegmentTable.Segment second = t.claim();
        assertEquals(4 * MIB, second.start);
        t.wrote(second, (int) (4 * MIB));
        t.release(second);
        assertTrue(t.waitsForFrontier());
        CompletableFuture<SegmentTable.Segment> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                while (t.waitsForFrontier()) {
                    t.awaitFrontier(5_000);
                }
                return t.claim();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        t.wrote(first, (int) (4 * MIB)); // the frontier jumps to 8 MiB
        SegmentTable.Segment s = waiter.get(5, TimeUnit.SECONDS);
        assertEquals(8 * MIB, s.start);
        assertEquals(12 * MIB, t.end(s));
        t.release(first);
    }
}
