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
 */
public final class StallWatch implements Activity {
    private final TimeSource time;
    private final Exchange exchange;
    private final long stallNanos;
    private final String url;
    private final Object lock = new Object();
    private volatile long lastNanos;
    private volatile boolean busy;
    private volatile boolean throttled;
    private volatile DownloadException fired;
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

    /** Aborts the exchange unless {@link #headArrived()} comes within {@code timeoutNanos}. */
    public void awaitHead(long timeoutNanos, String what) {
        schedule(() -> fire(new DownloadException(Reason.TIMEOUT, url, "no response headers in "
                + what)), timeoutNanos);
    }

    /** The head arrived: from now on, watch the body for stalls. */
    public void headArrived() {
        lastNanos = time.nanoTime();
        schedule(this::check, stallNanos);
    }

    private void check() {
        long idle = busy || throttled ? 0 : time.nanoTime() - lastNanos;
        if (idle >= stallNanos) {
            fire(new DownloadException(Reason.STALLED, url, "no data for "
                    + (stallNanos / 1_000_000) + " ms"));
        } else {
            schedule(this::check, stallNanos - idle);
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

    private void schedule(Runnable r, long delayNanos) {
        TimeSource.Cancellable previous;
        synchronized (lock) {
            if (stopped) {
                return;
            }
            previous = task;
            task = null;
        }
        if (previous != null) {
            previous.cancel();
        }
        TimeSource.Cancellable next = time.schedule(r, delayNanos);
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
