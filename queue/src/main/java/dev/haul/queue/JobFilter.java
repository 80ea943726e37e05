package dev.haul.queue;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which jobs a listing returns: the states asked for (by default every state but
 * {@link JobState#REMOVED}) and one page of them in queue order.
 *
 * <pre>{@code
 * JobPage page = queue.list(JobFilter.all().states(JobState.FAILED).page(0, 50));
 * }</pre>
 */
public final class JobFilter {
    /** The most jobs one page holds: a listing is a page, not an export. */
    public static final int MAX_LIMIT = 1000;
    /** The page size when none is given. */
    public static final int DEFAULT_LIMIT = 100;

    private static final JobFilter ALL = new JobFilter(
            EnumSet.complementOf(EnumSet.of(JobState.REMOVED)), 0, DEFAULT_LIMIT);

    private final Set<JobState> states;
    private final long offset;
    private final int limit;

    private JobFilter(Set<JobState> states, long offset, int limit) {
        this.states = Collections.unmodifiableSet(EnumSet.copyOf(states));
        this.offset = offset;
        this.limit = limit;
    }

    /**
     * Every job but removed ones, the first {@value #DEFAULT_LIMIT}.
     *
     * @return the default filter
     */
    public static JobFilter all() {
        return ALL;
    }

    /**
     * This filter for jobs in any of {@code states} (none given: every state but removed).
     *
     * @param states the states to list
     * @return a filter for those states
     */
    public JobFilter states(JobState... states) {
        if (states.length == 0) {
            return new JobFilter(ALL.states, offset, limit);
        }
        EnumSet<JobState> set = EnumSet.noneOf(JobState.class);
        Collections.addAll(set, states);
        return new JobFilter(set, offset, limit);
    }

    /**
     * This filter for jobs in any of {@code states} (empty: every state but removed).
     *
     * @param states the states to list
     * @return a filter for those states
     */
    public JobFilter states(Set<JobState> states) {
        return states(states.toArray(new JobState[0]));
    }

    /**
     * This filter for one page: skip {@code offset} jobs, return at most {@code limit}.
     *
     * @param offset how many matching jobs to skip, at least 0
     * @param limit how many to return, 1 to {@value #MAX_LIMIT}
     * @return a filter for that page
     */
    public JobFilter page(long offset, int limit) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset < 0: " + offset);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit out of range 1.." + MAX_LIMIT + ": " + limit);
        }
        return new JobFilter(states, offset, limit);
    }

    /**
     * The states listed.
     *
     * @return the states listed
     */
    public Set<JobState> states() {
        return states;
    }

    /**
     * How many matching jobs are skipped.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }

    /**
     * The most jobs returned.
     *
     * @return the limit
     */
    public int limit() {
        return limit;
    }

    @Override
    public String toString() {
        return "JobFilter{" + states + " offset " + offset + " limit " + limit + "}";
    }
}
