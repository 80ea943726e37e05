package dev.haul.internal.session;

import dev.haul.TimeSource;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The system clock, with one timer thread owned by one manager: started on demand, ended after
 * 100 ms without anything scheduled (a running download always has its stall check scheduled, so
 * the thread stays while downloads run), and stopped for good by {@link #shutdown()}.
 */
public final class SystemTime implements TimeSource {
    private final ScheduledThreadPoolExecutor timer;

    public SystemTime(String threadPrefix) {
        timer = new ScheduledThreadPoolExecutor(1, Threads.daemon(threadPrefix));
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(100, TimeUnit.MILLISECONDS);
        timer.allowCoreThreadTimeOut(true); // no thread while nothing is scheduled
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        try {
            ScheduledFuture<?> f = timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        } catch (RejectedExecutionException e) {
            return () -> false; // shut down: whatever wanted the timer has been cancelled
        }
    }

    /** Stops the timer thread; pending tasks are dropped. */
    public void shutdown() {
        timer.shutdownNow();
    }
}
