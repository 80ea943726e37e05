package dev.haul.queue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where jobs live, shaped for several daemons sharing one queue: a daemon <em>claims</em> queued
 * jobs, holding each under a <em>lease</em> that it renews with every <em>heartbeat</em> and that
 * ends when it <em>completes</em>, <em>fails</em> or <em>releases</em> the job. A job whose lease
 * expired (its daemon died) can be claimed again. Commands (pause, resume, move, remove) may come
 * from any daemon; the one running the job learns of them from its next heartbeat, which reports
 * the jobs it no longer holds.
 *
 * <p>Every method is one transaction: after a crash the store holds each change whole or not at
 * all. Implementations live in this package: {@link SqliteJobStore} (one daemon at a time, which
 * holds every lease) and {@link PostgresJobStore} (a fleet of daemons on one database, claiming
 * with {@code FOR UPDATE SKIP LOCKED} and capping connections per host over the fleet).
 * Thread-safe.
 */
public interface JobStore extends AutoCloseable {

    // ---------------------------------------------------------------- adding and reading

    /**
     * Adds jobs at the end of the queue, in order, all or none: {@link JobState#PAUSED} when the
     * request says so, else {@link JobState#QUEUED}.
     *
     * @param jobs the jobs to add
     * @param now the time to record
     * @return the jobs as stored, with their ids
     * @throws QueueException {@link QueueException.Code#FILE_EXISTS} if a live job already writes
     *     one of the files; {@link QueueException.Code#STORE} if a key is taken
     */
    List<Job> insert(List<NewJob> jobs, Instant now);

    /**
     * The job with this id, in any state.
     *
     * @param id the job's id
     * @return the job, or empty
     */
    Optional<Job> find(long id);

    /**
     * The job added with this idempotency key.
     *
     * @param key the key
     * @return the job, or empty
     */
    Optional<Job> findByKey(String key);

    /**
     * One page of the jobs {@code filter} selects, in queue order.
     *
     * @param filter the states and the page
     * @return the page and the number of matching jobs
     */
    JobPage list(JobFilter filter);

    /**
     * How many jobs are in each state.
     *
     * @return a count for every state
     */
    Map<JobState, Long> counts();

    /**
     * Whether a live job (queued, active or paused) writes {@code directory/fileName}, or a
     * removed one whose partial file is still to be deleted.
     *
     * @param directory the directory
     * @param fileName the file name
     * @return whether the file is taken
     */
    boolean fileTaken(Path directory, String fileName);

    // ---------------------------------------------------------------- work: claim, lease, finish

    /**
     * Claims up to {@code max} jobs for {@code owner}: jobs whose lease expired first (they were
     * running), then queued ones in queue order. Each becomes {@link JobState#ACTIVE}, leased to
     * {@code owner} until {@code now + lease}, with its attempts counted up.
     *
     * @param owner the claiming daemon's name
     * @param max the most jobs to claim
     * @param now the time
     * @param lease how long the claim holds without a heartbeat
     * @return the claimed jobs
     */
    List<Job> claim(String owner, int max, Instant now, Duration lease);

    /**
     * Renews {@code owner}'s leases on the jobs of {@code progress} and records their bytes.
     *
     * @param owner the daemon's name
     * @param progress the jobs it runs and their bytes
     * @param now the time
     * @param lease how long the renewed claims hold
     * @return the ids among them that {@code owner} no longer holds (paused, removed or taken
     *     over): it must stop those downloads
     */
    Set<Long> heartbeat(String owner, Collection<JobProgress> progress, Instant now,
            Duration lease);

    /**
     * Records that the job's file is complete: from active under {@code owner}'s lease, or from
     * paused (the file was finished as the pause came in).
     *
     * @param owner the daemon's name
     * @param progress the job and its final bytes
     * @param now the time
     * @return the completed job, or empty if it was not {@code owner}'s to complete
     */
    Optional<Job> complete(String owner, JobProgress progress, Instant now);

    /**
     * Records that the job failed, if it is active under {@code owner}'s lease.
     *
     * @param owner the daemon's name
     * @param progress the job and its bytes
     * @param failure why
     * @param now the time
     * @return the failed job, or empty if it was not {@code owner}'s
     */
    Optional<Job> fail(String owner, JobProgress progress, JobFailure failure, Instant now);

