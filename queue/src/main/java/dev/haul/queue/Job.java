package dev.haul.queue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of one job: its request (without credentials), its file, its state and progress.
 * Immutable; {@link DownloadQueue#get(long)} returns a fresh one.
 */
public final class Job {

    /** Where a job's credentials are. */
    public enum Credentials {
        /** The request has none. */
        NONE,
        /** In the daemon's memory only: lost with a restart. */
        MEMORY,
        /** In the owner-only credentials file beside the queue's database. */
        STORED
    }

    private final long id;
    private final JobRequest request;
    private final String fileName;
    private final JobState state;
    private final long position;
    private final JobFailure failure;
    private final long bytesDone;
    private final long totalBytes;
    private final double bytesPerSecond;
    private final int attempts;
    private final Credentials credentials;
    private final String credentialsRef;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final Instant finishedAt;
    private final String worker;
    private final int grantedConnections;

    Job(long id, JobRequest request, String fileName, JobState state, long position,
            JobFailure failure, long bytesDone, long totalBytes, double bytesPerSecond,
            int attempts, Credentials credentials, String credentialsRef, Instant createdAt,
            Instant updatedAt, Instant finishedAt) {
        this(id, request, fileName, state, position, failure, bytesDone, totalBytes,
                bytesPerSecond, attempts, credentials, credentialsRef, createdAt, updatedAt,
                finishedAt, null, 0);
    }

    Job(long id, JobRequest request, String fileName, JobState state, long position,
            JobFailure failure, long bytesDone, long totalBytes, double bytesPerSecond,
            int attempts, Credentials credentials, String credentialsRef, Instant createdAt,
            Instant updatedAt, Instant finishedAt, String worker, int grantedConnections) {
        this.id = id;
        this.request = Objects.requireNonNull(request, "request");
        this.fileName = Objects.requireNonNull(fileName, "fileName");
        this.state = Objects.requireNonNull(state, "state");
        this.position = position;
        this.failure = failure;
        this.bytesDone = bytesDone;
        this.totalBytes = totalBytes;
        this.bytesPerSecond = bytesPerSecond;
        this.attempts = attempts;
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.credentialsRef = credentialsRef;
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        this.finishedAt = finishedAt;
        this.worker = worker;
        this.grantedConnections = grantedConnections;
    }

    /** This job with live progress from the running download laid over the stored one. */
    Job withProgress(long done, long total, double speed) {
        return new Job(id, request, fileName, state, position, failure, done, total, speed,
                attempts, credentials, credentialsRef, createdAt, updatedAt, finishedAt, worker,
                grantedConnections);
    }

    /**
     * The job's id, unique in its queue and never reused.
     *
     * @return the id
     */
    public long id() {
        return id;
    }

    /**
     * What the job downloads, without its credentials.
     *
     * @return the request, without credentials
     */
    public JobRequest request() {
        return request;
    }

    /**
     * The file the job writes: the request's directory and the name chosen when it was added.
     * While it downloads, the bytes are in {@code FILE.part}.
     *
     * @return the destination file
     */
    public Path file() {
        return request.directory().resolve(fileName);
    }

    /**
     * The state.
     *
     * @return the state
     */
    public JobState state() {
        return state;
    }

    /**
     * The job's place in the queue: jobs run in increasing position; only the order matters.
     *
     * @return the position
     */
    public long position() {
        return position;
    }

    /**
     * Why the job failed, when it is {@link JobState#FAILED}.
     *
     * @return the failure, or empty
     */
    public Optional<JobFailure> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Bytes of the body held so far (complete once {@link JobState#COMPLETED}).
     *
     * @return the bytes held
     */
    public long bytesDone() {
        return bytesDone;
    }

    /**
     * The body's length, or -1 while unknown.
     *
     * @return the total, or -1
     */
    public long totalBytes() {
        return totalBytes;
    }

    /**
     * The current download speed of an active job, bytes per second; 0 otherwise.
     *
     * @return the speed
     */
    public double bytesPerSecond() {
        return bytesPerSecond;
    }

    /**
     * How many times a daemon started this job (restarts and resumes count).
     *
     * @return the number of starts
     */
    public int attempts() {
        return attempts;
    }

    /**
     * Where the request's credentials are, if it has any.
     *
     * @return where the credentials are
     */
    public Credentials credentials() {
        return credentials;
    }

    /**
     * When the job was added.
     *
     * @return when the job was added
     */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * When the job's record last changed (state, position or stored progress).
     *
     * @return when the record last changed
     */
    public Instant updatedAt() {
        return updatedAt;
    }

    /**
     * When the job completed or failed.
     *
     * @return when the job ended, or empty
     */
    public Optional<Instant> finishedAt() {
        return Optional.ofNullable(finishedAt);
    }

    /**
     * The daemon that runs an active job (its name in leases, {@code --name}); with a shared
     * store this tells which worker of the fleet has it.
     *
     * @return the worker's name, or empty when no daemon holds the job
     */
    public Optional<String> worker() {
        return Optional.ofNullable(worker);
    }

    /**
     * Connections the store granted the job when it was claimed, under a fleet-wide per-host
     * cap; 0 when the store sets no such cap (the daemon's own cap applies).
     */
    int grantedConnections() {
        return grantedConnections;
    }

    String fileName() {
        return fileName;
    }

    /** The key of the credentials in memory or in the store; never shown. */
    Optional<String> credentialsRef() {
        return Optional.ofNullable(credentialsRef);
    }

    @Override
    public String toString() {
        return "Job{" + id + " " + state.wireName() + " " + Uris.redact(request.uri()) + " -> "
                + file() + " " + bytesDone + "/" + totalBytes
                + (failure == null ? "" : " " + failure) + "}";
    }
}
