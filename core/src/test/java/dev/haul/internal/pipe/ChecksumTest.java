package dev.haul.internal.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.session.Threads;
import dev.haul.internal.session.WorkerPool;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChecksumTest {
    private final WorkerPool pool = new WorkerPool(Runtime.getRuntime().availableProcessors(),
            TimeUnit.SECONDS.toNanos(1), Threads.daemon("test-sha256-"));

    @AfterEach
    void stopPool() {
        pool.shutdown();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Feeds {@code data} in buffers of uneven sizes, reusing one buffer as the copy loop does. */
    private static void feed(Checksum c, byte[] data, long seed) throws Exception {
        Random cuts = new Random(seed);
        ByteBuffer reused = ByteBuffer.allocateDirect(300_000);
        int at = 0;
        while (at < data.length) {
            int n = Math.min(data.length - at, 1 + cuts.nextInt(300_000));
            reused.clear();
            reused.put(data, at, n).flip();
            c.update(reused);
            assertEquals(n, reused.remaining(), "position untouched: the sink still reads it");
            reused.put(0, (byte) ~reused.get(0)); // the copy loop overwrites the buffer next
            at += n;
        }
    }

    @Test
    void matchesTheJdkInLineAndOnThePoolThoughTheBufferIsReused() throws Exception {
        for (int size : new int[] {0, 1, (int) Checksum.INLINE_BYTES - 1, (int) Checksum.INLINE_BYTES + 1,
            11_000_017}) {
            byte[] data = new byte[size];
            new Random(size).nextBytes(data);
            Checksum c = new Checksum(pool);
            feed(c, data, 7);
            assertEquals(sha256(data), c.finish(), "size " + size);
        }
    }

    @Test
    void manyLargeBodiesAtOnceUseNoMoreThreadsThanThePoolHas() throws Exception {
        int bodies = 8;
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
                    Checksum c = new Checksum(pool);
                    feed(c, data, seed);
                    assertTrue(pool.threads() <= Runtime.getRuntime().availableProcessors());
                    return c.finish();
                }));
            }
            for (int i = 0; i < bodies; i++) {
                assertEquals(sha256(datas.get(i)), sums.get(i).get(20, TimeUnit.SECONDS), "body " + i);
            }
        } finally {
            deliverers.shutdownNow();
        }
    }

    @Test
    void closeLetsADelivererThatWaitsForRoomGoOn() throws Exception {
        // A pool that never runs its tasks: the copies pile up until the deliverer must wait.
        CountDownLatch never = new CountDownLatch(1);
        Checksum c = new Checksum(task -> { });
        c.update(ByteBuffer.allocate((int) Checksum.INLINE_BYTES));
        AtomicInteger updates = new AtomicInteger();
        Thread deliverer = new Thread(() -> {
            try {
                ByteBuffer big = ByteBuffer.allocate(1 << 20);
                for (int i = 0; i < 1_000; i++) { // far more than the queue holds
                    c.update(big);
                    updates.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        deliverer.start();
        deliverer.join(300); // bounded: it blocks after QUEUED copies
        assertTrue(deliverer.isAlive(), "the deliverer waits for room");
        assertEquals(Checksum.QUEUED, updates.get(), "at most QUEUED copies wait");
        c.close();
        deliverer.join(5_000);
        assertFalse(deliverer.isAlive(), "the deliverer went on after close");
        never.countDown();
    }

    @Test
    void aClosedChecksumTakesNothingMoreAndNeverWaits() throws Exception {
        Checksum c = new Checksum(task -> { });
        c.update(ByteBuffer.allocate((int) Checksum.INLINE_BYTES));
        c.close(); // the download failed while the deliverer was between two buffers
        for (int i = 0; i < 4 * Checksum.QUEUED; i++) {
            c.update(ByteBuffer.allocate(1 << 20));
        }
    }
}
