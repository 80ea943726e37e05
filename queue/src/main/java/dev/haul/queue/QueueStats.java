package dev.haul.queue;

import java.util.Map;

/**
 * The queue at a glance: jobs per state, the total speed of active downloads, and the options.
 *
 * @param jobs how many jobs are in each state (every state present, 0 when none)
 * @param bytesPerSecond the sum of the active downloads' speeds
 * @param maxConcurrentDownloads how many jobs run at once at most
 * @param maxBytesPerSecond the global rate limit, 0 for none
 */
public record QueueStats(Map<JobState, Long> jobs, double bytesPerSecond,
                         int maxConcurrentDownloads, long maxBytesPerSecond) {
    /**
     * Stats; the map is copied.
     *
     * @param jobs how many jobs are in each state
     * @param bytesPerSecond the sum of the active downloads' speeds
     * @param maxConcurrentDownloads how many jobs run at once at most
     * @param maxBytesPerSecond the global rate limit, 0 for none
     */
    public QueueStats {
        jobs = Map.copyOf(jobs);
    }
}
