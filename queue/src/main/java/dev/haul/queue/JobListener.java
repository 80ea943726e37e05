package dev.haul.queue;

/**
 * Receives a queue's {@link JobEvent}s, in order, one at a time, on the queue's event thread and
 * never while the queue holds a lock. Keep it short: a slow listener delays the events of every
 * other listener (hand the event to a queue of your own if you write to a network).
 */
@FunctionalInterface
public interface JobListener {
    /**
     * A job changed.
     *
     * @param event what happened and the job afterwards
     */
    void onEvent(JobEvent event);
}
