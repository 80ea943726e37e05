package dev.haul.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class WorkerPoolTest {
    private final List<Thread> started = new CopyOnWriteArrayList<>();
    private final AtomicInteger uncaught = new AtomicInteger();
    private WorkerPool pool;

    private WorkerPool pool(int max, long keepAliveMillis) {
        pool = new WorkerPool(max, TimeUnit.MILLISECONDS.toNanos(keepAliveMillis), r -> {
            Thread t = new Thread(r, "haul-test-worker-" + started.size());
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((th, e) -> uncaught.incrementAndGet());
            started.add(t);
            return t;
        });
        return pool;
    }

    @AfterEach
    void noThreadLeftBehind() throws InterruptedException {
        if (pool != null) {
            pool.shutdown();
        }
        for (Thread t : started) {
            t.join(2_000);
            assertFalse(t.isAlive(), t.getName() + " still alive after shutdown");
        }
    }

    @Test
    void neverMoreThanMaxThreadsAndQueuedTasksAllRun() throws Exception {
        pool(2, 60_000);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(10);
        for (int i = 0; i < 10; i++) {
            pool.execute(() -> {
                peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                await(release);
                running.decrementAndGet();
                done.countDown();
            });
        }
        waitUntil(() -> running.get() == 2);
        assertEquals(2, pool.threads());
        assertEquals(2, started.size());
        release.countDown();
        assertTrue(done.await(5, TimeUnit.SECONDS), "queued tasks did not all run");
        assertEquals(2, peak.get());
        assertEquals(2, started.size(), "no thread beyond the bound was ever created");
    }

    @Test
    void theMostRecentlyIdleThreadTakesTheNextTask() throws Exception {
        pool(3, 60_000);
        CountDownLatch[] finish = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
        Thread[] ran = new Thread[3];
        CountDownLatch allRunning = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            int k = i;
            pool.execute(() -> {
                ran[k] = Thread.currentThread();
                allRunning.countDown();
                await(finish[k]);
            });
        }
        assertTrue(allRunning.await(5, TimeUnit.SECONDS));
        // Let them go idle in the order 0, 2, 1: thread 1 is then the most recently idle.
        for (int k : new int[] {0, 2, 1}) {
            int idleBefore = pool.idleThreads();
            finish[k].countDown();
            waitUntil(() -> pool.idleThreads() == idleBefore + 1);
        }
        BlockingQueue<Thread> seen = new LinkedBlockingQueue<>();
        for (int i = 0; i < 5; i++) {
            pool.execute(() -> seen.add(Thread.currentThread()));
            Thread t = seen.poll(5, TimeUnit.SECONDS);
            assertSame(ran[1], t, "task " + i + " ran on " + t);
            waitUntil(() -> pool.idleThreads() == 3);
        }
        assertEquals(3, started.size());
    }

    @Test
    void idleThreadsEndAfterTheKeepAlive() throws Exception {
        pool(4, 50);
        CountDownLatch done = new CountDownLatch(4);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 4; i++) {
            pool.execute(() -> {
                await(release);
                done.countDown();
            });
        }
        release.countDown();
        assertTrue(done.await(5, TimeUnit.SECONDS));
        for (Thread t : started) {
            t.join(2_000);
            assertFalse(t.isAlive());
        }
        assertEquals(0, pool.threads());
        // The pool starts threads again afterwards.
        CountDownLatch again = new CountDownLatch(1);
        pool.execute(again::countDown);
        assertTrue(again.await(5, TimeUnit.SECONDS));
    }

    @Test
    void shutdownEndsIdleThreadsAtOnceAndLaterTasksStillRun() throws Exception {
        pool(2, 3_600_000);
        CountDownLatch first = new CountDownLatch(1);
        pool.execute(first::countDown);
        assertTrue(first.await(5, TimeUnit.SECONDS));
        waitUntil(() -> pool.idleThreads() == 1);
        pool.shutdown();
        started.get(0).join(2_000);
        assertFalse(started.get(0).isAlive(), "an idle thread outlived shutdown");
        // Never rejected: a task handed over after shutdown runs, and its thread ends after it.
        CountDownLatch late = new CountDownLatch(1);
        pool.execute(late::countDown);
        assertTrue(late.await(5, TimeUnit.SECONDS));
        waitUntil(() -> pool.threads() == 0);
    }

    @Test
    void aFailingTaskDoesNotStopThePool() throws Exception {
        pool(1, 60_000);
        pool.execute(() -> {
            throw new IllegalStateException("boom");
        });
        CountDownLatch next = new CountDownLatch(1);
        pool.execute(next::countDown);
        assertTrue(next.await(5, TimeUnit.SECONDS));
        assertEquals(1, uncaught.get(), "the thread's handler saw the failure");
        assertEquals(1, started.size(), "the same thread carried on");
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 5 s");
            }
            Thread.sleep(1);
        }
    }

    @Test
    void aThreadThatCannotStartLeavesItsTaskToTheOthersOrFailsWhenThereAreNone() throws Exception {
        AtomicInteger made = new AtomicInteger();
        WorkerPool flaky = new WorkerPool(2, TimeUnit.SECONDS.toNanos(60), r -> {
            if (made.incrementAndGet() == 1) {
                Thread t = new Thread(r, "haul-test-worker-ok");
                t.setDaemon(true);
                started.add(t);
                return t;
            }
            Thread dead = new Thread(() -> { }); // start() on it throws, like running out of threads
            dead.start();
            await(dead);
            return dead;
        });
        pool = flaky;
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Thread> ran = new LinkedBlockingQueue<>();
        flaky.execute(() -> {
            await(release);
            ran.add(Thread.currentThread());
        });
        flaky.execute(() -> ran.add(Thread.currentThread())); // its thread fails to start: queued
        assertEquals(1, flaky.threads());
        release.countDown();
        Thread first = ran.poll(5, TimeUnit.SECONDS);
        assertSame(first, ran.poll(5, TimeUnit.SECONDS), "the running thread took the queued task");

        WorkerPool none = new WorkerPool(1, TimeUnit.SECONDS.toNanos(60), r -> {
            Thread dead = new Thread(() -> { });
            dead.start();
            await(dead);
            return dead;
        });
        assertThrows(IllegalThreadStateException.class, () -> none.execute(() -> { }));
        assertEquals(0, none.threads());
    }

    private static void await(Thread t) {
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
