package dev.haul;

/**
 * The clock and timer of a {@link DownloadManager}: every wait and every measurement of time in a
 * download reads it — retry backoff, {@code Retry-After}, the response and stall timeouts, the
 * deadline, speed and ETA, and the idle release of the session.
 *
 * <p>By default a manager uses the system's clock and one timer thread of its own, which it stops
 * when it closes. A test or a simulation injects another source, such as a fake clock whose
 * {@code advance(Duration)} runs the tasks that fall due, so that timeouts and backoffs happen on
 * its command instead of after real waits:
 * <pre>{@code
 * DownloadManager manager = DownloadManager.builder().timeSource(fakeTime).build();
 * }</pre>
 *
 * <p>Implementations are thread-safe. Scheduled tasks are short and never block; they may run on
 * any thread, but never while a lock of the manager is held.
 */
public interface TimeSource {

    /**
     * A monotonic time in nanoseconds since an arbitrary origin, as {@link System#nanoTime()}.
     *
     * @return a monotonic time in nanoseconds since an arbitrary origin
     */
    long nanoTime();

    /**
     * The wall-clock time in milliseconds since the epoch, to read HTTP dates such as Retry-After.
     *
     * @return the wall-clock time in milliseconds since the epoch
     */
    long currentTimeMillis();

    /**
     * Runs {@code task} once, {@code delayNanos} from now on this source's clock, on a thread of
     * the source's choosing.
     *
     * @param task what to run
     * @param delayNanos how long from now, in nanoseconds
     * @return a handle that cancels the task if it has not started
     */
    Cancellable schedule(Runnable task, long delayNanos);

    /** A scheduled task that can still be called off. */
    @FunctionalInterface
    interface Cancellable {
        /**
         * Calls the task off; returns false if it already ran or was called off.
         *
         * @return false if the task already ran or was called off
         */
        boolean cancel();
    }
}
