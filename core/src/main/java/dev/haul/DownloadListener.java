package dev.haul;

import java.time.Duration;

/**
 * Events of one download. Methods run on the library's threads, never while it holds a lock; keep
 * them short. Every method has an empty default.
 */
public interface DownloadListener {

    /** Body bytes arrived. Called at most a few times per second, and once at the end. */
    default void onProgress(Progress progress) {
    }

    /**
     * An attempt failed and another follows after {@code delay}, asking for the body from
     * {@code resumeFrom} (0 means from the beginning).
     */
    default void onRetry(DownloadException cause, int nextAttempt, Duration delay, long resumeFrom) {
    }
}
