package dev.haul.queue;

import java.util.Locale;

/**
 * Where a job is in its life. Jobs start {@link #QUEUED} (or {@link #PAUSED} when added paused),
 * become {@link #ACTIVE} while a daemon downloads them, and end {@link #COMPLETED},
 * {@link #FAILED} or {@link #REMOVED}. A failed job can be resumed (retried); a removed one is kept
 * as a record and never runs again.
 */
public enum JobState {
    /** Waiting for a free download slot, in queue order. */
    QUEUED,
    /** Being downloaded by a daemon that holds its lease. */
    ACTIVE,
    /** Stopped by a caller; its partial file is kept, and resuming continues from it. */
    PAUSED,
    /** The file is complete and verified at its destination. Never downloaded again. */
    COMPLETED,
    /** The download failed; {@link Job#failure()} says why. Resuming retries it. */
    FAILED,
    /** Removed by a caller: listed only when asked for, never run again. */
    REMOVED;

    /**
     * Whether the job will not change again by itself: completed, failed or removed.
     *
     * @return whether the job will not change again by itself
     */
    public boolean finished() {
        return this == COMPLETED || this == FAILED || this == REMOVED;
    }

    /**
     * Whether the job still holds or will write its file: queued, active or paused.
     *
     * @return whether the job still holds or will write its file
     */
    public boolean live() {
        return this == QUEUED || this == ACTIVE || this == PAUSED;
    }

    /**
     * The lower-case name used in the API and the database: {@code queued}, {@code active}, ...
     *
     * @return the lower-case name
     */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The state named {@code name} in any case.
     *
     * @param name a state's name, such as {@code queued}
     * @return the state
     * @throws IllegalArgumentException if no state has that name
     */
    public static JobState parse(String name) {
        for (JobState s : values()) {
            if (s.name().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown job state: '" + name
                + "' (one of queued, active, paused, completed, failed, removed)");
    }
}
