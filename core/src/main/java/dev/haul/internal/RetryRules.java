package dev.haul.internal;

import dev.haul.DownloadException;
import dev.haul.RetryPolicy;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Every rule about whether and when a failed attempt is tried again, in one place. */
final class RetryRules {
    private RetryRules() {
    }

    /**
     * The wait before the next attempt, or null to give up.
     *
     * @param failure     why the attempt failed
     * @param retriesUsed retries already spent since the last attempt that made progress
     * @param retryAfter  the server's Retry-After, or null
     */
    static Duration nextDelay(DownloadException failure, int retriesUsed, RetryPolicy policy, Duration retryAfter) {
        // Other 4xx, TLS, policy, local I/O, integrity, cancellation: a retry cannot change them.
        if (!failure.retryable()) {
            return null;
        }
        // The budget counts attempts without progress; progress resets it (the caller does that).
        if (retriesUsed >= policy.maxRetries()) {
            return null;
        }
        // Exponential backoff from initialBackoff, capped at maxBackoff ...
        long initial = policy.initialBackoff().toNanos();
        long cap = policy.maxBackoff().toNanos();
        long base = initial << Math.min(retriesUsed, 30);
        if (base <= 0 || base > cap) {
            base = cap;
        }
        // ... with "equal jitter": half fixed, half random, so retries of many clients spread out.
        long wait = base / 2 + (base > 1 ? ThreadLocalRandom.current().nextLong(base / 2 + 1) : base);
        if (retryAfter != null) {
            // A server that asks for longer than we are willing to wait gets no retry at all.
            if (retryAfter.compareTo(policy.maxRetryAfter()) > 0) {
                return null;
            }
            // The server knows best when it will be back: never retry sooner than it asked.
            wait = Math.max(wait, retryAfter.toNanos());
        }
        return Duration.ofNanos(wait);
    }
}
