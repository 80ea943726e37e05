package dev.haul.internal.net;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A bandwidth limit: tells each caller how long to wait before the bytes it wants to move may
 * pass, so that the bytes passed through it stay at or below a rate.
 *
 * <h2>How it works</h2>
 * A token bucket that may go into debt, kept as one number: the clock time at which the bucket
 * holds no tokens ({@code emptyAt}). The tokens held at time {@code now} are
 * {@code (now - emptyAt) × rate}. {@link #reserve} first refills (caps {@code emptyAt} at
 * {@link #BURST_NANOS} before now: a full bucket), then takes the bytes by moving
 * {@code emptyAt} forward by {@code bytes / rate} and returns how far {@code emptyAt} lies in
 * the future: the wait before those bytes may pass, 0 when the bucket held enough. Reserving
 * never fails and never blocks, even for more bytes than the bucket holds: the caller waits
 * longer, and later callers queue behind its debt.
 *
 * <h2>Burst: at most 100 ms worth of bytes</h2>
 * A bucket that has been idle lets 100 ms of traffic through at once, and no more, whatever the
 * rate. That keeps a burst within 2 % of any 5-second window (the accuracy target), scales with
 * the rate so that 100 MB/s readers are not made to wait between every 64 KiB read, and needs no
 * minimum for tiny rates: because reservations go into debt, a read larger than the bucket still
 * passes after the right wait. A minimum such as 16 KiB would instead let 16 seconds' worth of
 * a 1 KiB/s limit through in one go.
 *
 * <h2>Fairness</h2>
 * Debt makes reservations a queue in arrival order: several downloads sharing one bucket each
 * get their next read through after the reads queued before it, so each gets a share in
 * proportion to the size of its reads (equal shares for equal buffer sizes). No download can
 * starve another, because nobody's reservation is ever refused.
 *
 * <h2>Accuracy, and what the caller must do</h2>
 * The bytes that pass in any window of length T are at most {@code rate × T} plus the burst
 * plus one reservation, and, for a caller that always has bytes ready, at least
 * {@code rate × T} minus one reservation. So a caller that wants to stay within 5 % over
 * 5 seconds reserves at most {@code rate / 10} bytes at a time (2 % of such a window); at
 * 100 KB/s that means reads of at most 10 KB, at 1 MB/s and above a 64 KiB buffer is fine.
 * The caller must sleep the whole wait it is given (the wait is the time its bytes are
 * scheduled for, whether it reserves before or after moving them).
 *
 * <h2>Rate changes</h2>
 * {@link #setRate} takes effect for the next reservation: the bytes of debt or credit the bucket
 * holds are carried over at the new rate (a download that owes 64 KiB at 1 KiB/s owes it at the
 * new rate, not 64 seconds). Waits already handed out are not shortened; a caller that wants a
 * faster reaction sleeps in slices and reserves 0 bytes to learn the remaining wait. A rate of
 * 0 or less means no limit: every reservation returns 0 and costs nothing.
 *
 * <p>Thread-safe; the clock is read outside the lock, and nothing else is called under it.
 */
public final class TokenBucket {

    /** How much traffic, in time at the current rate, a full bucket lets through at once. */
    public static final long BURST_NANOS = 100_000_000L;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Debt is capped at about 146 years so that clock arithmetic cannot overflow. */
    private static final long MAX_DEBT_NANOS = Long.MAX_VALUE / 2;

    private final LongSupplier nanoTime;
    private long rate;
    private long emptyAt;
    /** The part of the last costs that was less than a nanosecond, in units of 1/rate ns. */
    private long carry;

    /**
     * Creates a full bucket.
     *
     * @param bytesPerSecond the limit; 0 or less for none
     * @param nanoTime       a monotonic clock in nanoseconds, such as {@code System::nanoTime}
     */
    public TokenBucket(long bytesPerSecond, LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.rate = bytesPerSecond;
        this.emptyAt = nanoTime.getAsLong() - BURST_NANOS;
    }

    /**
     * Takes {@code bytes} from the bucket and returns how many nanoseconds the caller must wait
     * before they may pass: 0 when they may pass now. Never blocks.
     *
     * @throws IllegalArgumentException when {@code bytes} is negative
     */
    public long reserve(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes < 0: " + bytes);
        }
        long now = nanoTime.getAsLong();
        synchronized (this) {
            if (rate <= 0) {
                return 0;
            }
            if (emptyAt - now < -BURST_NANOS) {
                emptyAt = now - BURST_NANOS;
            }
            long debt = emptyAt - now;
            long cost = cost(bytes);
            debt = cost > MAX_DEBT_NANOS - debt ? MAX_DEBT_NANOS : debt + cost;
            emptyAt = now + debt;
            return Math.max(0, debt);
        }
    }

    /**
     * Changes the limit for the next reservation; 0 or less removes it. The bucket's credit or
     * debt in bytes carries over to the new rate.
     */
    public void setRate(long bytesPerSecond) {
        long now = nanoTime.getAsLong();
        synchronized (this) {
            if (bytesPerSecond > 0 && rate > 0) {
                double balanceBytes = Math.min(now - emptyAt, BURST_NANOS) * (double) rate
                        / NANOS_PER_SECOND;
                double nanos = balanceBytes * NANOS_PER_SECOND / bytesPerSecond;
                // Rounding -MAX_DEBT_NANOS to a double is harmless: it is a bound, not a balance.
                long clamped =
                        (long) Math.max((double) -MAX_DEBT_NANOS, Math.min(BURST_NANOS, nanos));
                emptyAt = now - clamped;
            } else if (bytesPerSecond > 0) {
                emptyAt = now - BURST_NANOS; // from no limit: start with a full bucket
            }
            rate = bytesPerSecond;
            carry = 0;
        }
    }

    /** Returns the limit in bytes per second; 0 or less means none. */
    public synchronized long rate() {
        return rate;
    }

    /**
     * Reserves {@code bytes} from a download's own bucket and from a bucket shared by all
     * downloads, and returns the longer of the two waits. Either bucket may be null. Both are
     * charged at once, so the shared bucket counts the bytes even while the download's own limit
     * holds them back: the total never exceeds the shared rate and each download never exceeds
     * its own.
     */
    public static long reserveBoth(int bytes, TokenBucket download, TokenBucket shared) {
        long first = download == null ? 0 : download.reserve(bytes);
        long second = shared == null ? 0 : shared.reserve(bytes);
        return Math.max(first, second);
    }

    /** Returns the rate, never anything else. */
    @Override
    public String toString() {
        return "TokenBucket[" + Rates.format(rate()) + "]";
    }

    /** {@code bytes / rate} in nanoseconds, carrying the remainder so no time is lost. */
    private long cost(int bytes) {
        long scaled = bytes * NANOS_PER_SECOND;
        long nanos = scaled / rate;
        long remainder = scaled % rate;
        if (carry >= rate - remainder) {
            nanos++;
            carry -= rate - remainder;
        } else {
            carry += remainder;
        }
        return nanos;
    }
}
