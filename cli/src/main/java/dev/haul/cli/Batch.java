package dev.haul.cli;

import dev.haul.Download;
import dev.haul.DownloadException;
import dev.haul.DownloadListener;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.DownloadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the jobs of one command on one {@link DownloadManager}, at most {@code parallel} at a time
 * and in input order, so that a batch of many small files from one host reuses a few keep-alive
 * connections instead of opening one per file. It is the manager's {@link DownloadListener}: it
 * reports retries and each job as it ends, and can be {@link #interrupt interrupted} from a
 * shutdown hook.
 */
final class Batch implements ProgressRenderer.Board, DownloadListener {

    private DownloadManager manager;
    private List<Job> jobs;
    private final Map<Long, Job> byId = new ConcurrentHashMap<>();
    /**
     * The job whose download is being started on the run() thread; onQueued comes on that thread.
     */
    private Job starting;
    private final Semaphore window;
    private final ProgressRenderer out;
    private final Object lock = new Object();
    private final List<Job> active = new ArrayList<>();   // guarded by lock
    /** Downloaded, skipped or up to date; guarded by lock. */
    private int succeeded;
    private int skipped;                                  // guarded by lock
    private int upToDate;                                 // guarded by lock
    private int failed;                                   // guarded by lock
    private volatile boolean interrupted;
    private volatile boolean finished;
    private volatile boolean stateWarned;
    private volatile boolean http2;

    Batch(List<Job> jobs, int parallel, ProgressRenderer out) {
        this.jobs = List.copyOf(jobs);
        this.window = new Semaphore(parallel);
        this.out = out;
    }

    /** Sets the jobs, when they could only be made once the manager's listener existed. */
    void add(List<Job> more) {
        this.jobs = List.copyOf(more);
    }

    /**
     * Runs every job on {@code manager}, which must have this batch as its listener, and returns
     * the exit code: 0, or that of the first failed job in input order.
     */
    ExitCode run(DownloadManager manager) {
        this.manager = manager;
        long start = System.nanoTime();
        out.start(this);
        try {
            for (Job job : jobs) {
                if (interrupted) {
                    break;
                }
                if (job.early != null) {
                    fail(job, job.early);
                    continue;
                }
                if (job.skipped != null) {
                    synchronized (lock) {
                        succeeded++;
                        skipped++;
                    }
                    out.info(job.skipped);
                    continue;
                }
                try {
                    window.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    interrupted = true;
                    break;
                }
                if (!start(job)) {
                    window.release();
                }
            }
            for (Job job : jobs) {
                if (job.download != null) {
                    job.finished.join();
                }
            }
        } finally {
            out.close();
        }
        finished = true;
        if (interrupted) {
            return ExitCode.INTERRUPTED;
        }
        if (jobs.size() > 1) {
            int ok;
            int bad;
            int there;
            int current;
            synchronized (lock) {
                ok = succeeded - skipped - upToDate;
                bad = failed;
                there = skipped;
                current = upToDate;
            }
            long bytes = jobs.stream().filter(j -> j.succeeded() && !j.result.notModified())
                    .mapToLong(j -> j.result.size()).sum();
            out.info(ok + " downloaded" + (there > 0 ? ", " + there + " already there" : "")
                    + (current > 0 ? ", " + current + " up to date" : "")
                    + (bad > 0 ? ", " + bad + " failed" : "") + ": "
                    + Units.bytes(bytes) + " in "
                    + Units.elapsed(Duration.ofNanos(System.nanoTime() - start)));
        }
        for (Job job : jobs) {
            if (job.failure != null) {
                return job.failure.code();
            }
        }
        return ExitCode.OK;
    }

    /**
     * Cancels every running download and starts no more; waits up to {@code wait} for them to
     * end. Called from the shutdown hook on Ctrl-C: the library leaves each {@code .part} in
     * place, so running the same command again resumes.
     */
    void interrupt(Duration wait) {
        List<Job> running;
        synchronized (lock) {
            if (finished || interrupted) {
                return;
            }
            interrupted = true;
            running = new ArrayList<>(active);
        }
        for (Job job : running) {
            job.download.cancel();
        }
        long deadline = System.nanoTime() + wait.toNanos();
        for (Job job : running) {
            try {
                job.finished.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException | CancellationException e) {
                // reported below or stopping anyway
            }
        }
        StringBuilder s = new StringBuilder("haul: interrupted");
        if (!running.isEmpty()) {
            s.append(": cancelled ").append(running.size())
                    .append(running.size() == 1 ? " download" : " downloads");
            boolean partial = running.stream().anyMatch(j -> j.target != null);
            if (partial) {
                s.append("; partial data is kept in .part files, run the same command again to"
                        + " resume");
            }
        }
        out.close();
        out.error(s.toString());
    }

    boolean interrupted() {
        return interrupted;
    }

    private boolean start(Job job) {
        DownloadRequest request;
        try {
            request = job.request.build();
        } catch (IllegalArgumentException e) {
            fail(job, new Job.Failure(ExitCode.USAGE, job.url(), e.getMessage()));
            return false;
        }
        synchronized (lock) {
            if (interrupted) {
                return false;
            }
            job.startNanos = System.nanoTime();
            active.add(job);
        }
        starting = job;
        try {
            job.download = manager.download(request, job.destination);
        } catch (IllegalArgumentException | IllegalStateException e) {
            synchronized (lock) {
                active.remove(job);
            }
            fail(job, new Job.Failure(ExitCode.USAGE, job.url(), e.getMessage()));
            return false;
        } finally {
            starting = null;
        }
        return true;
    }

    // ------------------------------------------------------------------ DownloadListener

    @Override
    public void onQueued(Download<?> download) {
        Job job = starting; // called on the run() thread, inside manager.download()
        if (job != null) {
            job.download = download;
            byId.put(download.id(), job);
        }
    }

    @Override
    public void onSourceChanged(Download<?> download, DownloadException cause,
                                java.net.URI from, java.net.URI to) {
        Job job = byId.get(download.id());
        if (job == null) {
            return;
        }
        String line = job.label + ": " + from.getHost() + " failed (" + reasonText(cause)
                + "); trying another source, " + to;
        job.retries.add(line);
        job.sourceChanged = true; // the onRetry that follows for it says nothing new
        out.info(line);
    }

    @Override
    public void onRetry(Download<?> download, DownloadException cause, int nextAttempt,
                        Duration delay, long resumeFrom) {
        Job job = byId.get(download.id());
        if (job == null) {
            return;
        }
        if (job.sourceChanged) {
            job.sourceChanged = false;
            return;
        }
        String line = "retry " + job.label
                + (resumeFrom > 0
                    ? " from " + Units.bytes(resumeFrom) + " (Range: bytes=" + resumeFrom + "-)"
                    : " from the start")
                + " in " + Units.elapsed(delay) + ", attempt " + nextAttempt + ": "
                + reasonText(cause);
        job.retries.add(line);
        out.info(line);
    }

    @Override
    public void onSucceeded(Download<?> download, DownloadResult<?> result) {
        end(byId.get(download.id()), result, null);
    }

    @Override
    public void onFailed(Download<?> download, Throwable failure) {
        end(byId.get(download.id()), null, failure);
    }

    @Override
    public void onCancelled(Download<?> download) {
        end(byId.get(download.id()), null, new CancellationException("cancelled"));
    }

    private void end(Job job, DownloadResult<?> result, Throwable failure) {
        if (job == null) {
            return;
        }
        synchronized (lock) {
            active.remove(job);
        }
        try {
            if (failure == null) {
                job.result = result;
                synchronized (lock) {
                    succeeded++;
                    if (result.notModified()) {
                        upToDate++;
                    }
                }
                out.info(result.notModified() ? upToDateLine(job) : savedLine(job, result));
                if (!result.notModified()) {
                    record(job, result);
                }
            } else {
                Job.Failure f = describe(job, failure);
                if (interrupted && f.code() == ExitCode.CANCELLED) {
                    job.failure = new Job.Failure(ExitCode.INTERRUPTED, f.url(), "interrupted");
                    synchronized (lock) {
                        failed++;
                    }
                } else {
                    fail(job, withPartNote(job, hinted(f, failure)));
                }
            }
        } finally {
            window.release();
            job.finished.complete(null);
        }
    }

    /** Says that the run uses --http2, whose JDK client cannot go through SOCKS proxies. */
    void http2(boolean http2) {
        this.http2 = http2;
    }

    /** A failure that a flag of this run explains gets the flag named. */
    private Job.Failure hinted(Job.Failure f, Throwable failure) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
        if (http2 && t instanceof DownloadException e
                && e.reason() == DownloadException.Reason.PROXY
                && String.valueOf(e.getMessage()).contains("SOCKS")) {
            return new Job.Failure(f.code(), f.url(), f.reason()
                    + " (--http2 uses the JDK's HTTP client, which has no SOCKS support: drop"
                    + " --http2 to go through this proxy)");
        }
        return f;
    }

    /** Notes a finished file in the directory's state, so that a rerun leaves it alone. */
    private void record(Job job, DownloadResult<?> result) {
        if (job.state == null || !(result.body() instanceof Path p)) {
            return;
        }
        try {
            job.state.record(p.getFileName().toString(), job.urlHash, result);
        } catch (IOException | RuntimeException e) {
            if (!stateWarned) {
                stateWarned = true;
                out.error("haul: warning: cannot update " + job.state.file() + ": "
                        + ProgressRenderer.oneLine(String.valueOf(e.getMessage()))
                        + "; a rerun will not know which files are done");
            }
        }
    }

    private static String upToDateLine(Job job) {
        return "up to date: " + job.shown + " (304 Not Modified: left as it was)";
    }

    private void fail(Job job, Job.Failure f) {
        job.failure = f;
        synchronized (lock) {
            failed++;
        }
        out.error(f.line());
    }

    private static String savedLine(Job job, DownloadResult<?> r) {
        double seconds = Math.max(1e-3, r.elapsed().toNanos() / 1e9);
        String shown = job.namedIn != null && r.body() instanceof Path p
                ? String.valueOf(job.namedIn.resolve(p.getFileName())) : job.shown;
        StringBuilder s = new StringBuilder(job.target == null && job.namedIn == null
                ? "wrote " + Units.bytes(r.size()) + " to stdout"
                : "saved " + shown + " (" + Units.bytes(r.size()) + ")");
        s.append(" in ").append(Units.elapsed(r.elapsed())).append(", ")
                .append(Units.rate(r.size() / seconds));
        // (not a 206 alone: a body fetched over several connections comes as 206s too)
        if (r.resumedFrom() > 0) {
            s.append(", resumed from ").append(Units.bytes(r.resumedFrom()));
        }
        if (r.attempts() > 1 && r.resumedFrom() == 0) {
            s.append(", ").append(r.attempts()).append(" attempts");
        }
        if (r.sha256().isPresent() && hasExpectedSha(job)) {
            s.append(", SHA-256 verified");
        }
        return s.toString();
    }

    private static boolean hasExpectedSha(Job job) {
        DownloadRequest request = job.download == null ? null : job.download.request();
        return request != null && request.expectedSha256() != null;
    }

    private static Job.Failure withPartNote(Job job, Job.Failure f) {
        if (job.target != null && f.code() != ExitCode.INTEGRITY) {
            Path part = job.target.resolveSibling(job.target.getFileName() + ".part");
            if (Files.exists(part)) {
                return new Job.Failure(f.code(), f.url(), f.reason() + " (partial data kept in "
                        + part.getFileName() + "; run the same command again to resume)");
            }
        }
        return f;
    }

    /** The exit code and the one-line reason for a failed download. */
    static Job.Failure describe(Job job, Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof DownloadException e) {
            // 407 comes from a proxy only; the JDK's client reports it as a status, Haul's own
            // as PROXY.
            ExitCode code = e.statusCode() == 407 ? ExitCode.NETWORK : ExitCode.of(e.reason());
            return new Job.Failure(code, e.url() != null ? e.url() : job.url(), reasonText(e));
        }
        if (t instanceof CancellationException) {
            return new Job.Failure(ExitCode.CANCELLED, job.url(), "cancelled");
        }
        return new Job.Failure(ExitCode.OTHER, job.url(), "unexpected "
                + t.getClass().getSimpleName()
                + (t.getMessage() != null ? ": " + t.getMessage() : ""));
    }

    /** The reason of a failure in words: the library's message, led by the HTTP status if any. */
    static String reasonText(DownloadException e) {
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? e.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                : e.getMessage().strip();
        if (e.statusCode() > 0 && !message.contains(Integer.toString(e.statusCode()))) {
            message = "HTTP " + e.statusCode() + ": " + message;
        }
        return ProgressRenderer.oneLine(message);
    }

    // ------------------------------------------------------------------ Board

    @Override
    public List<Job> active() {
        synchronized (lock) {
            return new ArrayList<>(active);
        }
    }

    @Override
    public int total() {
        return jobs.size();
    }

    @Override
    public int succeeded() {
        synchronized (lock) {
            return succeeded;
        }
    }

    @Override
    public int failed() {
        synchronized (lock) {
            return failed;
        }
    }
}
