package dev.haul.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The limiter on a fake clock: exact waits for small cases, then simulated downloads that wait
 * exactly what {@link TokenBucket#reserve} says, measured over every 5-second window.
 */
@Timeout(30)
class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final long WINDOW = 5 * SECOND;
    /** Start the clock near overflow: System.nanoTime may have any origin, and may wrap. */
    private static final long ORIGIN = Long.MAX_VALUE - 7 * SECOND;

    private final FakeClock clock = new FakeClock(ORIGIN);

    // ---- exact behaviour ----

    @Test
    void aFullBucketLets100msThroughAtOnceThenWaits() {
        TokenBucket b = new TokenBucket(1000, clock);
        assertEquals(0, b.reserve(100));
        assertEquals(MS, b.reserve(1));
        assertEquals(3 * MS, b.reserve(2));
    }

    @Test
    void anIdleBucketRefillsOnlyUpToTheBurst() {
        TokenBucket b = new TokenBucket(1000, clock);
        b.reserve(100);
        clock.advance(3600 * SECOND);
        assertEquals(0, b.reserve(100));
        assertEquals(100 * MS, b.reserve(100));
    }

    @Test
    void aReservationLargerThanTheBucketPassesAfterTheRightWait() {
        TokenBucket b = new TokenBucket(1000, clock);
        assertEquals(4900 * MS, b.reserve(5000));
        clock.advance(4900 * MS);
        assertEquals(MS, b.reserve(1), "the debt was exactly paid");
    }

    @Test
    void laterCallersQueueBehindDebt() {
        TokenBucket b = new TokenBucket(1000, clock);
        b.reserve(100);
        assertEquals(500 * MS, b.reserve(500));
        assertEquals(600 * MS, b.reserve(100));
        assertEquals(600 * MS, b.reserve(0), "reserving 0 bytes reports the queue");
    }

    @Test
    void fractionsOfANanosecondAreCarriedNotLost() {
        TokenBucket b = new TokenBucket(3, clock);
        for (int i = 0; i < 300; i++) {
            b.reserve(1); // 333 333 333.3 ns each
        }
        assertEquals(100 * SECOND - 100 * MS, b.reserve(0), "300 bytes at 3 B/s, less the burst");
    }

    @Test
    void noLimitMeansNoWait() {
        TokenBucket b = new TokenBucket(0, clock);
        assertEquals(0, b.reserve(Integer.MAX_VALUE));
        b.setRate(-1);
        assertEquals(0, b.reserve(Integer.MAX_VALUE));
        assertEquals(-1, b.rate());
    }

    @Test
    void negativeReservationsAreRefused() {
        TokenBucket b = new TokenBucket(1000, clock);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.reserve(-5));
        assertEquals("bytes < 0: -5", e.getMessage());
    }

    @Test
    void hugeReservationsNeverOverflow() {
        TokenBucket b = new TokenBucket(1, clock);
        long wait = 0;
        for (int i = 0; i < 10; i++) {
            wait = b.reserve(Integer.MAX_VALUE);
            assertTrue(wait > 0, "wait " + wait);
        }
        assertEquals(Long.MAX_VALUE / 2, wait, "debt is capped, not wrapped");
    }

    @Test
    void aRateChangeAppliesToTheNextReservationAndCarriesDebtInBytes() {
        TokenBucket b = new TokenBucket(1000, clock);
        b.reserve(100);
        assertEquals(SECOND, b.reserve(1000));
        b.setRate(2000);
        assertEquals(500 * MS, b.reserve(0), "1000 bytes owed take 0.5 s at the new rate");
        assertEquals(SECOND, b.reserve(1000));
        b.setRate(1000);
        assertEquals(2 * SECOND, b.reserve(0));
    }

    @Test
    void creditCarriesOverInBytesAndNeverBeyondOneBurst() {
        TokenBucket slowToFast = new TokenBucket(1000, clock);
        slowToFast.setRate(1_000_000);
        assertEquals(0, slowToFast.reserve(100), "the 100 bytes of credit carry over");
        assertEquals(MS, slowToFast.reserve(1000));
        TokenBucket fastToSlow = new TokenBucket(1_000_000, clock);
        fastToSlow.setRate(1000);
        assertEquals(0, fastToSlow.reserve(100), "100 000 bytes of credit, capped at 100 ms");
        assertEquals(MS, fastToSlow.reserve(1));
    }

    @Test
    void limitingAgainAfterNoLimitStartsWithAFullBucket() {
        TokenBucket b = new TokenBucket(1000, clock);
        b.reserve(10_000);
        b.setRate(0);
        assertEquals(0, b.reserve(1_000_000));
        b.setRate(1000);
        assertEquals(0, b.reserve(100));
        assertEquals(MS, b.reserve(1));
    }

    @Test
    void reserveBothWaitsForTheSlowerAndChargesBoth() {
        TokenBucket download = new TokenBucket(1000, clock);
        TokenBucket shared = new TokenBucket(10_000, clock);
        assertEquals(SECOND, TokenBucket.reserveBoth(1100, download, shared));
        assertEquals(10 * MS, shared.reserve(0), "1100 bytes at 10 000 B/s, less the burst");
        assertEquals(SECOND, download.reserve(0));
        assertEquals(0, TokenBucket.reserveBoth(100, null, null));
        assertEquals(20 * MS, TokenBucket.reserveBoth(100, null, shared));
    }

    @Test
    void concurrentReservationsAreAllCounted() throws Exception {
        TokenBucket b = new TokenBucket(1_000_000, clock);
        int threads = 4;
        int each = 25_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        b.reserve(10);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // 1 000 000 bytes at 1 MB/s, less the 100 ms burst
        assertEquals(SECOND - 100 * MS, b.reserve(0));
    }

    @Test
    void toStringShowsTheRate() {
        assertEquals("TokenBucket[1.0 MiB/s]", new TokenBucket(1 << 20, clock).toString());
        assertEquals("TokenBucket[unlimited]", new TokenBucket(0, clock).toString());
    }

    // ---- simulated downloads ----

    @ParameterizedTest(name = "{0} B/s, reads of 1..{1} bytes")
    @CsvSource({
        "100000, 10000",
        "102400, 10240",
        "1000000, 65536",
        "1048576, 65536",
        "100000000, 262144",
        "104857600, 1048576",
    })
    void oneDownloadStaysWithin5PercentOverEvery5sWindow(long rate, int maxChunk) {
        for (long seed = 1; seed <= 3; seed++) {
            TokenBucket b = new TokenBucket(rate, clock);
            Simulation sim = new Simulation(b, clock, 1, new Random(seed * rate), 1, maxChunk);
            sim.run(40 * SECOND);
            sim.assertTotalWithin(rate, 0.05, 0, 39 * SECOND);
        }
    }

    @Test
    void fourDownloadsSharingABucketGetTheLimitAndFairShares() {
        long rate = 1_000_000;
        TokenBucket shared = new TokenBucket(rate, clock);
        Simulation sim = new Simulation(shared, clock, 4, new Random(7), 16_384, 32_768);
        sim.run(60 * SECOND);
        sim.assertTotalWithin(rate, 0.05, 0, 59 * SECOND);
        for (int c = 0; c < 4; c++) {
            sim.assertConsumerWithin(c, rate / 4, 0.15, 0, 59 * SECOND);
        }
    }

    @Test
    void fourDownloadsWithRandomReadSizesStillShareFairlyOverTheRun() {
        long rate = 10_000_000;
        TokenBucket shared = new TokenBucket(rate, clock);
        Simulation sim = new Simulation(shared, clock, 4, new Random(11), 1, 65_536);
        sim.run(60 * SECOND);
        sim.assertTotalWithin(rate, 0.05, 0, 59 * SECOND);
        long[] bytes = sim.bytesPerConsumer(0, 59 * SECOND);
        long total = Arrays.stream(bytes).sum();
        for (long b : bytes) {
            assertTrue(Math.abs(b - total / 4.0) <= 0.15 * total / 4.0,
                    Arrays.toString(bytes));
        }
    }

    @Test
    void aRateChangeMidwayTakesEffect() {
        TokenBucket b = new TokenBucket(1_000_000, clock);
        Simulation sim = new Simulation(b, clock, 2, new Random(3), 1, 16_384);
        sim.changeRateAt(20 * SECOND, 250_000);
        sim.run(50 * SECOND);
        sim.assertTotalWithin(1_000_000, 0.05, 0, 20 * SECOND);
        sim.assertTotalWithin(250_000, 0.05, 20 * SECOND + 300 * MS, 49 * SECOND);
    }

    @Test
    void aPerDownloadLimitUnderASharedOneHoldsBoth() {
        TokenBucket global = new TokenBucket(1_000_000, clock);
        TokenBucket slow = new TokenBucket(100_000, clock);
        Simulation sim = new Simulation(global, clock, 3, new Random(5), 1, 10_000);
        sim.limitConsumer(0, slow);
        sim.run(60 * SECOND);
        sim.assertTotalWithin(1_000_000, 0.05, 0, 59 * SECOND);
        sim.assertConsumerWithin(0, 100_000, 0.05, 0, 59 * SECOND);
    }

    /** Downloads that reserve a read, wait exactly what they are told, and go again. */
    private static final class Simulation {
        private final TokenBucket bucket;
        private final FakeClock clock;
        private final int consumers;
        private final Random random;
        private final int minChunk;
        private final int maxChunk;
        private final TokenBucket[] own;
        private final List<long[]> passes = new ArrayList<>(); // {offset, bytes, consumer}
        private long changeAt = -1;
        private long newRate;

        Simulation(TokenBucket bucket, FakeClock clock, int consumers, Random random,
                int minChunk, int maxChunk) {
            this.bucket = bucket;
            this.clock = clock;
            this.consumers = consumers;
            this.random = random;
            this.minChunk = minChunk;
            this.maxChunk = maxChunk;
            this.own = new TokenBucket[consumers];
        }

        void changeRateAt(long offset, long rate) {
            changeAt = offset;
            newRate = rate;
        }

        void limitConsumer(int consumer, TokenBucket limit) {
            own[consumer] = limit;
        }

        void run(long duration) {
            long origin = clock.getAsLong();
            // {offset of the next read, consumer}, earliest first
            PriorityQueue<long[]> next = new PriorityQueue<>((a, b) -> a[0] != b[0]
                    ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
            for (int c = 0; c < consumers; c++) {
                next.add(new long[] {0, c});
            }
            while (!next.isEmpty()) {
                long[] event = next.poll();
                long offset = event[0];
                int consumer = (int) event[1];
                if (offset >= duration) {
                    continue;
                }
                clock.set(origin + offset);
                if (changeAt >= 0 && offset >= changeAt) {
                    bucket.setRate(newRate);
                    changeAt = -1;
                }
                int chunk = minChunk + random.nextInt(maxChunk - minChunk + 1);
                long wait = TokenBucket.reserveBoth(chunk, own[consumer], bucket);
                assertTrue(wait >= 0);
                passes.add(new long[] {offset + wait, chunk, consumer});
                next.add(new long[] {offset + wait, consumer});
            }
        }

        long[] bytesPerConsumer(long from, long to) {
            long[] bytes = new long[consumers];
            for (long[] p : passes) {
                if (p[0] >= from && p[0] < to) {
                    bytes[(int) p[2]] += p[1];
                }
            }
            return bytes;
        }

        /** Every 5 s window starting in [from, to - 5 s], in 50 ms steps. */
        void assertTotalWithin(long rate, double tolerance, long from, long to) {
            assertWindows(-1, rate, tolerance, from, to);
        }

        void assertConsumerWithin(int consumer, long rate, double tolerance, long from,
                long to) {
            assertWindows(consumer, rate, tolerance, from, to);
        }

        private void assertWindows(int consumer, long rate, double tolerance, long from,
                long to) {
            long[] times = passes.stream().filter(p -> consumer < 0 || p[2] == consumer)
                    .mapToLong(p -> p[0]).toArray();
            long[] sizes = passes.stream().filter(p -> consumer < 0 || p[2] == consumer)
                    .mapToLong(p -> p[1]).toArray();
            Integer[] order = new Integer[times.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(times[a], times[b]));
            long[] sortedTimes = new long[times.length];
            long[] prefix = new long[times.length + 1];
            for (int i = 0; i < order.length; i++) {
                sortedTimes[i] = times[order[i]];
                prefix[i + 1] = prefix[i] + sizes[order[i]];
            }
            double expected = rate * (WINDOW / (double) SECOND);
            double worst = 0;
            int windows = 0;
            for (long start = from; start + WINDOW <= to; start += 50 * MS) {
                long bytes = prefix[lowerBound(sortedTimes, start + WINDOW)]
                        - prefix[lowerBound(sortedTimes, start)];
                double error = Math.abs(bytes - expected) / expected;
                worst = Math.max(worst, error);
                windows++;
                assertTrue(error <= tolerance, String.format(
                        "window at %.2f s: %d bytes, expected %.0f ±%.0f%% (consumer %d)",
                        start / (double) SECOND, bytes, expected, tolerance * 100, consumer));
            }
            assertTrue(windows > 0, "no window checked");
        }

        private static int lowerBound(long[] sorted, long key) {
            int lo = 0;
            int hi = sorted.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] < key) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /** A clock that moves only when told to. */
    private static final class FakeClock implements LongSupplier {
        private volatile long now;

        FakeClock(long start) {
            now = start;
        }

        void advance(long nanos) {
            now += nanos;
        }

        void set(long nanos) {
            now = nanos;
        }

        @Override
        public long getAsLong() {
            return now;
        }
    }
}
