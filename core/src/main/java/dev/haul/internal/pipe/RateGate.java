package dev.haul.internal.pipe;

import dev.haul.TimeSource;
import dev.haul.internal.net.TokenBucket;
import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * The bandwidth limit of one download: its own bucket and the manager's shared one. The copy loop
 * reads at most {@link #maxRead} bytes at a time (a tenth of a second at the lowest rate, so the
 * limit holds within a few percent over any few seconds) and {@link #pay pays} for each read,
 * waiting on the download's clock until the bytes may pass. The wait is a wait on the clock, not a
 * sleep: a fake clock drives it in tests, and {@link #interrupt()} (a cancel, a closing manager)
 * ends it at once. Either limit may change at any time.
 */
public final class RateGate {
    /** Reads below this are not worth their system call, whatever the rate. */
    static final int MIN_READ = 1024;

    private final TokenBucket own;
    private final TokenBucket shared;
    private final TimeSource time;
    private final Object lock = new Object();
    private boolean interrupted;

    /**
     * @param own    this download's limit (rate 0 = none), changeable
     * @param shared the manager's limit, shared by its downloads, or null
     */
    public RateGate(TokenBucket own, TokenBucket shared, TimeSource time) {
        this.own = own;
        this.shared = shared;
        this.time = time;
    }

    /** Whether any limit is set now. */
    public boolean limited() {
        return own.rate() > 0 || (shared != null && shared.rate() > 0);
    }

    /** The most bytes to read at once under the lowest rate in force, at most {@code capacity}. */
    public int maxRead(int capacity) {
        long rate = lowest();
        if (rate <= 0) {
            return capacity;
        }
        return (int) Math.max(MIN_READ, Math.min(capacity, rate / 10));
    }

    private long lowest() {
        long a = own.rate();
        long b = shared == null ? 0 : shared.rate();
        if (a <= 0) {
            return b;
        }
        return b <= 0 ? a : Math.min(a, b);
    }

    /** Takes {@code bytes} from both buckets and waits, on the clock, until they may pass. */
    public void pay(int bytes, Activity activity) throws IOException {
        long wait = TokenBucket.reserveBoth(bytes, own, shared);
        if (wait <= 0) {
            return;
        }
        activity.throttled(true);
        try {
            await(wait);
        } finally {
            activity.throttled(false);
        }
    }

    private void await(long nanos) throws IOException {
        boolean[] due = {false};
        TimeSource.Cancellable task = time.schedule(() -> {
            synchronized (lock) {
                due[0] = true;
                lock.notifyAll();
            }
        }, nanos);
        try {
            synchronized (lock) {
                while (!due[0] && !interrupted) {
                    lock.wait();
                }
                if (interrupted) {
                    throw new InterruptedIOException("the download was stopped while throttled");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while throttled");
        } finally {
            task.cancel();
        }
    }

    /** Ends a wait now and every later one: the download is stopping. */
    public void interrupt() {
        synchronized (lock) {
            interrupted = true;
            lock.notifyAll();
        }
    }

    /** A stage that reads at most {@link #maxRead} at a time and pays for what it read. */
    public BodySource around(BodySource source, Activity activity) {
        return dst -> {
            if (!limited()) {
                return source.read(dst);
            }
            int limit = dst.limit();
            int max = maxRead(dst.remaining());
            dst.limit(dst.position() + max);
            int n;
            try {
                n = source.read(dst);
            } finally {
                dst.limit(limit);
            }
            if (n > 0) {
                pay(n, activity);
            }
            return n;
        };
    }
}