    /**
     * Gives {@code owner}'s active jobs back to the queue (a clean stop): they become queued, in
     * their places, with their bytes recorded.
     *
     * @param owner the daemon's name
     * @param progress the jobs and their bytes
     * @param now the time
     * @return the released jobs
     */
    List<Job> release(String owner, Collection<JobProgress> progress, Instant now);

    /**
     * Records the bytes of a job that no longer runs (after a pause), whatever its state but
     * completed.
     *
     * @param progress the job and its bytes
     * @param now the time
     */
    void recordProgress(JobProgress progress, Instant now);

    // ---------------------------------------------------------------- commands

    /**
     * Pauses a queued or active job (an active job's lease ends); a paused one stays paused.
     *
     * @param id the job's id
     * @param now the time
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it has finished
     */
    Job pause(long id, Instant now);

    /**
     * Queues a paused or failed job again, in its place; a queued or active one is unchanged.
     *
     * @param id the job's id
     * @param now the time
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it is completed or
     *     removed
     */
    Job resume(long id, Instant now);

    /**
     * Moves a live job to {@code index} among the live jobs (queued, active, paused) in queue
     * order: 0 is the front; an index past the end means the end.
     *
     * @param id the job's id
     * @param index its new place among the live jobs, at least 0
     * @param now the time
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it has finished
     */
    Job move(long id, long index, Instant now);

    /**
     * Changes what a job downloads: its URL, mirrors, headers, expected SHA-256, rate limit and
     * connections from {@code request}; its directory, file, key and credentials stay.
     *
     * @param id the job's id
     * @param request the new request
     * @param now the time
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it is completed or
     *     removed
     */
    Job update(long id, JobRequest request, Instant now);

    /**
     * The live job's place among the live jobs, from 0.
     *
     * @param id the job's id
     * @return its index, or -1 if it is not live
     */
    long indexOf(long id);

    /**
     * Removes a job: it becomes {@link JobState#REMOVED} (an active job's lease ends). With
     * {@code deletePartial} its partial files are marked for deletion ({@link #cleanups()}),
     * so a crash before they are deleted does not forget them. Removing a removed job changes
     * nothing.
     *
     * @param id the job's id
     * @param deletePartial whether the partial files are to be deleted
     * @param now the time
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}
     */
    Job remove(long id, boolean deletePartial, Instant now);

    /**
     * Removed jobs whose partial files are still to be deleted.
     *
     * @return those jobs
     */
    List<Job> cleanups();

    /**
     * Records that the job's partial files are deleted.
     *
     * @param id the job's id
     */
    void cleaned(long id);

    /**
     * The download of a job {@code owner} no longer holds (paused, removed or taken over) has
     * stopped: its connections are closed. A store that caps connections per host over several
     * daemons counts the job's connections until this call or until the lease ends, whichever
     * comes first.
     *
     * @param owner the daemon's name
     * @param id the job's id
     */
    default void stopped(String owner, long id) {
    }

    // ---------------------------------------------------------------- fleets

    /**
     * The most connections the jobs of every daemon sharing this store may hold to one origin
     * (scheme, host and port of the job's URL) at once; 0 when the store sets no such cap and
     * each daemon's own {@code maxConnectionsPerHost} is all there is. A claimed job then
     * carries the connections granted to it, and a daemon must not open more.
     *
     * @return the cap, or 0
     */
    default int connectionsPerOrigin() {
        return 0;
    }

    /**
     * Jobs that changed since the last call, by any daemon sharing the store, so each daemon's
     * events show the whole fleet's queue. Empty for a store only one daemon opens.
     *
     * @return the changed jobs, each once, as they are now
     */
    default List<Job> changes() {
        return List.of();
    }

    /**
     * Database round trips made so far (statements and commits), for benchmarks; -1 when not
     * counted.
     *
     * @return the round trips, or -1
     */
    default long roundTrips() {
        return -1;
    }

    // ---------------------------------------------------------------- credentials

    /**
     * Keeps a request's credentials durably, readable by the owner only, under {@code ref}.
     *
     * @param ref the key
     * @param credentials header name (or {@code userinfo}) to value
     */
    void putCredentials(String ref, Map<String, String> credentials);

    /**
     * The credentials kept under {@code ref}.
     *
     * @param ref the key
     * @return the credentials, or empty
     */
    Optional<Map<String, String>> credentials(String ref);

    /**
     * Forgets the credentials under {@code ref} (the job finished).
     *
     * @param ref the key
     */
    void deleteCredentials(String ref);

    /**
     * Closes the store and releases its lock; the queue's data stays.
     */
    @Override
    void close();
}
