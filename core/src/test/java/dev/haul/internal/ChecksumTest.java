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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChecksumTest {

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static int hashers() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("haul-sha256")).count();
    }

    /** Feeds {@code data} as lists of one to three buffers of uneven sizes, as the JDK client does. */
    private static void feed(Checksum c, byte[] data, long seed) throws Exception {
        Random cuts = new Random(seed);
        int at = 0;
        while (at < data.length) {
            List<ByteBuffer> list = new ArrayList<>();
            for (int k = 1 + cuts.nextInt(3); k > 0 && at < data.length; k--) {
                int n = Math.min(data.length - at, 1 + cuts.nextInt(300_000));
                list.add(ByteBuffer.wrap(data, at, n));
                at += n;
            }
            c.update(list);
            for (ByteBuffer b : list) {
                assertTrue(b.hasRemaining(), "positions untouched: the sink still reads them");
            }
        }
    }

    @Test
    void matchesTheJdkInLineAndOnTheSharedPool() throws Exception {
        for (int size : new int[] {0, 1, (int) Checksum.INLINE_BYTES - 1, (int) Checksum.INLINE_BYTES + 1, 11_000_017}) {
            byte[] data = new byte[size];
            new Random(size).nextBytes(data);
            Checksum c = new Checksum();
            feed(c, data, 7);
            assertEquals(sha256(data), c.finish(), "size " + size);
        }
    }

    @Test
    void aResumedPrefixCountsTowardsTheBytesHashedInLine() throws Exception {
        byte[] data = new byte[(int) Checksum.INLINE_BYTES * 2];
        new Random(1).nextBytes(data);
        Checksum c = new Checksum();
        int prefix = (int) Checksum.INLINE_BYTES + 5;
        c.updateNow(ByteBuffer.wrap(data, 0, prefix));
        c.update(List.of(ByteBuffer.wrap(data, prefix, data.length - prefix)));
        assertTrue(hashers() >= 1, "past the in-line bytes, the pool hashes");
        assertEquals(sha256(data), c.finish());
    }

    @Test
    void manyLargeBodiesAtOnceShareAtMostOneThreadPerCpu() throws Exception {
        int bodies = 8;
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicInteger most = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                most.accumulateAndGet(hashers(), Math::max);
                Thread.onSpinWait();
            }
        });
        sampler.start();
        ExecutorService deliverers = Executors.newFixedThreadPool(bodies);
        try {
            List<Future<String>> sums = new ArrayList<>();
            List<byte[]> datas = new ArrayList<>();
            for (int i = 0; i < bodies; i++) {
                byte[] data = new byte[12 * 1024 * 1024];
                new Random(100 + i).nextBytes(data);
                datas.add(data);
                long seed = i;
                sums.add(deliverers.submit(() -> {
                    Checksum c = new Checksum();
                    feed(c, data, seed);
                    return c.finish();
                }));
            }
            for (int i = 0; i < bodies; i++) {
                assertEquals(sha256(datas.get(i)), sums.get(i).get(20, TimeUnit.SECONDS), "body " + i);
            }
        } finally {
            deliverers.shutdownNow();
            sampling.set(false);
            sampler.join(5_000);
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        assertTrue(most.get() >= 1 && most.get() <= cpus, "hashing threads at once: " + most.get() + ", CPUs " + cpus);
    }

    @Test
    void closeLetsADelivererThatWaitsForRoomGoOn() throws Exception {
        Checksum c = new Checksum();
        c.update(List.of(ByteBuffer.allocate((int) Checksum.INLINE_BYTES)));
        AtomicInteger lists = new AtomicInteger();
        Thread deliverer = new Thread(() -> {
            try {
                ByteBuffer big = ByteBuffer.allocate(4 << 20);
                for (int i = 0; i < 100_000; i++) { // far more than the queue holds
                    c.update(List.of(big));
                    lists.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        deliverer.start();
        while (lists.get() < Checksum.QUEUED_LISTS) {
            Thread.sleep(1);
        }
        c.close();
        deliverer.join(5_000);
        assertFalse(deliverer.isAlive(), "the deliverer went on after close");
    }

    @Test
    void aClosedChecksumTakesNothingMoreAndNeverWaits() throws Exception {
        Checksum c = new Checksum();
        c.update(List.of(ByteBuffer.allocate((int) Checksum.INLINE_BYTES)));
        c.close(); // the download failed while the deliverer was between two buffers
        for (int i = 0; i < 4 * Checksum.QUEUED_LISTS; i++) {
            c.update(List.of(ByteBuffer.allocate(1 << 20)));
        }
    }
}
