package dev.haul.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class ChecksumTest {

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static List<Thread> hashers() {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("haul-sha256") && t.isAlive()) {
                found.add(t);
            }
        }
        return found;
    }

    @Test
    void matchesTheJdkInLineAndOnTheHelperThreadWithoutMovingTheBuffers() throws Exception {
        for (int size : new int[] {0, 1, (int) Checksum.INLINE_BYTES - 1, (int) Checksum.INLINE_BYTES + 1, 11_000_017}) {
            byte[] data = new byte[size];
            new Random(size).nextBytes(data);
            Checksum c = new Checksum();
            Random cuts = new Random(7);
            int at = 0;
            while (at < size) {
                // Lists of one to three buffers of uneven sizes, as the JDK client hands them over.
                List<ByteBuffer> list = new ArrayList<>();
                for (int k = 1 + cuts.nextInt(3); k > 0 && at < size; k--) {
                    int n = Math.min(size - at, 1 + cuts.nextInt(300_000));
                    list.add(ByteBuffer.wrap(data, at, n));
                    at += n;
                }
                c.update(list);
                for (ByteBuffer b : list) {
                    assertEquals(b.limit(), b.position() + b.remaining());
                    assertTrue(b.hasRemaining(), "positions untouched: the sink still reads them");
                }
            }
            assertEquals(sha256(data), c.finish(), "size " + size);
        }
        assertEquals(List.of(), hashers(), "finish() ends the helper thread");
    }

    @Test
    void aResumedPrefixCountsTowardsTheBytesHashedInLine() throws Exception {
        byte[] data = new byte[(int) Checksum.INLINE_BYTES * 2];
        new Random(1).nextBytes(data);
        Checksum c = new Checksum();
        c.updateNow(ByteBuffer.wrap(data, 0, (int) Checksum.INLINE_BYTES + 5));
        c.update(List.of(ByteBuffer.wrap(data, (int) Checksum.INLINE_BYTES + 5, data.length - (int) Checksum.INLINE_BYTES - 5)));
        assertEquals(1, hashers().size(), "past the in-line bytes, the helper hashes");
        assertEquals(sha256(data), c.finish());
    }

    @Test
    void closeEndsTheHelperThreadEvenWithAFullQueue() throws Exception {
        Checksum c = new Checksum();
        c.update(List.of(ByteBuffer.allocate((int) Checksum.INLINE_BYTES)));
        for (int i = 0; i < Checksum.QUEUED_LISTS; i++) {
            c.update(List.of(ByteBuffer.allocate(1 << 20)));
        }
        List<Thread> running = hashers();
        assertEquals(1, running.size());
        c.close();
        running.get(0).join(5_000);
        assertFalse(running.get(0).isAlive());
        c.update(List.of(ByteBuffer.allocate(10))); // after close: ignored, never blocks
    }

    @Test
    void aChecksumClosedBeforeItsHelperStartsNeverStartsOne() throws Exception {
        Checksum c = new Checksum();
        c.update(List.of(ByteBuffer.allocate((int) Checksum.INLINE_BYTES)));
        c.close(); // the download failed while the deliverer was between two buffers
        c.update(List.of(ByteBuffer.allocate(1 << 20)));
        assertEquals(List.of(), hashers());
    }
}
