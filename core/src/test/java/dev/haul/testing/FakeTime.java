package dev.haul.testing;

import dev.haul.TimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * A clock that moves only when a test says so, like Caffeine's {@code FakeTicker}: backoffs,
 * Retry-After, response and stall timeouts, deadlines and idle releases then happen at the test's
 * command, instantly and in a fixed order, instead of after real waits.
 *
 * <pre>{@code
 * FakeTime time = new FakeTime();
 * try (DownloadManager m = DownloadManager.builder().timeSource(time).build()) {
 *   Download<byte[]> d = m.download(request, Destination.memory());
 *   time.awaitPending(1, Duration.ofSeconds(5)); // the engine armed its stall watch
 *   time.advance(Duration.ofSeconds(10));         // ... and the stall fires now
 * }
 * }</pre>
 *
 * <p>Scheduled tasks run on the thread that calls {@link #advance}, in order of their due time,
 * never while this clock's lock is held.
 */
public final class FakeTime implements TimeSource {
    private final Object lock = new Object();
    // Guarded by lock.
    private long nanos = TimeUnit.DAYS.toNanos(1);
    private long wallMillis = 1_800_000_000_000L; // 2027-01-15: a fixed, plausible wall clock
    private long sequence;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();

    private final class Task implements Comparable<Task>, Cancellable {
        final long due;
        final long seq;
        final Runnable run;
        boolean cancelled;

        Task(long due, long seq, Runnable run) {
            this.due = due;
            this.seq = seq;
            this.run = run;
        }

        @Override
        public int compareTo(Task o) {
            return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
        }

        @Override
        public boolean cancel() {
            synchronized (lock) {
                if (cancelled) {
                    return false;
                }
                cancelled = true;
                return tasks.remove(this);
            }
        }
    }

    @Override
    public long nanoTime() {
        synchronized (lock) {
            return nanos;
        }
    }

    @Override
    public long currentTimeMillis() {
        synchronized (lock) {
            return wallMillis;
        }
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        synchronized (lock) {
            Task t = new Task(nanos + Math.max(0, delayNanos), sequence++, task);
            tasks.add(t);
            lock.notifyAll();
            return t;
        }
    }

    /** Moves the clock forward by {@code d}, running every task that falls due, in order. */
    public void advance(Duration d) {
        long target;
        synchronized (lock) {
            target = nanos + d.toNanos();
        }
        while (true) {
            Task next;
            synchronized (lock) {
                next = tasks.peek();
                if (next == null || next.due > target) {
                    wallMillis += (target - nanos) / 1_000_000;
                    nanos = target;
                    return;
                }
                tasks.poll();
                wallMillis += (next.due - nanos) / 1_000_000;
                nanos = next.due;
                next.cancelled = true;
            }
            next.run.run();
        }
    }

    /** Runs the tasks due now, without moving the clock. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /** Tasks waiting. */
    public int pending() {
        synchronized (lock) {
            return tasks.size();
        }
    }

    /** The delays (from now) of the tasks waiting, soonest first. */
    public List<Duration> pendingDelays() {
        synchronized (lock) {
            List<Task> sorted = new ArrayList<>(tasks);
            sorted.sort(null);
            List<Duration> out = new ArrayList<>();
            for (Task t : sorted) {
                out.add(Duration.ofNanos(t.due - nanos));
            }
            return out;
        }
    }

    /**
     * Waits, in real time up to {@code timeout}, until at least {@code n} tasks are scheduled: the
     * engine has reached the wait the test wants to cut short.
     *
     * @throws AssertionError when the tasks do not come in time
     */
    public void awaitPending(int n, Duration timeout) throws InterruptedException {
        awaitTask(delay -> true, n, timeout);
    }

    /** Waits, in real time up to {@code timeout}, for {@code n} tasks whose delay matches. */
    public void awaitTask(LongPredicate delayNanos, int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (count(delayNanos) < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " scheduled task(s), have " + tasks.size()
                            + " due in " + pendingDelaysLocked());
                }
                lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    private int count(LongPredicate delayNanos) {
        int c = 0;
        for (Task t : tasks) {
            if (delayNanos.test(t.due - nanos)) {
                c++;
            }
        }
        return c;
    }

    private List<Long> pendingDelaysLocked() {
        List<Long> out = new ArrayList<>();
        for (Task t : tasks) {
            out.add((t.due - nanos) / 1_000_000);
        }
        out.sort(null);
        return out;
    }
}
