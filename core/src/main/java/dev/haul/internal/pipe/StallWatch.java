package dev.haul.internal.pipe;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.TimeSource;
import dev.haul.internal.http.Exchange;

/**
 * Watches one exchange on the download's clock and aborts it when the response head does not come
 * within the response timeout, or when no body byte arrives for the stall timeout. Time the sink
 * spends taking a buffer (a slow disk, a slow chunk callback) is not a stall. The reason it fired
 * is kept for the transfer, which sees only the I/O failure of the aborted exchange.
 *
 * <p>One task is scheduled per exchange, at the earlier of the two timeouts, and it re-arms itself
 * for whatever is due next when it finds nothing wrong: the arrival of the head and of body bytes
 * only writes fields. A fast request therefore schedules one task and cancels it, and never
 * schedules a task that becomes the timer's earliest (which wakes the timer thread) just because
 * its head arrived; both timeouts still fire at exactly their time.
 */
public final class StallWatch implements Activity {
    private final TimeSource time;
    private final Exchange exchange;
    private final long stallNanos;
    private final String url;
    private final Object lock = new Object();
    private volatile long lastNanos;
    private volatile boolean headArrived;
    private volatile boolean busy;
    private volatile boolean throttled;
    private volatile DownloadException fired;
    private long headDeadline;
    private String headWhat;
    // Guarded by lock.
    private TimeSource.Cancellable task;
    private boolean stopped;

    /** A watch over {@code exchange}; nothing is scheduled until {@link #awaitHead}. */
    public StallWatch(TimeSource time, Exchange exchange, long stallNanos, String url) {
        this.time = time;
        this.exchange = exchange;
        this.stallNanos = stallNanos;
        this.url = url;
    }

    /**
     * Aborts the exchange unless {@link #headArrived()} comes within {@code timeoutNanos}, and from
     * then on whenever the body stalls. Called once, before the request is sent.
     */
    public void awaitHead(long timeoutNanos, String what) {
        long now = time.nanoTime();
        headDeadline = now + timeoutNanos;
        headWhat = what;
        schedule(Math.min(timeoutNanos, stallNanos));
    }

    /** The head arrived: from now on, watch the body for stalls. */
    public void headArrived() {
        lastNanos = time.nanoTime();
        headArrived = true;
    }

    private void check() {
        long now = time.nanoTime();
        if (!headArrived) {
            long left = headDeadline - now;
            if (left <= 0) {
                fire(new DownloadException(Reason.TIMEOUT, url, "no response headers in "
                        + headWhat));
            } else {
                // the stall timeout was the earlier: the head still has time; if it arrives
                // meanwhile, its body is checked no later than one stall timeout after it
                schedule(Math.min(left, stallNanos));
            }
            return;
        }
        long idle = busy || throttled ? 0 : now - lastNanos;
        if (idle >= stallNanos) {
            fire(new DownloadException(Reason.STALLED, url, "no data for "
                    + (stallNanos / 1_000_000) + " ms"));
        } else {
            schedule(stallNanos - idle);
        }
    }

    private void fire(DownloadException why) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            fired = why;
        }
        exchange.abort(why);
    }

    private void schedule(long delayNanos) {
        synchronized (lock) {
            if (stopped) {
                return;
            }
        }
        TimeSource.Cancellable next = time.schedule(this::check, delayNanos);
        boolean cancel;
        synchronized (lock) {
            cancel = stopped;
            if (!stopped) {
                task = next;
            }
        }
        if (cancel) {
            next.cancel();
        }
    }

    /** Why the watch aborted the exchange, or null. */
    public DownloadException fired() {
        return fired;
    }

    /** Stops watching. */
    public void stop() {
        TimeSource.Cancellable t;
        synchronized (lock) {
            stopped = true;
            t = task;
            task = null;
        }
        if (t != null) {
            t.cancel();
        }
    }

    @Override
    public void arrived() {
        lastNanos = time.nanoTime();
    }

    @Override
    public void targetBusy(boolean b) {
        busy = b;
    }

    @Override
    public void throttled(boolean waiting) {
        throttled = waiting;
        if (!waiting) {
            lastNanos = time.nanoTime(); // the stall clock restarts when the limit lets bytes pass
        }
    }
}
