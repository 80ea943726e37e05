package dev.haul;

import java.time.Duration;
import java.util.Objects;

/**
 * How failed attempts are retried: how often, and how long to wait in between.
 *
 * <p>Only failures whose {@link DownloadException.Reason#retryable() reason is retryable} are
 * retried. The retry budget resets whenever an attempt delivered body bytes, so a long download
 * over a flaky link keeps going as long as it keeps making progress. Waits grow exponentially from
 * {@link #initialBackoff()} up to {@link #maxBackoff()}, with full jitter, and a server's
 * {@code Retry-After} is honoured up to {@link #maxRetryAfter()}; a longer Retry-After gives up at
 * once rather than wait beyond the budget.
 *
 * @param maxRetries     retries after the first attempt without progress (default 3, as the seed)
 * @param initialBackoff the first wait (default 500 ms)
 * @param maxBackoff     the longest computed wait (default 30 s)
 * @param maxRetryAfter  the longest Retry-After honoured (default 2 min)
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter) {

    /** Three retries, 500 ms doubling to 30 s, Retry-After up to 2 minutes. */
    public static final RetryPolicy DEFAULT =
            new RetryPolicy(3, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(2));

    /** No retries at all. */
    public static final RetryPolicy NONE = new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries < 0: " + maxRetries);
        }
        requireNonNegative(initialBackoff, "initialBackoff");
        requireNonNegative(maxBackoff, "maxBackoff");
        requireNonNegative(maxRetryAfter, "maxRetryAfter");
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff < initialBackoff: " + maxBackoff + " < " + initialBackoff);
        }
    }

    /** The default policy with another retry count. */
    public static RetryPolicy ofRetries(int maxRetries) {
        return DEFAULT.withMaxRetries(maxRetries);
    }

    public RetryPolicy withMaxRetries(int n) {
        return new RetryPolicy(n, initialBackoff, maxBackoff, maxRetryAfter);
    }

    public RetryPolicy withBackoff(Duration initial, Duration max) {
        return new RetryPolicy(maxRetries, initial, max, maxRetryAfter);
    }

    public RetryPolicy withMaxRetryAfter(Duration max) {
        return new RetryPolicy(maxRetries, initialBackoff, maxBackoff, max);
    }

    private static void requireNonNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " < 0: " + d);
        }
    }
}
