package dev.haul.internal.transfer;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.TimeSource;
import dev.haul.internal.EngineConfig;
import dev.haul.internal.Redaction;
import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.name.ContentDisposition;
import dev.haul.internal.name.FileNames;
import dev.haul.internal.pipe.BodySource;
import dev.haul.internal.pipe.BodyTarget;
import dev.haul.internal.pipe.Checksum;
import dev.haul.internal.net.TokenBucket;
import dev.haul.internal.pipe.Pipe;
import dev.haul.internal.pipe.RateGate;
import dev.haul.internal.pipe.Stages;
import dev.haul.internal.pipe.StallWatch;
import dev.haul.internal.resume.RangeSet;
import dev.haul.internal.resume.RangeSpec;
import dev.haul.internal.segment.ReorderBuffer;
import dev.haul.internal.segment.SegmentedBody;
import dev.haul.internal.segment.Sources;
import dev.haul.internal.resume.Validators;
import dev.haul.internal.retry.Failures;
import dev.haul.internal.retry.RetryRules;
import dev.haul.internal.session.Sessions;
import dev.haul.internal.sink.FileSink;
import dev.haul.internal.sink.MemorySink;
import dev.haul.internal.sink.PositionalSink;
import dev.haul.internal.sink.Sink;
import dev.haul.internal.sink.StreamSink;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One download from start to finish: admission, attempts, redirects, resume, retries, and the
 * commit of the verified body.
 *
 * <h2>States</h2>
 * <pre>
 *   QUEUED ──admitted──▶ STARTING ──▶ REQUESTING ──head──▶ RECEIVING ──body complete──▶ COMMITTING
 *                                        ▲   │ redirect         │ attempt failed            │
 *                                        │   └────────◀─────────┤                           ▼
 *                                        └──── BACKING_OFF ◀────┘ (retry after a delay) SUCCEEDED
 *   any state before COMMITTING ──stop──▶ STOPPED (cancelled, or the future's timeout or deadline)
 *   any state before SUCCEEDED ──failure──▶ FAILED
 * </pre>
 * A transfer holds no thread while QUEUED or BACKING_OFF: admission and the retry timer resume it
 * on the manager's transfer executor. Otherwise exactly one thread runs it, blocking in the
 * socket and the sink; that thread alone touches the download's state. Other threads only
 * {@link #stop stop} it, which aborts the exchange in flight and is refused once the commit began,
 * so the outcome and the disk always agree.
 *
 * <h2>An attempt</h2>
 * Each attempt sends one GET ({@link RequestFactory}) for the current URL. When the transfer holds
 * N bytes of the body it asks for {@code Range: bytes=N-} with {@code If-Range}; the response head
 * goes to {@link ResponseCheck}, which decides, before a body byte is stored, whether the response
 * continues what is held, starts over, redirects ({@link Redirects}), fails or is refused. A body
 * to store flows through the copy loop ({@link Pipe}) with its stages: the {@link StallWatch}'s
 * activity, the length guard, SHA-256, progress. Each decision returns an {@link Outcome}; only
 * this class acts on it.
 *
 * <h2>After an attempt</h2>
 * A failure of one of several sources (the request's URL and its mirrors, {@link Sources}) moves
 * to the next source at once; once every source failed in a round, the failure goes to
 * {@link RetryRules}: give up, or retry after a delay (starting over when held bytes cannot be
 * vouched for). A URL that expires (401, 403, 410) is refreshed through the request's hook, once
 * per expiry. On success the length and digest are checked, the final progress
 * event runs, and the sink commits: for files, the {@code .part} is forced to disk and renamed onto
 * the destination.
 *
 * <p>User code (listeners, callbacks) runs on the transfer's thread and never under a lock; when
 * it throws, the download ends with {@link Reason#CALLBACK_FAILED}, releasing everything.
 */
public final class Transfer {

    /** The states of a download; see the class comment. */
    public enum State {
        QUEUED, STARTING, REQUESTING, RECEIVING, BACKING_OFF, COMMITTING, SUCCEEDED, FAILED, STOPPED
    }

    /**
     * Redirect and error bodies are read up to this much (to keep the connection), then dropped.
     */
    private static final int DRAIN_LIMIT = 64 * 1024;

    private final TransferContext ctx;
    private final TransferSpec spec;
    private final TransferEvents events;
    private final String url;
    private final TimeSource time;
    private final ProgressTracker progress;
    private final long startNanos;
    private final String opaqueRange;
    private final RangeSpec callerRange;
    private final TokenBucket ownLimit;
    private final RateGate rateGate;
    private final Object lock = new Object();
    /** The URLs of the body: the request's (0) and its mirrors. */
    private final Sources sources;
    /** Where each source's next request goes, and its refreshes; shared with connections. */
    private final SourceUrls urls;

    // Guarded by lock.
    private State state = State.QUEUED;
    /** Why the transfer was stopped from outside, or null. */
    private Throwable stopReason;
    /** A thread is inside {@link #run()}. */
    private boolean running;
    /** The terminal event has been sent (or is being sent). */
    private boolean ended;
    private Exchange exchange;
    /** The body being fetched over several connections, or null. */
    private SegmentedBody segmented;
    private TimeSource.Cancellable wake;
    private TimeSource.Cancellable deadlineTask;
    private CompletableFuture<Runnable> admission;
    private Runnable permit;
    private Sessions.Session session;

    // Owned by the thread running the transfer.
    /** The destination is open (for a directory: the name is not chosen yet). */
    private boolean opened;
    /** The source serial attempts go to. */
    private int current;
    /** Every source failed in the last round: the next attempt starts with the best one. */
    private boolean newRound;
    private Sink sink;
    private Checksum checksum;
    private ByteBuffer buffer;
    private long rangeStart;
    private long rangeEnd;
    private long received;
    /**
     * Every range of the body held: the prefix {@code [0, received)} for one connection, possibly
     * several ranges after several connections (then {@code received} is the prefix only).
     */
    private RangeSet held = RangeSet.EMPTY;
    /** The body was completed by several connections: its checksum is computed afterwards. */
    private boolean completedInPieces;
    private Validators validators = Validators.NONE;
    private int attempts;
    private int retriesUsed;
    /** A {@code Range: bytes=0-} got 416: this download asks without Range from now on. */
    private boolean openRangeRefused;
    /** The furthest body offset any attempt reached: the budget renews only past it. */
    private long furthest;
    /** Bytes already held when the response that completed the body began. */
    private long resumedFrom;
    private ResponseHead lastHead;
    private URI lastUri;

    /** What an attempt came to. */
    private sealed interface Outcome {
    }

    /** The body is complete. */
    private record Completed() implements Outcome {
    }

    /** A redirect to {@code location}. */
    private record Redirected(URI location) implements Outcome {
    }

    /** The attempt failed; {@code bodyBytes} arrived before it did. */
    private record Failed(DownloadException failure, Duration retryAfter, long bodyBytes)
            implements Outcome {
    }

    /** A 416 to a resume: the held bytes must go, and the body is fetched again from byte 0. */
    private record RangeRefused() implements Outcome {
    }

    /** A 304 to a conditional request: the caller's copy is current. */
    private record NotModified() implements Outcome {
    }

    /** Several connections found the representation changed: what is held must go. */
    private record Changed(String why) implements Outcome {
    }

    /**
     * The server asked every client of this host to wait (Retry-After) until {@code untilNanos}.
     */
    private record HostPaused(long untilNanos) implements Outcome {
    }

    /**
     * The response named a file whose part from an earlier run can be continued: ask again, ranged.
     */
    private record Reopened() implements Outcome {
    }

    /** Thrown inside the transfer's thread when a stop was requested: unwinds to {@link #run()}. */
    private static final class Stopped extends Exception {
        private static final long serialVersionUID = 1L;

        Stopped() {
            super(null, null, false, false);
        }
    }

    public Transfer(TransferContext ctx, TransferSpec spec, TransferEvents events) {
        this.ctx = ctx;
        this.spec = spec;
        this.events = events;
        this.time = ctx.time();
        this.url = Redaction.redact(spec.uri());
        this.callerRange = RangeSpec.parse(spec.range());
        this.opaqueRange = spec.range() != null && callerRange == null ? spec.range() : null;
        this.rangeStart = callerRange == null ? 0 : callerRange.first();
        this.rangeEnd = callerRange == null ? -1 : callerRange.last();
        this.progress = new ProgressTracker(time, events, spec.wantsPercent(),
                spec.totalSizeHint() >= 0 ? spec.totalSizeHint() : spec.expectedSize());
        this.startNanos = time.nanoTime();
        List<dev.haul.Mirror> mirrors = spec.mirrors();
        // A digest can vouch for joined bytes only where they can be taken back: not a stream.
        this.sources = new Sources(1 + mirrors.size(), spec.expectedSha256() != null
                && spec.kind() != TransferSpec.Kind.STREAM);
        this.urls = new SourceUrls(spec, ctx.userAgent(), url);
        this.ownLimit = new TokenBucket(spec.maxBytesPerSecond(), time::nanoTime);
        this.rateGate = new RateGate(ownLimit, ctx.sharedLimit(), time);
    }

    /** Changes this download's bandwidth limit at once; 0 or less for none. */
    public void setMaxBytesPerSecond(long bytesPerSecond) {
        ownLimit.setRate(bytesPerSecond);
    }

    /** This download's bandwidth limit; 0 for none. */
    public long maxBytesPerSecond() {
        return Math.max(0, ownLimit.rate());
    }

    /** A snapshot of the progress now. */
    public TransferEvents.Snapshot progress() {
        return progress.snapshot();
    }

    /** The state now. */
    public State state() {
        synchronized (lock) {
            return state;
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Queues the download: it starts once the manager's limits admit it. Runs on the caller's
     * thread.
     */
    public void start() {
        try {
            events.queued();
        } catch (DownloadException e) {
            end(State.FAILED, e);
            return;
        }
        if (spec.deadline() != null) {
            TimeSource.Cancellable task = time.schedule(
                    () -> stop(new DownloadException(Reason.DEADLINE, url, "deadline of "
                    + spec.deadline() + " passed")), spec.deadline().toNanos());
            synchronized (lock) {
                deadlineTask = task;
            }
        }
        CompletableFuture<Runnable> admitted = ctx.limiter().acquire(Cursor.origin(spec.uri()));
        synchronized (lock) {
            admission = admitted;
        }
        // admitted() ends the transfer itself on any failure; the derived future has nothing to add
        var unused = admitted.thenAccept(this::admitted);
    }

    /** A place under the limits is ours: go, on a transfer thread. */
    private void admitted(Runnable release) {
        synchronized (lock) {
            if (stopReason != null || ended || ctx.closed()) {
                // Stopped while queued, or the manager is closing (its close() cancels this
                // transfer next): pass the place on without sending anything.
                release.run();
                return;
            }
            permit = release;
            state = State.STARTING;
        }
        execute();
    }

    /**
     * Stops the download from any thread: aborts the exchange in flight or the pending wait. The
     * transfer's thread then releases everything and reports {@code why} (a
     * {@link CancellationException}, a {@code TimeoutException} or a {@link DownloadException}).
     *
     * @return false when it is too late: the download already ended or is committing its result
     */
    public boolean stop(Throwable why) {
        Exchange ex;
        TimeSource.Cancellable w;
        CompletableFuture<Runnable> queued;
        boolean schedule;
        synchronized (lock) {
            if (ended || state == State.COMMITTING || state == State.SUCCEEDED) {
                return false;
            }
            if (stopReason == null) {
                stopReason = why;
            }
            ex = exchange;
            w = wake;
            wake = null;
            queued = admission;
            schedule = !running;
        }
        if (w != null) {
            w.cancel();
        }
        if (queued != null) {
            queued.cancel(false);
        }
        rateGate.interrupt();
        if (ex != null) {
            ex.abort(why);
        }
        SegmentedBody body;
        synchronized (lock) {
            body = segmented;
        }
        if (body != null) {
            body.abort(why);
        }
        if (schedule) {
            execute(); // nobody runs the transfer now: a thread must report the stop
        }
        return true;
    }

    private void execute() {
        try {
            ctx.transfers().execute(this::run);
        } catch (RejectedExecutionException e) {
            run(); // the manager's threads are gone (it is closing): finish here
        }
    }

    /** Runs the transfer until it must wait (admission, backoff) or ends. One thread at a time. */
    private void run() {
        synchronized (lock) {
            // Queued and backing-off transfers wait for admission or their timer; a stale run()
            // (a wake that raced with the thread that scheduled it) must not skip that wait.
            boolean waiting =
                    (state == State.QUEUED || state == State.BACKING_OFF) && stopReason == null;
            if (running || ended || waiting) {
                return;
            }
            running = true;
        }
        boolean again = true;
        while (again) {
            try {
                checkStop();
                loop();
            } catch (Stopped s) {
                endStopped();
            } catch (Throwable t) {
                end(State.FAILED, unexpected(t));
            }
            synchronized (lock) {
                // A stop that came while this thread was leaving finds nobody else to report it.
                again = !ended && stopReason != null;
                if (!again) {
                    running = false;
                }
            }
        }
    }

    private void loop() throws Exception {
        if (!opened) {
            open();
        }
        while (true) {
            checkStop();
            Outcome outcome = attempt();
            if (outcome instanceof Reopened) {
                attempts--; // not a failed attempt: the same one, now asking for the rest
                continue;
            }
            if (outcome instanceof Completed) {
                if (finish()) {
                    return;
                }
                continue; // the body failed its SHA-256 and another source fetches it again
            }
            if (outcome instanceof NotModified) {
                finishNotModified();
                return;
            }
            if (outcome instanceof Changed c) {
                if (sink != null && !sink.canReset() && received > 0) {
                    end(State.FAILED, new DownloadException(Reason.CANNOT_RESUME, url, c.why()
                            + ", and delivered chunks cannot be taken back"));
                    return;
                }
                startOver();
                if (!retryLater(new DownloadException(Reason.NETWORK, url, c.why()
                        + "; starting over"),
                        null, 0)) {
                    continue;
                }
                return;
            }
            if (outcome instanceof HostPaused p) {
                attempts--; // no request was sent
                if (waitFor(Math.max(1, p.untilNanos() - time.nanoTime()))) {
                    return;
                }
                continue;
            }
            if (outcome instanceof Redirected r) {
                Redirects.Decision d = Redirects.decide(cursor(), r.location(),
                        spec.maxRedirects(), spec.keepCredentialsOnRedirect(), url);
                if (d instanceof Redirects.Refuse refuse) {
                    if (failover(refuse.failure())) {
                        continue;
                    }
                    end(State.FAILED, refuse.failure());
                    return;
                }
                urls.set(current, ((Redirects.Follow) d).next());
                continue;
            }
            if (outcome instanceof RangeRefused) {
                if (sink != null && !sink.canReset() && received > 0) {
                    end(State.FAILED, new DownloadException(Reason.CANNOT_RESUME, url,
                            "server refused to resume (416)"));
                    return;
                }
                startOver();
                if (!retryLater(new DownloadException(Reason.NETWORK, url,
                        "range not satisfiable, starting over"), null, 0)) {
                    continue;
                }
                return;
            }
            Failed f = (Failed) outcome;
            if (failover(f.failure())) {
                continue;
            }
            if (!retryLater(f.failure(), f.retryAfter(), f.bodyBytes())) {
                continue;
            }
            return;
        }
    }

    /** Failures another source may not share: every other failure ends a download. */
    private static final Set<Reason> FAILOVER_REASONS = EnumSet.of(Reason.CONNECT, Reason.NETWORK,
            Reason.TIMEOUT, Reason.STALLED, Reason.HTTP_TRANSIENT, Reason.HTTP_STATUS,
            Reason.PROTOCOL, Reason.TLS, Reason.INTEGRITY, Reason.POLICY);

    /**
     * After the current source failed: moves to the next source not tried in this round and
     * returns true (the next attempt goes there at once, without spending a retry), or returns
     * false when every source failed once (the retry policy decides; the next round starts with
     * the fastest source).
     */
    private boolean failover(DownloadException failure) throws DownloadException {
        if (sources.count() == 1 || !FAILOVER_REASONS.contains(failure.reason())) {
            return false;
        }
        int next = sources.failover(current, time.nanoTime());
        if (next < 0) {
            newRound = true;
            return false;
        }
        events.sourceChanged(failure, Cursor.withoutUserInfo(urls.get(current).uri),
                Cursor.withoutUserInfo(urls.get(next).uri));
        events.retry(failure, attempts + 1, Duration.ZERO, rangeStart + received);
        current = next;
        return true;
    }

    /** Where the next serial request goes. */
    private Cursor cursor() {
        return urls.get(current);
    }

    /** Opens the destination (nothing is held while queued) and takes the session. */
    private void open() throws Exception {
        events.started();
        switch (spec.kind()) {
            case FILE -> openFile(spec.path());
            case STREAM -> sink = new StreamSink(spec.callback(), url);
            case MEMORY -> sink = new MemorySink(spec.maxMemoryBytes(), url);
            // the file opens once a response names it
            case DIRECTORY -> checkDirectory(spec.path());
            default -> throw new DownloadException(Reason.POLICY, url,
                    "unsupported destination " + spec.kind());
        }
        opened = true;
        if (checksum == null) {
            checksum = newChecksum();
        }
        progress.start(received);
        buffer = ctx.buffers().take();
        synchronized (lock) {
            if (stopReason != null) {
                throw new Stopped();
            }
            session = ctx.sessions().acquire();
        }
    }

    private void openFile(Path path) throws Exception {
        // The seed's resume pattern: "Range: bytes=N-" with an outfile of N bytes continues it.
        boolean continueFile = spec.continueExisting()
                || (callerRange != null && callerRange.first() > 0 && callerRange.last() < 0
                && sizeOf(path) == callerRange.first());
        RangeSpec base = continueFile ? null : callerRange;
        if (continueFile) {
            rangeStart = 0;
            rangeEnd = -1;
        }
        FileSink fs = FileSink.open(path, ctx.fileOps(), url, spec.uri(), spec.expectedSha256(),
                base, continueFile, ctx.fsync(), ctx.flushing());
        sink = fs;
        FileSink.Found found = fs.found();
        checksum = newChecksum();
        if (checksum != null && found.bytes() > 0) {
            Checksum c = checksum;
            try {
                // The checksum covers a resumed prefix too.
                fs.readPrefix(found.bytes(), b -> {
                    try {
                        c.update(b);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
            } catch (IOException | IllegalStateException e) {
                throw new DownloadException(Reason.LOCAL_IO, url, "cannot read " + fs.part() + ": "
                        + e.getMessage(), e);
            }
        }
        received = found.bytes();
        held = found.ranges();
        validators = found.validators();
        if (found.bySha()) {
            sources.joinedUnvalidated(); // another URL's part: the SHA-256 decides
        }
    }

    private void checkDirectory(Path dir) throws DownloadException {
        if (!Files.isDirectory(dir)) {
            throw new DownloadException(Reason.LOCAL_IO, url, Files.exists(dir)
                    ? "not a directory: " + dir : "directory does not exist: " + dir);
        }
    }

    /**
     * A directory destination: the name the response suggests ({@code Content-Disposition}, else
     * the final URL's last segment), made safe and kept inside the directory.
     */
    private Path chooseName(ResponseHead head) throws DownloadException {
        String suggested = ContentDisposition.fileName(head.header("Content-Disposition"));
        String name = suggested != null && !FileNames.sanitize(suggested).isEmpty() ? suggested
                : FileNames.fromUrl(urls.get(0).uri); // the request's name, whoever serves
        try {
            return FileNames.resolveInside(spec.path(), name);
        } catch (IllegalArgumentException e) {
            return FileNames.resolveInside(spec.path(), FileNames.INDEX);
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private Checksum newChecksum() {
        return spec.expectedSha256() == null ? null : new Checksum(ctx.hashing());
    }

    // ------------------------------------------------------------------ one attempt

    private Outcome attempt() throws Exception {
        attempts++;
        progress.attempt(attempts);
        if (newRound) {
            newRound = false;
            current = sources.best(time.nanoTime(), current);
        }
        int source = current;
        Cursor cursor = cursor();
        int generation = urls.generation(source);
        long pausedUntil = ctx.pausedUntil(Cursor.origin(cursor.uri));
        if (pausedUntil - time.nanoTime() > 0) {
            return new HostPaused(pausedUntil);
        }
        boolean openRange = spec.splits() && received == 0 && rangeStart == 0 && rangeEnd < 0
                && opaqueRange == null && !openRangeRefused;
        // Held bytes of another source's body: with a SHA-256 to decide, ask for the rest by the
        // total alone (another server's validators mean nothing to this one).
        boolean joinOnTotal = source != sources.anchor() && received > 0 && sources.shaGiven()
                && validators.total() > 0 && callerRange == null;
        Plan plan = Plan.of(rangeStart, rangeEnd, opaqueRange, received,
                joinOnTotal ? new Validators(null, null, validators.total()) : validators,
                spec.conditional(), openRange);
        ExchangeRequest request;
        try {
            request = RequestFactory.build(cursor, plan, extras(cursor));
        } catch (IllegalArgumentException e) {
            return new Failed(new DownloadException(Reason.POLICY, url, "cannot send request: "
                    + e.getMessage(), e), null, 0);
        }
        Exchange ex = session.transport().newExchange(request);
        StallWatch watch = new StallWatch(time, ex, spec.stallTimeout().toNanos(), url);
        synchronized (lock) {
            if (stopReason != null) {
                ex.close();
                throw new Stopped();
            }
            exchange = ex;
            state = State.REQUESTING;
        }
        long[] bodyBytes = {0};
        long expected = -1;
        long bodyStart = 0;
        try {
            long headNanos = spec.responseTimeout().toNanos();
            if (sources.alternative(source, time.nanoTime())) {
                // another source can take over: a dead one costs seconds, not the full timeout
                headNanos = Math.min(headNanos, MIRROR_HEAD_NANOS);
            }
            watch.awaitHead(headNanos, headNanos / 1_000_000 + " ms");
            ResponseHead head = ex.send();
            watch.headArrived();
            keepCookies(head);
            ResponseCheck.Verdict verdict = ResponseCheck.check(head, plan, limits(), cursor.uri,
                    time.currentTimeMillis());
            if (verdict instanceof ResponseCheck.Redirect r) {
                discard(ex);
                return new Redirected(r.location());
            }
            if (verdict instanceof ResponseCheck.HttpError e) {
                discard(ex);
                int status = head.status();
                if (status == 416 && openRange) {
                    // bytes=0- refused: an empty body (S3 answers so for a zero-byte object) or a
                    // server that refuses open ranges. Ask again without Range, at once.
                    openRangeRefused = true;
                    attempts--;
                    return new Reopened();
                }
                if ((status == 401 || status == 403 || status == 410)
                        && urls.expired(source, status, generation)) {
                    attempts--; // the same attempt, at a fresh URL
                    return new Reopened();
                }
                return new Failed(e.failure(), e.retryAfter(), 0);
            }
            if (verdict instanceof ResponseCheck.NotModified) {
                discard(ex);
                lastHead = head;
                lastUri = Cursor.withoutUserInfo(cursor.uri);
                return new NotModified();
            }
            if (verdict instanceof ResponseCheck.AlreadyComplete) {
                discard(ex);
                lastHead = head;
                lastUri = Cursor.withoutUserInfo(cursor.uri);
                return new Completed();
            }
            if (verdict instanceof ResponseCheck.RangeRefused) {
                discard(ex);
                return new RangeRefused();
            }
            if (verdict instanceof ResponseCheck.Refuse r) {
                // closing the exchange unread drops the connection
                return new Failed(r.failure(), null, 0);
            }
            ResponseCheck.Accept accept = (ResponseCheck.Accept) verdict;
            if (sink == null) { // a directory destination: the response names the file
                openFile(chooseName(head));
                progress.start(received);
                if (received > 0) {
                    return new Reopened(); // a part from an earlier run: ask for the rest instead
                }
            }
            expected = accept.bodyBytes();
            accept(accept, plan, head);
            if (joinOnTotal && !accept.startOver() && !accept.wholeBody()
                    && (validators.etag() == null
                    || !validators.etag().equals(plan.validators().etag()))) {
                sources.joinedUnvalidated(); // the SHA-256 of the whole body decides
            }
            bodyStart = time.nanoTime();
            synchronized (lock) {
                if (stopReason != null) {
                    throw new Stopped();
                }
                state = State.RECEIVING;
            }
            if (inPieces(head, accept, plan)) {
                return segmented(ex, watch, accept, plan);
            }
            BodySource from = rateGate.around(Stages.watched(ex::read, watch), watch);
            // Counted outside the busy stage: the progress a caller sees is published only once
            // the stall watch knows the bytes landed (the progress events count as busy).
            BodyTarget target = Stages.counted(Stages.busy(Stages.limited(Stages.hashing(
                    sink::write, checksum), expected, url), watch), n -> {
                bodyBytes[0] += n;
                received += n;
                progress.advance(n, watch);
            });
            Pipe.copy(from, target, buffer);
            if (expected >= 0 && bodyBytes[0] < expected) {
                return new Failed(new DownloadException(Reason.NETWORK, url, "body ended after "
                        + bodyBytes[0] + " of " + expected + " bytes"), null, bodyBytes[0]);
            }
            return new Completed();
        } catch (DownloadException e) {
            checkStop();
            return new Failed(e, null, bodyBytes[0]); // typed by the sink, a callback or a stage
        } catch (IOException e) {
            checkStop();
            DownloadException fired = watch.fired();
            if (fired != null) {
                return new Failed(fired, null, bodyBytes[0]);
            }
            DownloadException failure = Failures.classify(e, url);
            if (failure.reason() == Reason.NETWORK
                    && (bodyBytes[0] > 0 || expected >= 0 || e instanceof EOFException)
                    && state() == State.RECEIVING) {
                failure = new DownloadException(Reason.NETWORK, url, "connection closed after "
                        + bodyBytes[0] + (expected >= 0 ? " of " + expected : "")
                        + " body bytes", e);
            }
            return new Failed(failure, null, bodyBytes[0]);
        } finally {
            watch.stop();
            synchronized (lock) {
                exchange = null;
            }
            ex.close();
            long took = time.nanoTime() - bodyStart;
            if (sources.count() > 1 && bodyStart != 0 && took > 0 && bodyBytes[0] > 0) {
                sources.measured(source, bodyBytes[0] * 1e9 / took);
            }
        }
    }

    /** With another source to go to, the longest wait for a response head. */
    static final long MIRROR_HEAD_NANOS = 5_000_000_000L;

    /**
     * Acts on a body to store: start over if needed, remember the representation, tell the
     * listener.
     */
    private void accept(ResponseCheck.Accept a, Plan plan, ResponseHead head) throws Exception {
        if (a.startOver()) {
            startOver();
        }
        if (a.wholeBody()) {
            rangeStart = 0;
            rangeEnd = -1;
        }
        resumedFrom = a.startOver() || a.wholeBody() ? 0 : plan.held();
        validators = a.validators();
        sources.anchored(current, validators, a.newRepresentation() || a.startOver());
        sources.up(current);
        urls.served(current);
        if (a.newRepresentation()) {
            try {
                sink.representation(validators);
            } catch (IOException e) {
                throw new DownloadException(Reason.LOCAL_IO, url, "cannot record the resume state: "
                        + e.getMessage(), e);
            }
        }
        progress.total(a.total(), a.totalSource());
        if (sink instanceof MemorySink memory) {
            memory.expect(a.total());
        }
        lastHead = head;
        lastUri = Cursor.withoutUserInfo(cursor().uri);
        events.response(head, lastUri);
    }

    /**
     * The cookies, the host's netrc credentials and the caller's conditions for the next request.
     */
    private RequestFactory.Extras extras(Cursor cursor) {
        EngineConfig.Cookies cookies = ctx.cookies();
        String cookie = cookies == null ? null : cookies.header(Cursor.withoutUserInfo(cursor.uri));
        String authorization = ctx.credentials(cursor.uri.getHost());
        return new RequestFactory.Extras(cookie, authorization, spec.ifNoneMatch(),
                spec.ifModifiedSince());
    }

    /** Every response's cookies go to the jar, redirects' too; the jar decides what it keeps. */
    private void keepCookies(ResponseHead head) {
        EngineConfig.Cookies cookies = ctx.cookies();
        if (cookies == null) {
            return;
        }
        URI from = Cursor.withoutUserInfo(cursor().uri);
        for (String setCookie : head.headers().allValues("Set-Cookie")) {
            cookies.store(from, setCookie);
        }
    }

    private ResponseCheck.Limits limits() {
        return new ResponseCheck.Limits(sink == null || sink.canReset(), spec.expectedSize(),
                spec.kind() == TransferSpec.Kind.MEMORY ? spec.maxMemoryBytes() : -1, url);
    }

    /** Reads and drops a redirect or error body, up to a limit, so the connection can be reused. */
    private void discard(Exchange ex) {
        try {
            long seen = 0;
            buffer.clear();
            int n;
            while (seen <= DRAIN_LIMIT && (n = ex.read(buffer)) >= 0) {
                seen += n;
                buffer.clear();
            }
        } catch (IOException e) {
            // the status is what matters; the connection is dropped
        }
    }

    // ------------------------------------------------------------------ after an attempt

    /**
     * Decides what follows a failed attempt. Returns true when the transfer waits (a retry is
     * scheduled) or ended, false when the next attempt can start at once.
     */
    private boolean retryLater(DownloadException failure, Duration retryAfter,
            long bodyBytes) throws Exception {
        boolean progressed = bodyBytes > 0 && rangeStart + received > furthest;
        if (progressed) {
            // progress renews the budget; starting over is not progress
            furthest = rangeStart + received;
        }
        retriesUsed = RetryRules.budgetAfter(retriesUsed, progressed);
        Duration untilDeadline = spec.deadline() == null ? null
                : spec.deadline().minusNanos(time.nanoTime() - startNanos);
        if (retryAfter != null && failure.reason() == Reason.HTTP_TRANSIENT
                && !retryAfter.isNegative()) {
            // The server asked every client to wait: every download to this host waits with us.
            ctx.pause(Cursor.origin(cursor().uri), time.nanoTime() + retryAfter.toNanos());
        }
        RetryRules.Decision d = RetryRules.afterFailure(failure, retriesUsed, spec.retryPolicy(),
                retryAfter,
                received, validators, sink != null && !sink.canReset(), untilDeadline);
        if (d instanceof RetryRules.GiveUp g) {
            end(State.FAILED, g.failure());
            return true;
        }
        RetryRules.RetryIn r = (RetryRules.RetryIn) d;
        if (r.startOver()) {
            startOver();
        }
        retriesUsed++;
        events.retry(failure, attempts + 1, r.delay(), rangeStart + received);
        if (r.delay().isZero()) {
            return false;
        }
        return waitFor(r.delay().toNanos());
    }

    /**
     * Schedules the next attempt {@code delayNanos} from now and gives the thread back. Returns
     * true when the thread may leave, false when the timer already fired (go on at once).
     */
    private boolean waitFor(long delayNanos) throws Exception {
        synchronized (lock) {
            if (stopReason != null) {
                throw new Stopped();
            }
            state = State.BACKING_OFF;
        }
        TimeSource.Cancellable task = time.schedule(this::wake, delayNanos);
        synchronized (lock) {
            if (stopReason == null && state == State.BACKING_OFF) {
                wake = task;
                return true; // this thread leaves; the timer resumes the transfer
            }
        }
        task.cancel();
        checkStop();
        return false; // the timer fired already, and its run() found this thread still here: go on
    }

    /** The backoff is over: run the next attempt on a transfer thread. */
    private void wake() {
        synchronized (lock) {
            wake = null;
            if (state != State.BACKING_OFF || stopReason != null) {
                return;
            }
            state = State.REQUESTING;
        }
        execute();
    }

    private void startOver() throws DownloadException {
        try {
            if (sink != null) {
                sink.reset();
            }
        } catch (IOException e) {
            throw new DownloadException(Reason.LOCAL_IO, url, "cannot truncate the part file: "
                    + e.getMessage(), e);
        }
        received = 0;
        held = RangeSet.EMPTY;
        if (checksum != null) {
            checksum.close();
            checksum = newChecksum();
        }
        progress.reset();
        validators = Validators.NONE;
        sources.forgetProofs();
    }

    // ------------------------------------------------------------------ several connections

    /** Bodies fetched in pieces are put back in order for a stream within this many bytes. */
    static final long REORDER_BUDGET = 32L * 1024 * 1024;
    /** A range is split between two connections only when both halves are at least this long. */
    static final long MIN_SPLIT = 1024 * 1024;

    /** The ranges held: those found in a part, or the prefix one connection wrote. */
    private RangeSet heldNow() {
        return held.prefixLength() == held.size() && held.size() <= received
                ? RangeSet.prefix(received) : held;
    }

    /**
     * Whether the body goes over several connections: the response proved it safe (ranges
     * served, a known length past the split threshold, a strong validator, no content coding),
     * or a part holds ranges that only pieces can complete.
     */
    private boolean inPieces(ResponseHead head, ResponseCheck.Accept a, Plan plan) {
        long total = a.total();
        boolean ranged = head.status() == 206
                || "bytes".equalsIgnoreCase(String.valueOf(head.header("Accept-Ranges")).trim());
        boolean identity = head.header("Content-Encoding") == null
                || "identity".equalsIgnoreCase(head.header("Content-Encoding").trim());
        boolean provable = total > 0 && ranged && identity && validators.ifRange() != null
                && rangeStart == 0 && rangeEnd < 0 && opaqueRange == null
                && (a.startOver() || a.wholeBody() || plan.requestedFrom() >= 0 || received == 0);
        boolean gaps = !a.startOver() && !a.wholeBody() && held.size() > held.prefixLength();
        if (!provable) {
            return false;
        }
        return gaps || (spec.splits() && total >= spec.splitThreshold()
                && total - received >= 2 * MIN_SPLIT);
    }

    /** Fetches the rest of the body over several connections; see {@link SegmentedBody}. */
    private Outcome segmented(Exchange first, StallWatch watch, ResponseCheck.Accept a, Plan plan)
            throws Exception {
        long total = a.total();
        long from = a.startOver() || a.wholeBody() || plan.requestedFrom() < 0 ? 0
                : plan.requestedFrom();
        RangeSet done = a.startOver() || a.wholeBody() ? RangeSet.EMPTY : heldNow();
        ReorderBuffer reorder = null;
        PositionalSink target;
        if (sink instanceof PositionalSink p) {
            target = p;
        } else {
            // A stream takes bytes in order: ranges wait their turn within a bounded budget.
            reorder = new ReorderBuffer(Stages.hashing(sink::write, checksum), received,
                    REORDER_BUDGET);
            target = reorder;
        }
        SegmentedBody body = new SegmentedBody(new Pieces(done.size()), total, done, target,
                validators, rateGate, spec.connections().max(), spec.connections().adaptive(),
                MIN_SPLIT, spec.retryPolicy(), sources);
        synchronized (lock) {
            if (stopReason != null) {
                throw new Stopped();
            }
            segmented = body;
        }
        SegmentedBody.Result r;
        try {
            r = body.run(first, watch, from);
        } finally {
            synchronized (lock) {
                segmented = null;
            }
            progress.connections(0);
        }
        checkStop();
        if (reorder != null) {
            received = reorder.frontier(); // what a stream holds is what it delivered, in order
            held = RangeSet.prefix(received);
        } else {
            held = body.done();
            received = held.prefixLength();
        }
        if (r instanceof SegmentedBody.Result.Completed) {
            received = total;
            held = RangeSet.prefix(total);
            completedInPieces = reorder == null;
            return new Completed();
        }
        if (r instanceof SegmentedBody.Result.Changed c) {
            return new Changed(c.why());
        }
        SegmentedBody.Result.Failed f = (SegmentedBody.Result.Failed) r;
        return new Failed(f.failure(), null, f.progressed() ? 1 : 0);
    }

    /** What the connections of a body use of this transfer. */
    private final class Pieces implements SegmentedBody.Context {
        private long reported;

        Pieces(long startBytes) {
            this.reported = startBytes;
        }

        @Override
        public TimeSource time() {
            return time;
        }

        @Override
        public java.util.concurrent.Executor threads() {
            return ctx.transfers();
        }

        @Override
        public dev.haul.internal.pipe.BufferPool buffers() {
            return ctx.buffers();
        }

        @Override
        public ExchangeRequest request(int source, long from, long toInclusive, String ifRange) {
            Cursor c = urls.get(source);
            ExchangeRequest.Builder b = ExchangeRequest.get(Cursor.withoutUserInfo(c.uri));
            RequestFactory.build(c, Plan.of(0, -1, null, 0, Validators.NONE, false), extras(c))
                    .headers().forEach(h -> b.header(h[0], h[1]));
            b.header("Range", "bytes=" + from + "-" + toInclusive);
            if (ifRange != null) {
                b.header("If-Range", ifRange);
            }
            return b.build();
        }

        @Override
        public Exchange open(ExchangeRequest request) {
            Sessions.Session s;
            synchronized (lock) {
                s = session;
            }
            return s.transport().newExchange(request);
        }

        @Override
        public Runnable extraConnection(int source) {
            return ctx.limiter().tryAcquireConnection(Cursor.origin(urls.get(source).uri));
        }

        @Override
        public void pauseHost(int source, long untilNanos) {
            ctx.pause(Cursor.origin(urls.get(source).uri), untilNanos);
        }

        @Override
        public boolean redirected(int source, String location) {
            Cursor c = urls.get(source);
            Redirects.Decision d = Redirects.decide(c, Redirects.resolve(c.uri, location),
                    spec.maxRedirects(), spec.keepCredentialsOnRedirect(), url);
            if (d instanceof Redirects.Follow f) {
                urls.compareAndSet(source, c, f.next());
                return true;
            }
            return false;
        }

        @Override
        public int generation(int source) {
            return urls.generation(source);
        }

        @Override
        public boolean expired(int source, int status, int generation) throws DownloadException {
            return urls.expired(source, status, generation);
        }

        @Override
        public void served(int source) {
            urls.served(source);
        }

        @Override
        public void progress(long bytesDone, int connections) throws DownloadException {
            progress.connections(connections);
            long delta = bytesDone - reported;
            reported = bytesDone;
            if (delta > 0) {
                progress.advance((int) Math.min(Integer.MAX_VALUE, delta));
            }
        }

        @Override
        public void save(RangeSet done) {
            if (sink instanceof FileSink fs) {
                try {
                    fs.saveRanges(validators, done);
                } catch (IOException e) {
                    // the part still resumes as far as the last sidecar says
                }
            }
        }

        @Override
        public String url() {
            return url;
        }

        @Override
        public long stallNanos() {
            return spec.stallTimeout().toNanos();
        }

        @Override
        public long responseNanos() {
            return spec.responseTimeout().toNanos();
        }
    }

    /**
     * A body written in pieces is hashed once it is whole, from where it lies: the part file
     * (read back while the page cache still holds it) or the memory body.
     */
    private void hashPieces() throws DownloadException {
        if (sink instanceof MemorySink memory) {
            memory.filled();
        }
        if (checksum == null) {
            return;
        }
        checksum.close();
        checksum = newChecksum();
        Checksum c = checksum;
        try {
            if (sink instanceof FileSink fs) {
                fs.readPrefix(received, b -> update(c, b));
            } else if (sink instanceof MemorySink memory) {
                update(c, ByteBuffer.wrap(memory.peek()));
            }
        } catch (IOException | IllegalStateException e) {
            throw new DownloadException(Reason.LOCAL_IO, url,
                    "cannot read the body back to verify it: "
                    + e.getMessage(), e);
        }
    }

    private static void update(Checksum c, ByteBuffer b) {
        try {
            c.update(b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The body is complete: verify it, run the final events, commit it, report success. Returns
     * false when the body failed its SHA-256 and is fetched again from another source (or from one
     * source, after a body joined from several failed), true when the download ended.
     */
    private boolean finish() throws Exception {
        if (completedInPieces) {
            hashPieces();
        }
        long size = received;
        if (spec.expectedSize() >= 0 && size != spec.expectedSize()) {
            end(State.FAILED, new DownloadException(Reason.INTEGRITY, url,
                    "got " + size + " bytes, expected " + spec.expectedSize()));
            return true;
        }
        String sha = null;
        if (checksum != null) {
            try {
                sha = checksum.finish();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                end(State.FAILED, new DownloadException(Reason.LOCAL_IO, url,
                        "interrupted while verifying the SHA-256", e));
                return true;
            }
            if (!sha.equals(spec.expectedSha256())) {
                DownloadException mismatch = new DownloadException(Reason.INTEGRITY, url,
                        "SHA-256 mismatch: expected " + spec.expectedSha256() + ", got " + sha);
                int next = sources.count() > 1 || sources.unvalidatedJoin()
                        ? sources.hashFailed(time.nanoTime()) : -1;
                if (next < 0 || (sink != null && !sink.canReset())) {
                    end(State.FAILED, mismatch);
                    return true;
                }
                // Joined from several sources, or served by a source with other bytes: fetch it
                // again from one source that is still trusted.
                startOver();
                events.retry(mismatch, attempts + 1, Duration.ZERO, 0);
                current = next;
                return false;
            }
        }
        // The final events run before the commit: user code that throws here leaves the destination
        // alone.
        progress.complete();
        progress.succeeded();
        synchronized (lock) {
            if (stopReason != null) {
                throw new Stopped();
            }
            // from here on, stop() is refused: the result is ours to report
            state = State.COMMITTING;
        }
        Object body;
        try {
            body = sink.commit();
        } catch (IOException e) {
            end(State.FAILED, new DownloadException(Reason.LOCAL_IO, url,
                    "cannot complete the file: " + e, e));
            return true;
        }
        sink = null; // committed: nothing to close
        if (spec.remoteTime() && body instanceof Path file) {
            setFileTime(file, lastHead);
        }
        TransferEvents.Result result = new TransferEvents.Result(body, lastHead,
                lastUri != null ? lastUri : Cursor.withoutUserInfo(cursor().uri), size, sha,
                attempts,
                resumedFrom,
                time.nanoTime() - startNanos);
        end(State.SUCCEEDED, result);
        return true;
    }

    /**
     * The server said the caller's copy is current (304 to a conditional request): nothing was
     * stored, the destination is left as it is, and the download succeeds.
     */
    private void finishNotModified() throws Exception {
        progress.complete();
        synchronized (lock) {
            if (stopReason != null) {
                throw new Stopped();
            }
            state = State.COMMITTING;
        }
        Object body = switch (spec.kind()) {
            case MEMORY -> new byte[0];
            case FILE -> spec.path();
            case DIRECTORY -> sink instanceof FileSink fs ? fs.target() : spec.path();
            default -> null;
        };
        long size = body instanceof Path p && Files.isRegularFile(p) ? Files.size(p) : 0;
        if (sink != null) {
            sink.close(false); // an empty part of our own: nothing to keep
            sink = null;
        }
        end(State.SUCCEEDED, new TransferEvents.Result(body, lastHead, lastUri, size, null,
                attempts, 0,
                time.nanoTime() - startNanos));
    }

    /** Sets the file's time from Last-Modified, as wget does and curl -R; best effort. */
    private void setFileTime(Path file, ResponseHead head) {
        String lm = head == null ? null : head.header("Last-Modified");
        if (lm == null) {
            return;
        }
        try {
            java.time.Instant t = java.time.ZonedDateTime.parse(lm.trim(),
                    java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(t));
        } catch (java.time.format.DateTimeParseException | IOException e) {
            // a file with the local time is still the right file
        }
    }

    /**
     * Ends the transfer: releases everything, then sends the terminal event once. {@code what} is
     * the result on success, the failure otherwise. A stop requested meanwhile wins over a failure.
     */
    private void end(State terminal, Object what) {
        Runnable p;
        Sessions.Session s;
        TimeSource.Cancellable deadline;
        TimeSource.Cancellable w;
        Throwable stopped;
        synchronized (lock) {
            if (ended) {
                return;
            }
            ended = true;
            stopped = terminal == State.SUCCEEDED ? null : stopReason;
            state = stopped != null ? State.STOPPED : terminal;
            p = permit;
            permit = null;
            s = session;
            session = null;
            deadline = deadlineTask;
            deadlineTask = null;
            w = wake;
            wake = null;
        }
        if (w != null) {
            w.cancel();
        }
        if (deadline != null) {
            deadline.cancel();
        }
        boolean integrity = what instanceof DownloadException de && de.reason() == Reason.INTEGRITY;
        if (sink != null) {
            sink.close(!integrity); // keep a resumable part unless its bytes are known to be wrong
            sink = null;
        }
        if (checksum != null) {
            checksum.close();
        }
        ctx.buffers().give(buffer);
        buffer = null;
        if (s != null) {
            ctx.sessions().release(s);
        }
        if (p != null) {
            p.run();
        }
        ctx.finished(this);
        if (stopped instanceof CancellationException) {
            events.cancelled();
        } else if (stopped != null) {
            events.failed(stopped);
        } else if (terminal == State.SUCCEEDED) {
            events.succeeded((TransferEvents.Result) what);
        } else {
            events.failed((Throwable) what);
        }
    }

    private void endStopped() {
        end(State.STOPPED, null);
    }

    private void checkStop() throws Stopped {
        if (stopReason() != null) {
            throw new Stopped();
        }
    }

    private Throwable stopReason() {
        synchronized (lock) {
            return stopReason;
        }
    }

    private DownloadException unexpected(Throwable t) {
        if (t instanceof DownloadException de) {
            return de;
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new DownloadException(Reason.PROTOCOL, url, "unexpected failure: " + t, t);
    }
}
