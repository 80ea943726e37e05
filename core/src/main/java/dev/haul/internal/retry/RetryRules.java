package dev.haul.internal.retry;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.RetryPolicy;
import dev.haul.internal.resume.Validators;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every rule about whether, when and how a failed attempt is tried again, in one place. The
 * transfer asks; these methods decide and return; the transfer acts.
 */
public final class RetryRules {
    private RetryRules() {
    }

    /** What to do after a failed attempt. */
    public sealed interface Decision {
    }

    /** Stop: the download fails with {@code failure}. */
    public record GiveUp(DownloadException failure) implements Decision {
    }

    /**
     * Try again after {@code delay}; with {@code startOver} the bytes held are discarded first,
     * because nothing could prove that a resumed body continues them.
     */
    public record RetryIn(Duration delay, boolean startOver) implements Decision {
    }

    /**
     * Decides what follows a failed attempt.
     *
     * @param failure      why the attempt failed
     * @param retriesUsed  retries spent since the last attempt that made progress
     * @param retryAfter   the server's Retry-After, or null
     * @param held         body bytes held now
     * @param validators   what identifies the representation held
     * @param delivered    whether held bytes were already handed to the caller (a stream)
     * @param untilDeadline time left before the download's deadline, or null for none
     */
    public static Decision afterFailure(DownloadException failure, int retriesUsed,
                                        RetryPolicy policy, Duration retryAfter, long held,
                                        Validators validators, boolean delivered,
                                        Duration untilDeadline) {
        // Other 4xx, TLS, policy, local I/O, integrity, a failed callback: a retry cannot change
        // them.
        if (!failure.retryable()) {
            return new GiveUp(failure);
        }
        // The budget counts attempts without progress; progress renews it (see budgetAfter).
        if (retriesUsed >= policy.maxRetries()) {
            return new GiveUp(failure);
        }
        // A server that asks for longer than we are willing to wait gets no retry at all.
        if (retryAfter != null && retryAfter.compareTo(policy.maxRetryAfter()) > 0) {
            return new GiveUp(failure);
        }
        Duration delay = backoff(retriesUsed, policy);
        // The server knows best when it will be back: never retry sooner than it asked.
        if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
            delay = retryAfter;
        }
        // A wait that would end past the deadline is no retry: fail now with the real reason.
        if (untilDeadline != null && delay.compareTo(untilDeadline) > 0) {
            return new GiveUp(failure);
        }
        // Held bytes that no validator or length can vouch for cannot be continued ...
        boolean cannotVerify = held > 0 && !validators.canVerify();
        // ... and a stream cannot take back the chunks it delivered, so it cannot start over
        // either.
        if (cannotVerify && delivered) {
            return new GiveUp(new DownloadException(Reason.CANNOT_RESUME, failure.url(),
                    failure.getMessage() + "; the server gave no validator or length to resume"
                            + " the stream safely", failure));
        }
        return new RetryIn(delay, cannotVerify);
    }

    /**
     * The retries used after an attempt: reset to 0 when it moved the body past the furthest offset
     * any attempt reached (progress renews the budget; starting over is not progress).
     */
    public static int budgetAfter(int retriesUsed, boolean progressed) {
        return progressed ? 0 : retriesUsed;
    }

    /**
     * Exponential backoff from {@code initialBackoff}, doubling per retry, capped at
     * {@code maxBackoff}, with "equal jitter": half fixed, half random, so retries of many clients
     * spread out.
     */
    static Duration backoff(int retriesUsed, RetryPolicy policy) {
        long initial = policy.initialBackoff().toNanos();
        long cap = policy.maxBackoff().toNanos();
        long base = initial << Math.min(retriesUsed, 30);
        if (base <= 0 || base > cap) {
            base = cap;
        }
        long wait = base / 2
                + (base > 1 ? ThreadLocalRandom.current().nextLong(base / 2 + 1) : base);
        return Duration.ofNanos(wait);
    }

    /**
     * Whether an HTTP status is worth another try later (RFC 9110: 408, 429, 5xx gateway errors).
     */
    public static boolean transientStatus(int status) {
        return status == 408 || status == 429 || status == 500 || status == 502 || status == 503
                || status == 504;
    }
}
