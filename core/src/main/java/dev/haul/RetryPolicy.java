package dev.haul;

import java.time.Duration;
import java.util.Objects;

/**
 * How failed attempts are retried: how often, and how long to wait in between. Immutable; the
 * {@code with*} methods return changed copies.
 *
 * <p>Only failures whose {@link DownloadException.Reason#retryable() reason is retryable} are
 * retried. The retry budget resets whenever an attempt delivered body bytes past the furthest point
 * reached, so a long download over a flaky link keeps going as long as it keeps making progress.
 * Waits grow exponentially from {@link #initialBackoff()} up to {@link #maxBackoff()}, with jitter,
 * and a server's {@code Retry-After} is honoured up to {@link #maxRetryAfter()}; a longer
 * Retry-After gives up at once rather than wait beyond the budget.
 *
 * <pre>{@code
 * RetryPolicy patient =
 *         RetryPolicy.ofRetries(10).withBackoff(Duration.ofSeconds(1), Duration.ofMinutes(1));
 * }</pre>
 */
public final class RetryPolicy {

    /** Three retries (the seed's), 500 ms doubling to 30 s, Retry-After up to 2 minutes. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofMillis(500),
            Duration.ofSeconds(30), Duration.ofMinutes(2));

    /** No retries at all. */
    public static final RetryPolicy NONE =
            new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxRetryAfter;

    private RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff,
            Duration maxRetryAfter) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries < 0: " + maxRetries);
        }
        requireNonNegative(initialBackoff, "initialBackoff");
        requireNonNegative(maxBackoff, "maxBackoff");
        requireNonNegative(maxRetryAfter, "maxRetryAfter");
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff < initialBackoff: " + maxBackoff + " < "
                    + initialBackoff);
        }
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.maxRetryAfter = maxRetryAfter;
    }

    /**
     * The default policy with another retry count.
     *
     * @param maxRetries the most retries after the first attempt; 0 for none
     * @return the default policy with another retry count
     */
    public static RetryPolicy ofRetries(int maxRetries) {
        return DEFAULT.withMaxRetries(maxRetries);
    }

    /**
     * Retries after the first attempt without progress.
     *
     * @return retries after the first attempt without progress
     */
    public int maxRetries() {
        return maxRetries;
    }

    /**
     * The first wait.
     *
     * @return the first wait
     */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * The longest computed wait.
     *
     * @return the longest computed wait
     */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * The longest Retry-After honoured.
     *
     * @return the longest Retry-After honoured
     */
    public Duration maxRetryAfter() {
        return maxRetryAfter;
    }

    /**
     * This policy with another retry count.
     *
     * @param n the most retries after the first attempt; 0 for none
     * @return this policy with another retry count
     */
    public RetryPolicy withMaxRetries(int n) {
        return new RetryPolicy(n, initialBackoff, maxBackoff, maxRetryAfter);
    }

    /**
     * This policy with other waits: {@code initial}, doubling up to {@code max}.
     *
     * @param initial the wait before the first retry
     * @param max the longest wait between two retries
     * @return this policy with other waits: {@code initial}, doubling up to {@code max}
     */
    public RetryPolicy withBackoff(Duration initial, Duration max) {
        return new RetryPolicy(maxRetries, initial, max, maxRetryAfter);
    }

    /**
     * This policy honouring a Retry-After up to {@code max}.
     *
     * @param max the longest Retry-After honoured
     * @return this policy honouring a Retry-After up to {@code max}
     */
    public RetryPolicy withMaxRetryAfter(Duration max) {
        return new RetryPolicy(maxRetries, initialBackoff, maxBackoff, max);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy p && p.maxRetries == maxRetries
                && p.initialBackoff.equals(initialBackoff) && p.maxBackoff.equals(maxBackoff)
                && p.maxRetryAfter.equals(maxRetryAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxRetries, initialBackoff, maxBackoff, maxRetryAfter);
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxRetries=" + maxRetries + ", backoff=" + initialBackoff + ".."
                + maxBackoff + ", maxRetryAfter=" + maxRetryAfter + "}";
    }

    private static void requireNonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " < 0: " + d);
        }
    }
}
