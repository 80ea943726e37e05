package dev.haul.queue.testing;

import dev.haul.queue.JobEvent;
import dev.haul.queue.JobListener;
import dev.haul.queue.JobState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Records a queue's events and waits, with a bound, for one that matches. */
public final class EventLog implements JobListener {
    private final List<JobEvent> events = new ArrayList<>();

    @Override
    public synchronized void onEvent(JobEvent event) {
        events.add(event);
        notifyAll();
    }

    public synchronized List<JobEvent> events() {
        return List.copyOf(events);
    }

    /** The first event (already seen or still to come) that matches; fails after the timeout. */
    public synchronized JobEvent await(Predicate<JobEvent> match, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (JobEvent e : events) {
                if (match.test(e)) {
                    return e;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no matching event within " + timeout + "; saw "
                        + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** The first STATE event of job {@code id} into {@code state}. */
    public JobEvent awaitState(long id, JobState state, Duration timeout)
            throws InterruptedException {
        return await(e -> e.type() == JobEvent.Type.STATE && e.job().id() == id
                && e.job().state() == state, timeout);
    }
}
