package dev.haul.queue;

import dev.haul.Connections;
import dev.haul.Destination;
import dev.haul.Download;
import dev.haul.DownloadException;
import dev.haul.DownloadListener;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.DownloadResult;
import dev.haul.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the jobs of a {@link JobStore} with a {@link DownloadManager}: a durable download queue.
 *
 * <pre>{@code
 * try (DownloadQueue queue = DownloadQueue.builder(SqliteJobStore.open(dir)).build()) {
 *     Job job = queue.add(JobRequest.builder(url, Path.of("/srv/dl")).build());
 *     Job done = queue.whenFinished(job.id()).join();   // completed, failed or removed
 * }
 * }</pre>
 *
 * <h2>How it keeps its promises across a crash</h2>
 * <ul>
 *   <li>Every change of a job is one transaction of the store, committed before the call returns
 *       (an added job is on disk before {@link #add} returns) and before its event goes out.
 *   <li>A job runs only under a lease claimed from the store. After a crash the store hands the
 *       job out again, and the engine continues it from {@code FILE.part}, whose sidecar vouches
 *       for the bytes (the engine's resume rules: {@code If-Range}, {@code 206} with a matching
 *       {@code Content-Range}, else start over).
 *   <li>The engine renames a complete, verified part onto the file; the store then records the
 *       job completed. A crash between the two leaves a job that is still active with its file in
 *       place and no part: on the next claim it is recognised (checked against the expected
 *       SHA-256 or size when known) and completed without a byte downloaded, so a finished file
 *       is never fetched again.
 *   <li>The file name is chosen once, when the job is added, and stored with it: a restarted job
 *       writes the same file, never {@code NAME.1}. No two live jobs write one file (the store
 *       enforces it).
 *   <li>A removal that deletes the partial file is recorded first; the deletion is redone on the
 *       next start if a crash interrupts it.
 * </ul>
 *
 * <h2>Threads</h2>
 * One scheduler thread ({@code haul-queue}) claims and starts jobs, renews leases and handles
 * ended downloads, so those steps never race one another; one event thread
 * ({@code haul-queue-events}) calls listeners and completes {@link #whenFinished} futures,
 * in order and without holding a lock. Commands run on the caller's thread: their store
 * transaction first, then the scheduler's part. Thread-safe.
 */
public final class DownloadQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.haul.queue");
    /** Concurrency above this is a mistake: the engine's per-host connection cap binds first. */
    public static final int MAX_CONCURRENT_DOWNLOADS = 64;
    /** Connections a job uses when it asks for none: slow start up to this many. */
    public static final int DEFAULT_CONNECTIONS = 8;
    /** How long {@link #close()} waits for running downloads to stop and keep their parts. */
    static final Duration STOP_WAIT = Duration.ofSeconds(5);

    /** Why the queue stopped a download it started. */
    private enum Stop { PAUSE, REMOVE, SHUTDOWN, LOST }

    /** A job this queue is downloading. Fields other than {@code job} change on engine threads. */
    private static final class Running {
        final Job job;
        volatile Download<Path> download;
        volatile Progress progress;
        volatile Stop stop;
        volatile boolean deletePartial;
        long publishedBytes = -1;

        Running(Job job) {
            this.job = job;
        }

        /** The download's progress now: events stop while no byte arrives, this does not. */
        Progress progress() {
            Download<Path> d = download;
            return d != null ? d.progress() : progress;
        }

        JobProgress jobProgress() {
            Progress p = progress();
            return p == null ? new JobProgress(job.id(), job.bytesDone(), job.totalBytes())
                    : new JobProgress(job.id(), p.bytesDone(), p.totalBytes());
        }
    }

    private final JobStore store;
    private final String owner;
    private final Clock clock;
    private final Duration lease;
    private final DownloadManager manager;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService events;
    /** The periodic {@link #tick()}; ends with the scheduler. */
    private final ScheduledFuture<?> ticker;
    private final Map<Long, Running> running = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> memoryCredentials = new ConcurrentHashMap<>();
    private final List<JobListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, List<CompletableFuture<Job>>> waiters = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Object addLock = new Object();
    private final Object idle = new Object();
    private volatile int maxConcurrentDownloads;
    private volatile boolean closed;
    /** When the last claim or heartbeat that renewed this daemon's leases was sent. */
    private Instant renewed;
    /** The last state published of recent jobs, to tell others' state changes from progress. */
    private final Map<Long, JobState> seen = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(64, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, JobState> eldest) {
                    return size() > 10_000;
                }
            });

    private DownloadQueue(Builder b) {
        this.store = b.store;
        this.owner = b.owner;
        this.clock = b.clock;
        this.lease = b.lease;
        this.maxConcurrentDownloads = b.maxConcurrentDownloads;
        int cap = store.connectionsPerOrigin();
        if (cap > 0) {
            // The store counts the connections it granted; an idle kept-alive connection would
            // be open without being counted, and the JDK's client keeps idle ones it is not
            // asked about.
            b.manager.maxConnectionsPerHost(cap).maxIdleConnectionsPerHost(0)
                    .transport(dev.haul.Transport.HAUL);
        }
        this.manager = b.manager.maxBytesPerSecond(b.maxBytesPerSecond).build();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> thread(r, "haul-queue"));
        this.events = Executors.newSingleThreadExecutor(r -> thread(r, "haul-queue-events"));
        scheduler.execute(this::cleanUp);
        long tickMillis = b.tick.toMillis();
        this.ticker = scheduler.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis,
                TimeUnit.MILLISECONDS);
        scheduler.execute(this::pump);
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * A builder for a queue on {@code store}; the queue takes the store over and closes it.
     *
     * @param store where the jobs live
     * @return a builder
     */
    public static Builder builder(JobStore store) {
        return new Builder(store);
    }

    // ---------------------------------------------------------------- commands

    /**
     * Adds a job at the end of the queue and returns it, stored. The file name is chosen now (see
     * {@link JobRequest.Builder#fileName}). With a {@link JobRequest#key() key} already in the
     * queue, the job holding it is returned and nothing is added.
     *
     * @param request what to download
     * @return the job
     * @throws QueueException {@code FILE_EXISTS} if the name asked for is taken or no free name
     *     is left; {@code STORE}, {@code CLOSED}
     */
    public Job add(JobRequest request) {
        return addAll(List.of(request)).get(0);
    }

    /**
     * Adds jobs at the end of the queue, in order, all or none (one transaction).
     *
     * @param requests what to download
     * @return the jobs, in the order of {@code requests}
     * @throws QueueException as {@link #add}; then none is added
     */
    public List<Job> addAll(List<JobRequest> requests) {
        requireOpen();
        List<Job> added;
        Job[] results = new Job[requests.size()];
        synchronized (addLock) {
            Instant now = clock.instant();
            List<NewJob> fresh = new ArrayList<>();
            List<Integer> slots = new ArrayList<>();
            Map<String, Integer> keysInBatch = new HashMap<>();
            Map<Integer, Integer> sameKeyAs = new HashMap<>();
            Set<Path> taken = new HashSet<>();
            Map<String, Map<String, String>> keep = new HashMap<>();
            Map<String, Map<String, String>> memory = new HashMap<>();
            for (int i = 0; i < requests.size(); i++) {
                JobRequest r = Objects.requireNonNull(requests.get(i), "request");
                if (r.key() != null) {
                    Optional<Job> existing = store.findByKey(r.key());
                    if (existing.isPresent()) {
                        results[i] = live(existing.get());
                        continue;
                    }
                    Integer first = keysInBatch.putIfAbsent(r.key(), i);
                    if (first != null) {
                        sameKeyAs.put(i, first);
                        continue;
                    }
                }
                Map<String, String> secrets = r.credentials();
                JobRequest stored = r.withoutCredentials();
                String name = chooseName(stored, taken);
                taken.add(stored.directory().resolve(name));
                Job.Credentials where = Job.Credentials.NONE;
                String ref = null;
                if (!secrets.isEmpty()) {
                    ref = UUID.randomUUID().toString();
                    where = r.keepCredentials() ? Job.Credentials.STORED : Job.Credentials.MEMORY;
                    (r.keepCredentials() ? keep : memory).put(ref, secrets);
                }
                fresh.add(new NewJob(stored, name, where, ref));
                slots.add(i);
            }
            // Credentials go to disk before the job that refers to them: a crash in between
            // leaves an entry no job names, which the next open forgets.
            keep.forEach(store::putCredentials);
            memoryCredentials.putAll(memory);
            try {
                added = fresh.isEmpty() ? List.of() : store.insert(fresh, now);
            } catch (RuntimeException e) {
                keep.keySet().forEach(this::forgetCredentialsQuietly);
                memory.keySet().forEach(memoryCredentials::remove);
                throw e;
            }
            for (int k = 0; k < added.size(); k++) {
                results[slots.get(k)] = added.get(k);
            }
            sameKeyAs.forEach((i, first) -> results[i] = results[first]);
        }
        for (Job job : added) {
            publish(JobEvent.Type.ADDED, job);
        }
        if (!added.isEmpty()) {
            onScheduler(this::pump);
        }
        return List.of(results);
    }

    private String chooseName(JobRequest r, Set<Path> takenInBatch) {
        Path dir = r.directory();
        if (r.fileName() != null) {
            if (!nameFree(dir, r.fileName(), takenInBatch)) {
                throw new QueueException(QueueException.Code.FILE_EXISTS, dir.resolve(r.fileName())
                        + " exists or another job writes it");
            }
            return r.fileName();
        }
        String base = FileNames.fromUri(r.uri());
        for (int k = 0; k < 1000; k++) {
            String candidate = k == 0 ? base : base + "." + k;
            if (nameFree(dir, candidate, takenInBatch)) {
                return candidate;
            }
        }
        throw new QueueException(QueueException.Code.FILE_EXISTS, "no free name in " + dir
                + " for " + base + " (up to " + base + ".999 taken)");
    }

    private boolean nameFree(Path dir, String name, Set<Path> takenInBatch) {
        Path file = dir.resolve(name);
        return !takenInBatch.contains(file) && !Files.exists(file) && !store.fileTaken(dir, name);
    }

    /**
     * The job added with this idempotency key.
     *
     * @param key the key
     * @return the job, or empty
     */
    public Optional<Job> findByKey(String key) {
        requireOpen();
        return store.findByKey(key).map(this::live);
    }

    /**
     * The job with this id, with the live progress of a running download.
     *
     * @param id the job's id
     * @return the job, or empty
     */
    public Optional<Job> get(long id) {
        requireOpen();
        return store.find(id).map(this::live);
    }

    /**
     * One page of the jobs {@code filter} selects, in queue order, with live progress.
     *
     * @param filter the states and the page
     * @return the page
     */
    public JobPage list(JobFilter filter) {
        requireOpen();
        JobPage page = store.list(filter);
        List<Job> jobs = new ArrayList<>(page.jobs().size());
        for (Job j : page.jobs()) {
            jobs.add(live(j));
        }
        return new JobPage(jobs, page.total(), page.offset(), page.limit());
    }

    /**
     * Pauses a queued or active job; an active download stops and keeps its partial file.
     * Pausing a paused job changes nothing.
     *
     * @param id the job's id
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it has finished
     */
    public Job pause(long id) {
        requireOpen();
        Job before = store.find(id).orElseThrow(() -> QueueException.notFound(id));
        Job after = store.pause(id, clock.instant());
        if (before.state() != after.state()) {
            onScheduler(() -> stop(id, Stop.PAUSE, false));
            publish(JobEvent.Type.STATE, after);
        }
        return live(after);
    }

    /**
     * Queues a paused job again, or retries a failed one, in its place. Resuming a queued or
     * active job changes nothing.
     *
     * @param id the job's id
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it is completed or
     *     removed; {@code FILE_EXISTS} if another job took its file meanwhile
     */
    public Job resume(long id) {
        requireOpen();
        Job before = store.find(id).orElseThrow(() -> QueueException.notFound(id));
        Job after = store.resume(id, clock.instant());
        if (before.state() != after.state()) {
            publish(JobEvent.Type.STATE, after);
            onScheduler(this::pump);
        }
        return live(after);
    }

    /**
     * Moves a live job to {@code index} among the live jobs (queued, active and paused, in queue
     * order): 0 is the front, and an index past the end means the end.
     *
     * @param id the job's id
     * @param index the new place, at least 0
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it has finished
     */
    public Job move(long id, long index) {
        requireOpen();
        Job before = store.find(id).orElseThrow(() -> QueueException.notFound(id));
        Job after = store.move(id, index, clock.instant());
        if (before.position() != after.position()) {
            publish(JobEvent.Type.MOVED, after);
        }
        return live(after);
    }

    /**
     * Changes what a job downloads: its URL and mirrors, headers, expected SHA-256, rate limit
     * and connections, from {@code request} (start from {@code job.request().newBuilder()}). Its
     * directory, file, key and credentials stay. A queued, paused or failed job keeps its state;
     * an active download stops and is queued again at once, and continues from its
     * {@code .part} under the engine's resume rules: validated against the file's ETag or date,
     * and started over when the new URL is another host or path (unless the expected SHA-256
     * vouches for the bytes).
     *
     * @param id the job's id
     * @param request the new request, in the job's directory, without credentials
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it is completed or
     *     removed
     * @throws IllegalArgumentException if the directory differs or the request has credentials
     */
    public Job update(long id, JobRequest request) {
        requireOpen();
        Objects.requireNonNull(request, "request");
        Job before = store.find(id).orElseThrow(() -> QueueException.notFound(id));
        if (!request.directory().equals(before.request().directory())) {
            throw new IllegalArgumentException("a job's directory cannot change: "
                    + before.request().directory());
        }
        if (request.hasCredentials()) {
            throw new IllegalArgumentException("a job's credentials cannot change; remove it "
                    + "and add it again");
        }
        boolean restart = before.state() == JobState.ACTIVE;
        if (restart) {
            pause(id);
        }
        Job after;
        try {
            after = store.update(id, request, clock.instant());
        } finally {
            if (restart) {
                resume(id);
            }
        }
        if (!restart) {
            publish(JobEvent.Type.STATE, after);
        }
        return live(store.find(id).orElse(after));
    }

    /**
     * Moves a live job by {@code delta} places: negative toward the front, clamped at both ends.
     *
     * @param id the job's id
     * @param delta how many places to move
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}, or {@code INVALID_STATE} if it has finished
     */
    public Job moveBy(long id, long delta) {
        requireOpen();
        Job job = store.find(id).orElseThrow(() -> QueueException.notFound(id));
        long index = store.indexOf(id);
        if (index < 0) {
            throw new QueueException(QueueException.Code.INVALID_STATE, "cannot move job " + id
                    + ": it is " + job.state().wireName());
        }
        return move(id, Math.max(0, index + delta));
    }

    /**
     * Removes a job: it stops if active, never runs again, and stays listed as removed when
     * asked for. With {@code deletePartial} its {@code .part} file (and sidecar) is deleted; a
     * completed file is never deleted. Removing a removed job changes nothing.
     *
     * @param id the job's id
     * @param deletePartial whether to delete the partial file
     * @return the job afterwards
     * @throws QueueException {@code NOT_FOUND}
     */
    public Job remove(long id, boolean deletePartial) {
        requireOpen();
        Job before = store.find(id).orElseThrow(() -> QueueException.notFound(id));
        if (before.state() == JobState.REMOVED) {
            return before;
        }
        Job after = store.remove(id, deletePartial, clock.instant());
        onScheduler(() -> {
            if (!stop(id, Stop.REMOVE, deletePartial) && deletePartial) {
                deletePartial(after);
            }
        });
        forgetCredentials(after, before);
        publish(JobEvent.Type.STATE, after);
        return after;
    }

    /**
     * A future that completes with the job once it is completed, failed or removed (at once if it
     * is). A paused job keeps it waiting until it is resumed and ends.
     *
     * @param id the job's id
     * @return the job once finished
     * @throws QueueException {@code NOT_FOUND}
     */
    public CompletableFuture<Job> whenFinished(long id) {
        requireOpen();
        CompletableFuture<Job> f = new CompletableFuture<>();
        waiters.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(f);
        // a caller that stops waiting cancels its future: forget it, or paused jobs collect them
        CompletableFuture<Job> unused = f.whenComplete((job, failure) -> {
            if (f.isCancelled()) {
                dropWaiter(id, f);
            }
        });
        Optional<Job> job = store.find(id);
        if (job.isEmpty()) {
            dropWaiter(id, f);
            throw QueueException.notFound(id);
        }
        if (job.get().state().finished()) {
            dropWaiter(id, f);
            f.complete(job.get());
        }
        return f;
    }

    private void dropWaiter(long id, CompletableFuture<Job> f) {
        waiters.computeIfPresent(id, (k, list) -> {
            list.removeIf(w -> w == f);
            return list.isEmpty() ? null : list;
        });
    }

    /**
     * Jobs per state, the total speed and the options.
     *
     * @return the stats
     */
    public QueueStats stats() {
        requireOpen();
        double speed = 0;
        for (Running r : running.values()) {
            Progress p = r.progress();
            speed += p == null || r.stop != null ? 0 : p.bytesPerSecond();
        }
        return new QueueStats(store.counts(), speed, maxConcurrentDownloads,
                manager.maxBytesPerSecond());
    }

    /**
     * How many jobs run at once at most.
     *
     * @return the limit
     */
    public int maxConcurrentDownloads() {
        return maxConcurrentDownloads;
    }

    /**
     * Changes how many jobs run at once, from now: more start at once; when lowered, running
     * downloads finish and no new one starts until fewer run.
     *
     * @param n 1 to {@value #MAX_CONCURRENT_DOWNLOADS}
     */
    public void maxConcurrentDownloads(int n) {
        checkConcurrency(n);
        maxConcurrentDownloads = n;
        onScheduler(this::pump);
    }

    /**
     * The global rate limit over every running download, bytes per second; 0 for none.
     *
     * @return the limit
     */
    public long maxBytesPerSecond() {
        return manager.maxBytesPerSecond();
    }

    /**
     * Changes the global rate limit, at once for running downloads too.
     *
     * @param bytesPerSecond the limit, 0 for none
     */
    public void maxBytesPerSecond(long bytesPerSecond) {
        manager.setMaxBytesPerSecond(bytesPerSecond);
    }

    /**
     * Delivers every later event to {@code listener} until the returned handle is closed.
     *
     * @param listener the listener
     * @return a handle whose {@code close()} unsubscribes
     */
    public AutoCloseable subscribe(JobListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Stops the queue: no job starts any more, running downloads stop keeping their partial files
     * (waiting up to 5 s) and go back to the queue, and the store is closed. The next queue on
     * the store continues them.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            scheduler.submit(() -> running.values().forEach(r -> {
                if (r.stop == null) {
                    r.stop = Stop.SHUTDOWN;
                }
                r.download.cancel();
            })).get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + STOP_WAIT.toNanos();
            synchronized (idle) {
                while (!running.isEmpty() && System.nanoTime() < deadline) {
                    idle.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                }
            }
            // downloads that did not stop in time go back to the queue all the same
            scheduler.submit(() -> release(List.copyOf(running.values())))
                    .get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the queue: " + e);
        }
        ticker.cancel(false);
        scheduler.shutdownNow();
        manager.close();
        events.shutdown();
        try {
            if (!scheduler.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    || !events.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "queue threads did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        QueueException closedError = new QueueException(QueueException.Code.CLOSED,
                "the queue closed");
        waiters.values().forEach(list -> list.forEach(f -> f.completeExceptionally(closedError)));
        waiters.clear();
        store.close();
    }

    // ---------------------------------------------------------------- the scheduler's work

    /** Claims jobs while slots are free and starts them. On the scheduler thread. */
    private void pump() {
        if (closed) {
            return;
        }
        int free = maxConcurrentDownloads - running.size();
        if (free <= 0) {
            return;
        }
        Instant sent = clock.instant();
        List<Job> claimed = store.claim(owner, free, sent, lease);
        if (!claimed.isEmpty() && running.isEmpty()) {
            renewed = sent;
        }
        for (Job job : claimed) {
            if (running.containsKey(job.id())) {
                // paused and resumed while its download is still stopping: one .part, one
                // writer. It goes back to the queue; the stopping download's end pumps again.
                release(List.of(new Running(job)));
                continue;
            }
            try {
                start(job);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "cannot start job " + job.id(), e);
                running.remove(job.id());
                finishFailed(job, new JobProgress(job.id(), job.bytesDone(), job.totalBytes()),
                        new JobFailure(JobFailure.INTERNAL, "cannot start: " + e));
            }
        }
    }

    private void start(Job job) {
        Path file = job.file();
        Path part = partOf(file);
        JobProgress none = new JobProgress(job.id(), job.bytesDone(), job.totalBytes());
        if (Files.exists(file) && !Files.exists(part)) {
            if (job.attempts() > 1) {
                completeFinishedFile(job);
            } else {
                finishFailed(job, none, new JobFailure(JobFailure.FILE_EXISTS, file
                        + " appeared before the job started; it is not replaced"));
            }
            return;
        }
        if (job.attempts() > 1 && job.bytesDone() > 0 && !Files.exists(part)) {
            LOG.log(System.Logger.Level.INFO, "job " + job.id() + ": " + job.bytesDone()
                    + " bytes were fetched by an earlier run, but " + part + " is not here (is "
                    + "the download directory shared by the daemons?): starting from zero");
        }
        JobRequest request = job.request();
        if (job.credentials() != Job.Credentials.NONE) {
            Optional<Map<String, String>> secrets = credentialsOf(job);
            if (secrets.isEmpty()) {
                finishFailed(job, none, new JobFailure(JobFailure.CREDENTIALS_MISSING,
                        "the credentials were kept in memory only and the daemon restarted; "
                        + "add the job again (with keepCredentials to survive restarts)"));
                return;
            }
            request = request.withCredentials(secrets.get());
        }
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            finishFailed(job, none, new JobFailure("local_io", "cannot create "
                    + file.getParent() + ": " + e.getMessage()));
            return;
        }
        Running r = new Running(job);
        DownloadRequest.Builder b = DownloadRequest.builder(request.uri())
                .headers(request.headers())
                .expectedSha256(request.expectedSha256())
                .maxBytesPerSecond(request.maxBytesPerSecond())
                .listener(new Events(r));
        // 0: slow start up to 8 where the server proves splitting safe (fewer than `haul get`'s
        // 16: a daemon runs many jobs at once, often from one host)
        int max = request.connections() > 0 ? request.connections() : DEFAULT_CONNECTIONS;
        if (store.connectionsPerOrigin() > 0) {
            max = Math.max(1, Math.min(max, job.grantedConnections())); // the fleet's grant
        }
        b.connections(request.connections() > 0 || max == 1 ? Connections.fixed(max)
                : Connections.adaptive(max));
        for (java.net.URI mirror : request.mirrors()) {
            b.mirror(dev.haul.Mirror.of(mirror)); // failover; joins only once proven the same
        }
        running.put(job.id(), r);
        r.download = manager.download(b.build(), Destination.file(file));
        publish(JobEvent.Type.STATE, job);
    }

    /**
     * The job's file is in place and its part gone: the engine finished it and a crash came
     * before the store heard. Checks what can be checked, then records it completed.
     */
    private void completeFinishedFile(Job job) {
        Path file = job.file();
        try {
            long size = Files.size(file);
            String expected = job.request().expectedSha256();
            String problem = null;
            if (job.totalBytes() >= 0 && size != job.totalBytes()) {
                problem = "is " + size + " bytes, the download was " + job.totalBytes();
            } else if (expected != null && !expected.equals(sha256(file))) {
                problem = "does not have the expected SHA-256";
            }
            JobProgress done = new JobProgress(job.id(), size, size);
            if (problem != null) {
                finishFailed(job, done, new JobFailure("integrity", file + " " + problem
                        + "; it was changed after the download"));
                return;
            }
            Files.deleteIfExists(metaOf(file)); // the sidecar the crash left beside it
            LOG.log(System.Logger.Level.INFO, "job " + job.id() + ": " + file
                    + " was completed before a restart; not downloaded again");
            store.complete(owner, done, clock.instant()).ifPresent(this::finished);
        } catch (IOException e) {
            finishFailed(job, new JobProgress(job.id(), job.bytesDone(), job.totalBytes()),
                    new JobFailure("local_io", "cannot read " + file + ": " + e.getMessage()));
        }
    }

    /** A download ended (engine thread): handle it on the scheduler. */
    private void ended(Running r, DownloadResult<?> result, Throwable failure) {
        onScheduler(() -> {
            try {
                handleEnd(r, result, failure);
            } finally {
                running.remove(r.job.id(), r);
                synchronized (idle) {
                    idle.notifyAll();
                }
                pump();
            }
        });
    }

    private void handleEnd(Running r, DownloadResult<?> result, Throwable failure) {
        Job job = r.job;
        Stop stop = r.stop;
        if (result != null) {
            JobProgress done = new JobProgress(job.id(), result.size(), result.size());
            Optional<Job> completed = store.complete(owner, done, clock.instant());
            completed.ifPresent(this::finished);
            if (completed.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "job " + job.id() + " finished its file after "
                        + "it was removed; the file stays");
            }
            return;
        }
        if (stop == null && failure != null && !(failure instanceof CancellationException)) {
            finishFailed(job, r.jobProgress(), failureOf(failure));
            return;
        }
        if (stop == Stop.PAUSE || stop == Stop.REMOVE || stop == Stop.LOST) {
            // its connections are closed: a fleet's per-host count may give them to others
            store.stopped(owner, job.id());
        }
        switch (stop == null ? Stop.SHUTDOWN : stop) {
            case PAUSE -> {
                store.recordProgress(r.jobProgress(), clock.instant());
                store.find(job.id()).ifPresent(j -> publish(JobEvent.Type.PROGRESS, j));
            }
            case REMOVE -> {
                if (r.deletePartial) {
                    deletePartial(job);
                }
            }
            case SHUTDOWN -> release(List.of(r));
            case LOST -> {
                if (r.deletePartial) {
                    deletePartial(job);
                } else {
                    LOG.log(System.Logger.Level.INFO, "job " + job.id()
                            + " was taken over; stopped here");
                }
            }
        }
    }

    private void release(List<Running> list) {
        if (list.isEmpty()) {
            return;
        }
        List<JobProgress> progress = new ArrayList<>();
        list.forEach(r -> progress.add(r.jobProgress()));
        for (Job j : store.release(owner, progress, clock.instant())) {
            publish(JobEvent.Type.STATE, j);
        }
    }

    /** Stops a running download on the scheduler; false if this queue does not run the job. */
    private boolean stop(long id, Stop why, boolean deletePartial) {
        Running r = running.get(id);
        if (r == null) {
            return false;
        }
        // A command (pause, remove) wins over LOST: the store's state changes before the
        // command's stop reaches this thread, so a tick in between sees the lease gone and
        // stops the job as LOST; what the caller asked for (keep the progress, delete the part)
        // must still be done.
        if (r.stop == null || (r.stop == Stop.LOST && (why == Stop.PAUSE || why == Stop.REMOVE))) {
            r.stop = why;
        }
        r.deletePartial |= deletePartial;
        r.download.cancel();
        return true;
    }

    /**
     * Renews leases, reports progress, hears of other daemons' changes, and claims what the
     * store hands out. Every tick.
     */
    private void tick() {
        try {
            if (!running.isEmpty()) {
                List<JobProgress> progress = new ArrayList<>();
                running.values().forEach(r -> progress.add(r.jobProgress()));
                Instant sent = clock.instant();
                try {
                    for (long id : store.heartbeat(owner, progress, sent, lease)) {
                        stop(id, Stop.LOST, false);
                    }
                    renewed = sent;
                } catch (RuntimeException e) {
                    fenceIfLeasesEnding(e);
                    throw e;
                }
                running.values().forEach(this::publishProgress);
            }
            publishOthers();
            pump();
        } catch (RuntimeException e) {
            // an exception would end the periodic task: log it and try again next tick
            LOG.log(System.Logger.Level.ERROR, "queue tick failed", e);
        }
    }

    /**
     * The store did not answer a heartbeat. Once half the lease has gone by since the last
     * renewal, every running download stops (its part stays): other daemons may take the jobs
     * over when the leases end, and a job must never run twice at once, nor its connections be
     * counted by nobody.
     */
    private void fenceIfLeasesEnding(RuntimeException why) {
        Instant last = renewed;
        if (last == null || clock.instant().isBefore(last.plus(lease.dividedBy(2)))) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "the queue's store has not renewed this daemon's "
                + "leases since " + last + " (" + why.getMessage() + "); stopping its "
                + running.size() + " downloads before the leases end");
        List.copyOf(running.keySet()).forEach(id -> stop(id, Stop.LOST, false));
    }

    /** Publishes what other daemons sharing the store changed, so events show the fleet. */
    private void publishOthers() {
        for (Job j : store.changes()) {
            if (running.containsKey(j.id())) {
                continue; // this daemon's own download: it publishes its own events
            }
            JobState before = seen.get(j.id());
            publish(before == j.state() ? JobEvent.Type.PROGRESS : JobEvent.Type.STATE, j);
        }
    }

    private void publishProgress(Running r) {
        Progress p = r.progress();
        if (p == null || r.stop != null
                || (p.bytesDone() == r.publishedBytes && p.bytesPerSecond() == 0)) {
            return;
        }
        r.publishedBytes = p.bytesDone();
        publish(JobEvent.Type.PROGRESS, r.job.withProgress(p.bytesDone(), p.totalBytes(),
                p.bytesPerSecond()));
    }

    /** Removed jobs whose partial files a crash kept from being deleted. At start. */
    private void cleanUp() {
        try {
            for (Job job : store.cleanups()) {
                deletePartial(job);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cleaning up removed jobs failed", e);
        }
    }

    private void deletePartial(Job job) {
        Path file = job.file();
        try {
            Files.deleteIfExists(partOf(file));
            Files.deleteIfExists(metaOf(file));
            store.cleaned(job.id());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "job " + job.id() + ": cannot delete "
                    + partOf(file) + ": " + e.getMessage());
        }
    }

    private void finishFailed(Job job, JobProgress progress, JobFailure failure) {
        LOG.log(System.Logger.Level.INFO, "job " + job.id() + " failed: " + failure);
        store.fail(owner, progress, failure, clock.instant()).ifPresent(this::finished);
    }

    /** A job completed or failed: its credentials go, its watchers hear. */
    private void finished(Job job) {
        forgetCredentials(job, job);
        publish(JobEvent.Type.STATE, job);
    }

    private void forgetCredentials(Job after, Job before) {
        if (before.credentials() == Job.Credentials.NONE || after.state() == JobState.FAILED) {
            return; // a failed job can be resumed: it keeps them
        }
        Optional<String> ref = credentialsRef(before);
        ref.ifPresent(memoryCredentials::remove);
        if (before.credentials() == Job.Credentials.STORED) {
            ref.ifPresent(this::forgetCredentialsQuietly);
        }
    }

    private void forgetCredentialsQuietly(String ref) {
        try {
            store.deleteCredentials(ref);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete credentials: " + e.getMessage());
        }
    }

    private Optional<Map<String, String>> credentialsOf(Job job) {
        Optional<String> ref = credentialsRef(job);
        if (ref.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> m = memoryCredentials.get(ref.get());
        return m != null ? Optional.of(m) : store.credentials(ref.get());
    }

    private static Optional<String> credentialsRef(Job job) {
        return job.credentialsRef();
    }

    private static JobFailure failureOf(Throwable failure) {
        if (failure instanceof DownloadException e) {
            return new JobFailure(e.reason().name().toLowerCase(Locale.ROOT), e.getMessage());
        }
        return new JobFailure(JobFailure.INTERNAL, String.valueOf(failure));
    }

    // ---------------------------------------------------------------- events

    /**
     * Numbers the event and hands it to the event thread in one step, so listeners see numbers in
     * order. The lock covers no user code: delivery happens on the event thread.
     */
    private void publish(JobEvent.Type type, Job job) {
        seen.put(job.id(), job.state());
        synchronized (sequence) {
            JobEvent event = new JobEvent(sequence.incrementAndGet(), type, job);
            try {
                events.execute(() -> deliver(event));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed: nobody is listening any more
            }
        }
    }

    /**
     * This queue's name in the store's leases (a job's {@link Job#worker()} while it runs here).
     *
     * @return the name
     */
    public String worker() {
        return owner;
    }

    /**
     * The number of the last event published (0 before the first). A subscriber that reads it
     * right after subscribing receives exactly the events numbered above it.
     *
     * @return the last event's sequence number
     */
    public long lastSequence() {
        synchronized (sequence) {
            return sequence.get();
        }
    }

    private void deliver(JobEvent event) {
        for (JobListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "a job listener failed: " + e);
            }
        }
        if (event.type() == JobEvent.Type.STATE && event.job().state().finished()) {
            List<CompletableFuture<Job>> list = waiters.remove(event.job().id());
            if (list != null) {
                list.forEach(f -> f.complete(event.job()));
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private Job live(Job job) {
        Running r = running.get(job.id());
        Progress p = r == null ? null : r.progress();
        if (p == null || job.state() != JobState.ACTIVE) {
            return job;
        }
        return job.withProgress(p.bytesDone(), p.totalBytes(),
                r.stop == null ? p.bytesPerSecond() : 0);
    }

    private void onScheduler(Runnable task) {
        try {
            scheduler.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "queue task failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the next queue on this store picks the work up
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new QueueException(QueueException.Code.CLOSED, "the queue is closed");
        }
    }

    static Path partOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".part");
    }

    static Path metaOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".part.meta");
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void checkConcurrency(int n) {
        if (n < 1 || n > MAX_CONCURRENT_DOWNLOADS) {
            throw new IllegalArgumentException("maxConcurrentDownloads out of range 1.."
                    + MAX_CONCURRENT_DOWNLOADS + ": " + n);
        }
    }

    /** The engine's events of one job's download. */
    private final class Events implements DownloadListener {
        private final Running r;

        Events(Running r) {
            this.r = r;
        }

        @Override
        public void onProgress(Download<?> download, Progress progress) {
            r.progress = progress;
        }

        @Override
        public void onSucceeded(Download<?> download, DownloadResult<?> result) {
            ended(r, result, null);
        }

        @Override
        public void onFailed(Download<?> download, Throwable failure) {
            ended(r, null, failure);
        }

        @Override
        public void onCancelled(Download<?> download) {
            ended(r, null, new CancellationException());
        }
    }

    /** Configures a {@link DownloadQueue}. */
    public static final class Builder {
        private final JobStore store;
        private String owner = "haul-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        private Clock clock = Clock.systemUTC();
        private Duration lease = Duration.ofSeconds(30);
        private Duration tick = Duration.ofMillis(500);
        private int maxConcurrentDownloads = 3;
        private long maxBytesPerSecond;
        private DownloadManager.Builder manager = DownloadManager.builder();

        private Builder(JobStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * This daemon's name in leases; unique per process by default.
         *
         * @param owner the name
         * @return this builder
         */
        public Builder owner(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner");
            return this;
        }

        /**
         * How many jobs run at once (default 3).
         *
         * @param n 1 to {@value #MAX_CONCURRENT_DOWNLOADS}
         * @return this builder
         */
        public Builder maxConcurrentDownloads(int n) {
            checkConcurrency(n);
            this.maxConcurrentDownloads = n;
            return this;
        }

        /**
         * The global rate limit over every running download (default 0: none).
         *
         * @param bytesPerSecond the limit, 0 for none
         * @return this builder
         */
        public Builder maxBytesPerSecond(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("maxBytesPerSecond < 0: " + bytesPerSecond);
            }
            this.maxBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * How long a claim holds without a heartbeat (default 30 s): a fleet's daemons take over
         * a dead one's jobs after this.
         *
         * @param lease the lease, at least 2 ticks
         * @return this builder
         */
        public Builder lease(Duration lease) {
            this.lease = Objects.requireNonNull(lease, "lease");
            return this;
        }

        /**
         * How often leases are renewed, progress is stored and progress events go out (default
         * 500 ms).
         *
         * @param tick the period, at least 10 ms
         * @return this builder
         */
        public Builder tick(Duration tick) {
            if (tick.toMillis() < 10) {
                throw new IllegalArgumentException("tick < 10 ms: " + tick);
            }
            this.tick = tick;
            return this;
        }

        /**
         * The clock for leases and records (default the system's).
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The engine's configuration (timeouts, retries, connections per host, proxy, ...); the
         * queue builds the manager and sets its global rate limit.
         *
         * @param manager a manager builder
         * @return this builder
         */
        public Builder manager(DownloadManager.Builder manager) {
            this.manager = Objects.requireNonNull(manager, "manager");
            return this;
        }

        /**
         * Starts the queue: jobs begin to run.
         *
         * @return the running queue
         */
        public DownloadQueue build() {
            if (lease.compareTo(tick.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("lease " + lease + " shorter than two ticks");
            }
            return new DownloadQueue(this);
        }
    }
}
