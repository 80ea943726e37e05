package dev.haul.queue;

import java.util.Locale;
import java.util.Objects;

/**
 * A change of a job, as {@link DownloadQueue#subscribe(JobListener)} delivers it: what happened
 * and the job as it is afterwards. Events carry no credentials.
 *
 * @param sequence increases by one with every event of a queue, from 1 (a gap means events were
 *                 dropped, for a subscriber that fell behind)
 * @param type what happened
 * @param job the job afterwards
 */
public record JobEvent(long sequence, Type type, Job job) {

    /** What happened to the job. */
    public enum Type {
        /** It was added. */
        ADDED,
        /** Its state changed (see {@link Job#state()}; a failure carries its reason). */
        STATE,
        /** An active job's bytes and speed, a few times a second. */
        PROGRESS,
        /** Its position in the queue changed. */
        MOVED;

        /**
         * The lower-case name used on the wire: {@code added}, {@code state}, ...
         *
         * @return the lower-case name
         */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * An event.
     *
     * @param sequence the event's number in its queue
     * @param type what happened
     * @param job the job afterwards
     */
    public JobEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(job, "job");
    }
}
