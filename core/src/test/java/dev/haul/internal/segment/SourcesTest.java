package dev.haul.internal.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.resume.Validators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which source next: failover rounds, rests that double, ranking by speed, the join rules. */
@Timeout(10)
class SourcesTest {
    static final long S = 1_000_000_000L;
    static final String ETAG = "\"e\"";

    @Test
    void failoverTakesEachSourceOnceARoundAndFailedSourcesRest() {
        Sources s = new Sources(3, false);
        assertEquals(1, s.failover(0, 0));
        assertEquals(2, s.failover(1, 0));
        assertEquals(-1, s.failover(2, 0), "every source failed this round");
        assertFalse(s.alive(0, S), "resting 2 s after its first failure");
        assertTrue(s.alive(0, 2 * S));
        // a second failure rests twice as long
        s.failover(0, 2 * S);
        assertFalse(s.alive(0, 5 * S));
        assertTrue(s.alive(0, 6 * S));
        s.up(0);
        assertTrue(s.alive(0, 6 * S));
    }

    @Test
    void restsAreCappedAtAMinute() {
        Sources s = new Sources(2, false);
        for (int i = 0; i < 40; i++) {
            s.down(1, 0);
        }
        assertFalse(s.alive(1, 59 * S));
        assertTrue(s.alive(1, 60 * S));
    }

    @Test
    void aNewRoundStartsWithTheFastestLiveSource() {
        Sources s = new Sources(3, false);
        s.measured(1, 100);
        s.measured(2, 900);
        assertEquals(2, s.best(0, 0));
        s.down(2, 0);
        assertEquals(1, s.best(0, 0));
        s.down(1, 0);
        s.down(0, S / 2);
        assertEquals(1, s.best(S, 0), "all rest: the one whose rest ends first (1 and 2 tie)");
    }

    @Test
    void connectionsExploreUnmeasuredSourcesThenFollowThroughputPerConnection() {
        Sources s = new Sources(3, true);
        s.anchored(0, new Validators(ETAG, null, 100), true);
        s.connected(0);
        s.measured(0, 1000);
        int[] order = s.forConnections(0, ETAG);
        assertEquals(3, order.length);
        assertTrue(order[0] != 0 && order[1] != 0, "unmeasured mirrors first");
        s.connected(1);
        s.measured(1, 600);
        s.connected(2);
        s.measured(2, 300);
        // per connection: 0 -> 1000/2, 1 -> 600/2, 2 -> 300/2
        assertArrayEquals(new int[] {0, 1, 2}, s.forConnections(0, ETAG));
        s.connected(0);
        s.connected(0); // 1000/4 < 600/2
        assertArrayEquals(new int[] {1, 0, 2}, s.forConnections(0, ETAG));
    }

    @Test
    void mirrorsJoinOnlyWithAStrongETagOrADigest() {
        Sources noDigest = new Sources(2, false);
        assertTrue(noDigest.mayJoin(0, null), "the anchor always serves its own body");
        assertFalse(noDigest.mayJoin(1, null), "nothing could prove a mirror's bytes");
        assertTrue(noDigest.mayJoin(1, ETAG), "the anchor's ETag can be proven");
        noDigest.proven(1, Sources.Proof.DIFFERENT, null);
        assertFalse(noDigest.mayJoin(1, ETAG));
        assertArrayEquals(new int[] {0}, noDigest.forConnections(0, ETAG));
        Sources digest = new Sources(2, true);
        assertTrue(digest.mayJoin(1, null));
    }

    @Test
    void aDigestMismatchAfterAJoinStopsJoinsThenBlamesTheSource() {
        Sources s = new Sources(2, true);
        s.anchored(0, new Validators(ETAG, null, 100), true);
        s.proven(1, Sources.Proof.SAME_TOTAL, Validators.NONE);
        s.joinedUnvalidated();
        assertEquals(0, s.hashFailed(0), "fetched again from the request's URL alone");
        assertFalse(s.mayJoin(1, ETAG), "no more joins");
        assertFalse(s.unvalidatedJoin());
        assertEquals(1, s.hashFailed(0), "the anchor itself served other bytes: the next one");
        s.anchored(1, Validators.NONE, true);
        assertEquals(-1, s.hashFailed(0), "no source left");
    }

    @Test
    void aNewAnchorOrRepresentationForgetsProofs() {
        Sources s = new Sources(2, true);
        s.anchored(0, new Validators(ETAG, null, 100), true);
        s.proven(1, Sources.Proof.SAME_ETAG, null);
        s.anchored(0, new Validators(ETAG, null, 100), false);
        assertEquals(Sources.Proof.SAME_ETAG, s.proof(1), "the same anchor and body");
        s.anchored(0, new Validators("\"f\"", null, 100), true);
        assertEquals(Sources.Proof.UNKNOWN, s.proof(1));
    }
}
