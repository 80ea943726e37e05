package dev.haul.queue;

import java.util.List;

/**
 * One page of a listing, in queue order, and how many jobs matched in all.
 *
 * @param jobs the jobs of this page
 * @param total how many jobs matched the filter in all
 * @param offset how many matching jobs came before this page
 * @param limit the most jobs a page holds
 */
public record JobPage(List<Job> jobs, long total, long offset, int limit) {
    /**
     * A page; the list is copied.
     *
     * @param jobs the jobs of this page
     * @param total how many jobs matched the filter in all
     * @param offset how many matching jobs came before this page
     * @param limit the most jobs a page holds
     */
    public JobPage {
        jobs = List.copyOf(jobs);
    }
}
