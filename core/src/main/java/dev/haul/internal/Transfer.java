package dev.haul.internal;

import dev.haul.Destination;
import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.DownloadListener;
import dev.haul.DownloadRequest;
import dev.haul.DownloadResult;
import dev.haul.Progress;
import dev.haul.Progress.TotalSource;
import dev.haul.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One download from start to finish: admission, attempts, redirects, resume, retries, and the
 * commit of the verified body.
 *
 * <h2>How a download runs</h2>
 * A transfer waits for a place under the manager's limits, takes the session, and makes attempts
 * one after another, never two at once. Each attempt sends a GET for the current URL. When the
 * transfer already holds N bytes of the body, it asks for {@code Range: bytes=N-} with
 * {@code If-Range} carrying the strong ETag (or Last-Modified) of the first response, and accepts
 * the answer only as a {@code 206} whose Content-Range starts at N and whose total matches; a
 * {@code 200} means the server ignored the range or the content changed, so memory and file
 * destinations start over and a stream fails with {@link Reason#CANNOT_RESUME}. All of this is
 * decided from the response headers, in {@link Attempt#onHeaders}, before a body byte is stored.
 *
 * <p>The body flows through {@link BodyPump}, which asks for one buffer at a time, so a slow
 * disk or chunk callback slows the transfer instead of filling memory. A watchdog aborts the
 * attempt when no byte arrived for the stall timeout, except while the sink itself is busy.
 *
 * <p>A failed attempt goes to {@link RetryRules}; the retry budget is renewed whenever an attempt
 * delivered bytes. Redirects are followed here (the JDK client is told not to), dropping
 * credentials when the origin changes. On success the length and digest are checked and the sink
 * commits: for files, the {@code .part} is forced to disk and renamed onto the destination.
 *
 * <p>The result future is the control surface: completing it from outside — {@code cancel},
 * {@code orTimeout}, {@code completeExceptionally} — aborts the running attempt or pending wait
 * and releases everything. No lock is held while user code (callbacks, listeners) runs.
 */
public final class Transfer {
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    /**
     * The caller's headers that may follow a redirect to another origin. Everything else —
     * Authorization, Cookie, Proxy-Authorization, and custom headers such as API keys, which we
     * cannot tell from secrets — stays with the origin it was meant for.
     */
    private static final Set<String> CROSS_ORIGIN_HEADERS = Set.of("user-agent", "accept", "accept-language",
            "accept-encoding", "cache-control", "pragma");
    /** Redirect and error bodies are read up to this much (to keep the connection), then dropped. */
    private static final int DRAIN_LIMIT = 64 * 1024;

    private final Engine engine;
    private final EngineConfig config;
    private final DownloadRequest request;
    private final String url;
    private final RetryPolicy policy;
    private final Duration stallTimeout;
    private final Duration responseTimeout;
    private final RangeSpec callerRange;
    private final String opaqueRange;
    private final ProgressTracker progress;
    private final DownloadListener listener;
    private final CompletableFuture<DownloadResult> result = new CompletableFuture<>();
    private final AtomicBoolean cleaned = new AtomicBoolean();
    private final long startNanos;
    private final Object lock = new Object();

    // Sequential state: touched by one attempt at a time.
    private URI currentUri;
    private Map<String, String> headers;
    private int redirects;
    private volatile Sink sink;
    private Checksum checksum;
    private long rangeStart;
    private long rangeEnd;
    private long received;
    private ResumeState resume = ResumeState.NONE;
    private int attempts;
    private int retriesUsed;
    /** The furthest body offset any attempt reached: the budget renews only past it. */
    private long furthest;
    /** Bytes already held when the response that completed the body began. */
    private long resumedFrom;
    private int finalStatus;

    // Guarded by lock.
    private Attempt current;
    private ScheduledFuture<?> pendingRetry;
    private ScheduledFuture<?> deadlineTask;
    private CompletableFuture<Runnable> admission;
    private Runnable permit;
    private Session session;
    private boolean committing;

    Transfer(Engine engine, DownloadRequest request) {
        this.engine = engine;
        this.config = engine.config();
        this.request = request;
        this.url = Redaction.redact(request.uri());
        this.policy = request.retryPolicy() != null ? request.retryPolicy() : config.retryPolicy();
        this.stallTimeout = request.stallTimeout() != null ? request.stallTimeout() : config.stallTimeout();
        this.responseTimeout = request.responseTimeout() != null ? request.responseTimeout() : config.responseTimeout();
        String range = request.headers().get("Range");
        this.callerRange = RangeSpec.parse(range);
        this.opaqueRange = range != null && callerRange == null ? range : null;
        this.rangeStart = callerRange == null ? 0 : callerRange.first();
        this.rangeEnd = callerRange == null ? -1 : callerRange.last();
        this.progress = new ProgressTracker(config.ticker(), request.listener(), request.progressCallback(),
                request.totalSizeHint() >= 0 ? request.totalSizeHint() : request.expectedSize());
        this.listener = request.listener();
        this.startNanos = config.ticker().nanos();
        this.currentUri = request.uri();
        this.headers = initialHeaders(request);
    }

    public CompletableFuture<DownloadResult> result() {
        return result;
    }

    public Progress progress() {
        return progress.snapshot();
    }

    // ------------------------------------------------------------------ lifecycle

    void start() {
        result.whenComplete((r, t) -> {
            if (t != null) {
                abortFromOutside();
            }
        });
        if (request.deadline() != null) {
            ScheduledFuture<?> task = engine.schedule(() -> result.completeExceptionally(
                    new DownloadException(Reason.DEADLINE, url, "deadline of " + request.deadline() + " passed")),
                    request.deadline().toNanos());
            synchronized (lock) {
                deadlineTask = task;
            }
        }
        CompletableFuture<Runnable> admitted = engine.limiter().acquire(origin(request.uri()));
        synchronized (lock) {
            admission = admitted;
        }
        admitted.thenAccept(this::admitted);
        if (result.isDone()) {
            admitted.cancel(false);
        }
    }

    /** A place under the limits is ours: open the destination (no file is held while queued) and go. */
    private void admitted(Runnable release) {
        boolean go;
        synchronized (lock) {
            go = !result.isDone() && !cleaned.get() && !engine.closed();
            if (go) {
                permit = release;
            }
        }
        if (!go) {
            release.run(); // cancelled while queued, or the manager closed: pass the place on
            return;
        }
        try {
            openSink();
        } catch (DownloadException e) {
            fail(e);
            return;
        }
        if (cleaned.get()) {
            sink.close(true); // cancelled while the sink opened: cleanup ran before it existed
            return;
        }
        synchronized (lock) {
            if (!result.isDone()) {
                session = engine.sessions().acquire();
            }
        }
        runAttempt();
    }

    private void openSink() throws DownloadException {
        Destination d = request.destination();
        if (d instanceof Destination.File f) {
            // The seed's resume pattern: "Range: bytes=N-" with an outfile of N bytes continues it.
            boolean continueFile = request.continueExisting() || (callerRange != null && callerRange.first() > 0
                    && callerRange.last() < 0 && sizeOf(f.path()) == callerRange.first());
            RangeSpec base = continueFile ? null : callerRange;
            if (continueFile) {
                rangeStart = 0;
                rangeEnd = -1;
            }
            FileSink fs = FileSink.open(f.path(), config.fileOps(), url, request.uri().toString(), base,
                    continueFile, config.fsync());
            FileSink.Found found = fs.found();
            try {
                checksum = newChecksum();
                if (checksum != null && found.bytes() > 0) {
                    fs.digestPrefix(checksum, found.bytes()); // the checksum covers a resumed prefix too
                }
            } catch (IOException e) {
                fs.close(true);
                throw new DownloadException(Reason.LOCAL_IO, url, "cannot read " + fs.part() + ": " + e.getMessage(), e);
            }
            sink = fs;
            received = found.bytes();
            resume = found.state();
        } else if (d instanceof Destination.Stream s) {
            sink = new StreamSink(s.callback(), url);
            checksum = newChecksum();
        } else {
            sink = new MemorySink(request.maxMemoryBytes(), url);
            checksum = newChecksum();
        }
        progress.start(received);
    }

    private static long sizeOf(java.nio.file.Path p) {
        try {
            return java.nio.file.Files.isRegularFile(p) ? java.nio.file.Files.size(p) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private Checksum newChecksum() {
        return request.expectedSha256() == null ? null : new Checksum();
    }

    // ------------------------------------------------------------------ attempts

    private void runAttempt() {
        Attempt a;
        synchronized (lock) {
            if (result.isDone()) {
                return;
            }
            attempts++;
            a = new Attempt(attempts);
            current = a;
        }
        progress.attempt(a.number);
        HttpRequest httpRequest;
        try {
            httpRequest = buildRequest(a);
        } catch (IllegalArgumentException e) {
            finishAttempt(a, null, new DownloadException(Reason.POLICY, url, "cannot send request: " + e.getMessage(), e));
            return;
        }
        CompletableFuture<HttpResponse<Void>> jdk;
        try {
            jdk = session.client.sendAsync(httpRequest, a::onHeaders);
        } catch (RuntimeException e) {
            finishAttempt(a, null, Failures.classify(e, url));
            return;
        }
        a.jdkFuture = jdk;
        if (a.aborted != null) {
            jdk.cancel(true);
        }
        jdk.whenComplete((response, error) -> finishAttempt(a, response, error));
    }

    private HttpRequest buildRequest(Attempt a) {
        HttpRequest.Builder b = HttpRequest.newBuilder(withoutUserInfo(currentUri)).GET().timeout(responseTimeout);
        headers.forEach(b::header);
        long from = rangeStart + received;
        if (opaqueRange != null) {
            b.header("Range", opaqueRange);
        } else if (from > 0 || rangeEnd >= 0) {
            a.requestedFrom = from;
            b.header("Range", "bytes=" + from + "-" + (rangeEnd >= 0 ? rangeEnd : ""));
            if (received > 0 && resume.ifRange() != null) {
                b.header("If-Range", resume.ifRange());
            }
        }
        return b.build();
    }

    /** One request and its response. */
    final class Attempt {
        final int number;
        volatile CompletableFuture<HttpResponse<Void>> jdkFuture;
        volatile Flow.Subscription subscription;
        volatile BodyPump pump;
        volatile DownloadException aborted;
        /** What the response headers decided, when not "store the body". */
        DownloadException failure;
        URI redirectTo;
        boolean alreadyComplete;
        boolean restartFromZero;
        Duration retryAfter;
        long requestedFrom = -1;
        long expectedBodyBytes = -1;
        long bodyBytes;
        volatile long lastActivityNanos;
        volatile boolean sinkBusy;
        ScheduledFuture<?> stallCheck;

        Attempt(int number) {
            this.number = number;
        }

        /** Called by the JDK client when headers arrive: decide what to do with the body. */
        BodySubscriber<Void> onHeaders(ResponseInfo info) {
            int status = info.statusCode();
            HttpHeaders h = info.headers();
            finalStatus = status;
            if (REDIRECTS.contains(status) && h.firstValue("Location").isPresent()) {
                redirectTo = resolveRedirect(h.firstValue("Location").get());
                return new Drain();
            }
            if (status == 416 && requestedFrom > 0) {
                ContentRange cr = ContentRange.parse(h.firstValue("Content-Range").orElse(null));
                // "bytes */N" with N what we hold: the body is complete already. (Had we sent
                // If-Range with a stale validator, the server would have answered 200 instead.)
                if (cr != null && cr.unsatisfied() && rangeEnd < 0 && rangeStart == 0
                        && cr.total() == received && (resume.total() < 0 || resume.total() == received)) {
                    alreadyComplete = true; // we hold the whole body already
                } else {
                    restartFromZero = true;
                }
                return new Drain();
            }
            if (status < 200 || status > 299) {
                retryAfter = RetryAfter.parse(h.firstValue("Retry-After").orElse(null), System.currentTimeMillis());
                failure = httpFailure(status);
                return new Drain();
            }
            try {
                acceptBody(status, h);
            } catch (DownloadException e) {
                return new Refuse(e);
            } catch (IOException e) {
                return new Refuse(new DownloadException(Reason.LOCAL_IO, url, e.getMessage(), e));
            }
            lastActivityNanos = config.ticker().nanos();
            BodyPump p = new BodyPump(this);
            pump = p;
            scheduleStallCheck(stallTimeout.toNanos());
            if (aborted != null) {
                p.abort(aborted);
            }
            return p;
        }

        private void acceptBody(int status, HttpHeaders h) throws DownloadException, IOException {
            long contentLength = contentLength(h);
            String contentType = h.firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            ResumeState offered = ResumeState.of(h.firstValue("ETag").orElse(null),
                    h.firstValue("Last-Modified").orElse(null), -1);
            if (status == 206 && opaqueRange == null) {
                if (requestedFrom < 0) {
                    throw protocol("206 Partial Content to a request without Range");
                }
                if (contentType.startsWith("multipart/")) {
                    throw protocol("multipart 206 to a single-range request");
                }
                ContentRange cr = ContentRange.parse(h.firstValue("Content-Range").orElse(null));
                if (cr == null || cr.unsatisfied()) {
                    throw protocol("206 without a valid Content-Range");
                }
                if (cr.first() != requestedFrom) {
                    throw protocol("asked for bytes from " + requestedFrom + ", server sent from " + cr.first());
                }
                if (rangeEnd >= 0 ? cr.last() > rangeEnd : (cr.total() >= 0 && cr.last() != cr.total() - 1)) {
                    throw protocol("Content-Range " + cr.first() + "-" + cr.last() + "/" + cr.total()
                            + " does not end where asked");
                }
                if (resume.total() >= 0 && cr.total() >= 0 && cr.total() != resume.total()) {
                    throw protocol("resource length changed from " + resume.total() + " to " + cr.total());
                }
                if (contentLength >= 0 && contentLength != cr.length()) {
                    throw protocol("Content-Length " + contentLength + " disagrees with Content-Range");
                }
                expectedBodyBytes = cr.length();
                resumedFrom = received;
                boolean firstResponse = resume.ifRange() == null && resume.total() < 0;
                resume = firstResponse ? ResumeState.of(offered.etag(), offered.lastModified(), cr.total())
                        : new ResumeState(resume.etag(), resume.lastModified(), cr.total());
                if (firstResponse) {
                    sink.representation(resume);
                }
                progress.total(received + cr.length(), TotalSource.CONTENT_RANGE);
            } else {
                if (requestedFrom > 0 || rangeEnd >= 0 || opaqueRange != null) {
                    // The server ignored the range or the content changed: start over from byte 0.
                    if (sink instanceof StreamSink && received > 0) {
                        throw new DownloadException(Reason.CANNOT_RESUME, url, "server sent the whole body ("
                                + status + ") instead of resuming at byte " + requestedFrom
                                + ", and delivered chunks cannot be taken back");
                    }
                    if (received > 0) {
                        startOver();
                    }
                    rangeStart = 0;
                    rangeEnd = -1;
                }
                resumedFrom = 0;
                expectedBodyBytes = status == 206 ? -1 : contentLength;
                resume = ResumeState.of(offered.etag(), offered.lastModified(), contentLength);
                sink.representation(resume);
                progress.total(contentLength, TotalSource.CONTENT_LENGTH);
            }
            long total = expectedBodyBytes < 0 ? -1 : received + expectedBodyBytes;
            if (sink instanceof MemorySink memory) {
                if (total > request.maxMemoryBytes()) {
                    throw new DownloadException(Reason.TOO_LARGE, url, "body of " + total
                            + " bytes exceeds the memory cap of " + request.maxMemoryBytes());
                }
                memory.expect(total);
            }
            if (request.expectedSize() >= 0 && total >= 0 && total != request.expectedSize()) {
                throw new DownloadException(Reason.INTEGRITY, url, "server announces " + total
                        + " bytes, expected " + request.expectedSize());
            }
        }

        private long contentLength(HttpHeaders h) throws DownloadException {
            List<String> values = h.allValues("Content-Length");
            if (h.firstValue("Transfer-Encoding").isPresent()) {
                if (!values.isEmpty()) {
                    // RFC 9112 §6.3: a message with both is an attack or a broken server, and the
                    // JDK client would frame it by Content-Length: store nothing from it.
                    throw protocol("both Transfer-Encoding and Content-Length");
                }
                return -1;
            }
            if (values.isEmpty()) {
                return -1;
            }
            long n = -1;
            for (String v : values) {
                for (String part : v.split(",")) {
                    long parsed = ContentRange.parseNonNegative(part.trim());
                    if (parsed < 0 || (n >= 0 && parsed != n)) {
                        throw protocol("invalid Content-Length: " + v);
                    }
                    n = parsed;
                }
            }
            return n;
        }

        /** Called by the pump for every buffer list, on the thread delivering the body. */
        void deliver(List<ByteBuffer> buffers) throws Exception {
            int bytes = 0;
            for (ByteBuffer b : buffers) {
                bytes += b.remaining();
            }
            if (bytes == 0) {
                return;
            }
            if (expectedBodyBytes >= 0 && bodyBytes + bytes > expectedBodyBytes) {
                throw protocol("body longer than its declared length " + expectedBodyBytes);
            }
            if (checksum != null) {
                checksum.update(buffers);
            }
            sinkBusy = true;
            try {
                sink.write(buffers, bytes);
            } finally {
                sinkBusy = false;
                lastActivityNanos = config.ticker().nanos();
            }
            bodyBytes += bytes;
            received += bytes;
            progress.advance(bytes);
        }

        void subscribed(Flow.Subscription s) {
            subscription = s;
            if (aborted != null) {
                s.cancel();
            }
        }

        /** Stops this attempt: the JDK exchange is cancelled and the connection closed. */
        void abort(DownloadException why) {
            if (aborted != null) {
                return;
            }
            aborted = why;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            BodyPump p = pump;
            if (p != null) {
                // A cancelled subscription gets no onError: end the body ourselves, or the JDK
                // client waits for it forever and keeps its selector thread alive.
                p.abort(why);
            }
            CompletableFuture<HttpResponse<Void>> f = jdkFuture;
            if (f != null) {
                f.cancel(true);
            }
        }

        private void scheduleStallCheck(long delayNanos) {
            ScheduledFuture<?> f = engine.schedule(this::checkStall, delayNanos);
            synchronized (lock) {
                stallCheck = f;
            }
        }

        private void checkStall() {
            if (aborted != null || jdkFuture != null && jdkFuture.isDone()) {
                return;
            }
            long limit = stallTimeout.toNanos();
            long idle = config.ticker().nanos() - lastActivityNanos;
            if (sinkBusy) {
                idle = 0; // the caller's callback or the disk is slow, not the network
            }
            if (idle >= limit) {
                abort(new DownloadException(Reason.STALLED, url, "no data for " + stallTimeout.toMillis() + " ms"));
            } else {
                scheduleStallCheck(limit - idle);
            }
        }

        void stopStallCheck() {
            ScheduledFuture<?> f;
            synchronized (lock) {
                f = stallCheck;
            }
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    private void startOver() throws IOException {
        sink.reset();
        received = 0;
        if (checksum != null) {
            checksum.close();
            checksum = newChecksum();
        }
        progress.reset();
        resume = ResumeState.NONE;
    }

    private DownloadException httpFailure(int status) {
        boolean transient_ = status == 408 || status == 429 || status == 500 || status == 502
                || status == 503 || status == 504;
        if (status >= 300 && status < 400) {
            // We send no conditional request, and a redirect needs a Location: either is a broken server.
            return new DownloadException(Reason.PROTOCOL, url, status, status == 304
                    ? "unsolicited 304 Not Modified" : "redirect status " + status + " without Location", null);
        }
        return new DownloadException(transient_ ? Reason.HTTP_TRANSIENT : Reason.HTTP_STATUS, url, status,
                "HTTP " + status, null);
    }

    private DownloadException protocol(String message) {
        return new DownloadException(Reason.PROTOCOL, url, message);
    }

    // ------------------------------------------------------------------ after an attempt

    private void finishAttempt(Attempt a, HttpResponse<Void> response, Throwable error) {
        a.stopStallCheck();
        synchronized (lock) {
            if (current == a) {
                current = null;
            }
        }
        if (result.isDone()) {
            cleanup();
            return;
        }
        DownloadException failure = a.aborted != null ? a.aborted
                : error != null ? Failures.classify(error, url) : a.failure;
        if (failure == null && a.redirectTo != null) {
            followRedirect(a);
            return;
        }
        if (failure == null && a.alreadyComplete) {
            finish();
            return;
        }
        if (failure == null && a.restartFromZero) {
            if (sink instanceof StreamSink && received > 0) {
                fail(new DownloadException(Reason.CANNOT_RESUME, url, "server refused to resume (416)"));
                return;
            }
            failure = restart("server refused the range (416)");
            if (failure == null) {
                retryAfter(a, new DownloadException(Reason.NETWORK, url, "range not satisfiable, starting over"), null);
                return;
            }
        }
        if (error != null && a.aborted == null && failure.reason() == Reason.NETWORK && a.pump != null) {
            failure = new DownloadException(Reason.NETWORK, url, "connection closed after " + a.bodyBytes
                    + (a.expectedBodyBytes >= 0 ? " of " + a.expectedBodyBytes : "") + " body bytes", error);
        }
        if (failure == null && a.expectedBodyBytes >= 0 && a.bodyBytes < a.expectedBodyBytes) {
            failure = new DownloadException(Reason.NETWORK, url, "body ended after " + a.bodyBytes + " of "
                    + a.expectedBodyBytes + " bytes");
        }
        if (failure == null) {
            finish();
            return;
        }
        if (a.bodyBytes > 0 && rangeStart + received > furthest) {
            furthest = rangeStart + received; // progress renews the budget; starting over is not progress
            retriesUsed = 0;
        }
        retryAfter(a, failure, a.retryAfter);
    }

    private DownloadException restart(String why) {
        try {
            startOver();
            return null;
        } catch (IOException e) {
            return new DownloadException(Reason.LOCAL_IO, url, why + "; cannot truncate part file: " + e.getMessage(), e);
        }
    }

    private void retryAfter(Attempt a, DownloadException failure, Duration serverWait) {
        Duration delay = RetryRules.nextDelay(failure, retriesUsed, policy, serverWait);
        if (delay == null) {
            fail(failure);
            return;
        }
        if (received > 0 && !resume.canVerify() && !(a.restartFromZero)) {
            // Nothing proves a resumed body would continue the same bytes.
            if (sink instanceof StreamSink) {
                fail(new DownloadException(Reason.CANNOT_RESUME, url, failure.getMessage()
                        + "; the server gave no validator or length to resume the stream safely", failure));
                return;
            }
            DownloadException e = restart("no validator to resume with");
            if (e != null) {
                fail(e);
                return;
            }
        }
        if (request.deadline() != null
                && config.ticker().nanos() + delay.toNanos() - startNanos > request.deadline().toNanos()) {
            fail(failure);
            return;
        }
        retriesUsed++;
        if (listener != null) {
            listener.onRetry(failure, attempts + 1, delay, rangeStart + received);
        }
        ScheduledFuture<?> f = engine.schedule(this::runAttempt, delay.toNanos());
        if (f == null) {
            fail(new DownloadException(Reason.CANCELLED, url, "the manager was closed"));
            return;
        }
        synchronized (lock) {
            pendingRetry = f;
        }
        if (result.isDone()) {
            f.cancel(false);
        }
    }

    private void followRedirect(Attempt a) {
        URI next = a.redirectTo;
        if (next == null) {
            fail(new DownloadException(Reason.PROTOCOL, url, "redirect with an invalid Location"));
            return;
        }
        String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            fail(new DownloadException(Reason.POLICY, url, "redirect to a non-HTTP URL refused: " + scheme + ":"));
            return;
        }
        if (currentUri.getScheme().equalsIgnoreCase("https") && scheme.equals("http")) {
            fail(new DownloadException(Reason.POLICY, url, "redirect from HTTPS to HTTP refused: "
                    + Redaction.redact(next)));
            return;
        }
        if (++redirects > request.maxRedirects()) {
            fail(new DownloadException(Reason.POLICY, url, "too many redirects (more than "
                    + request.maxRedirects() + ")"));
            return;
        }
        if (!origin(next).equals(origin(currentUri)) && !request.keepCredentialsOnRedirect()) {
            headers.keySet().removeIf(name -> !CROSS_ORIGIN_HEADERS.contains(name.toLowerCase(Locale.ROOT)));
            next = withoutUserInfo(next);
        }
        currentUri = next;
        runAttempt();
    }

    private URI resolveRedirect(String location) {
        try {
            return currentUri.resolve(new URI(location.trim()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    private void finish() {
        long size = received;
        if (request.expectedSize() >= 0 && size != request.expectedSize()) {
            fail(new DownloadException(Reason.INTEGRITY, url, "got " + size + " bytes, expected "
                    + request.expectedSize()));
            return;
        }
        String sha = null;
        if (checksum != null) {
            try {
                sha = checksum.finish();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(new DownloadException(Reason.LOCAL_IO, url, "interrupted while verifying the SHA-256", e));
                return;
            }
            if (!sha.equals(request.expectedSha256())) {
                fail(new DownloadException(Reason.INTEGRITY, url, "SHA-256 mismatch: expected "
                        + request.expectedSha256() + ", got " + sha));
                return;
            }
        }
        synchronized (lock) {
            if (result.isDone()) {
                return;
            }
            committing = true;
        }
        byte[] body;
        try {
            body = sink.commit();
        } catch (IOException e) {
            fail(new DownloadException(Reason.LOCAL_IO, url, "cannot complete the file: " + e, e));
            return;
        }
        Destination d = request.destination();
        DownloadResult r = new DownloadResult(request.uri(), withoutUserInfo(currentUri), finalStatus, size, body,
                d instanceof Destination.File f ? f.path() : null, sha, attempts, resumedFrom,
                Duration.ofNanos(config.ticker().nanos() - startNanos));
        cleaned.set(true);
        release();
        progress.complete();
        result.complete(r);
    }

    private void fail(DownloadException e) {
        boolean keep = e.reason() != Reason.INTEGRITY;
        if (cleaned.compareAndSet(false, true)) {
            closeOutputs(keep);
            release();
        }
        result.completeExceptionally(e);
    }

    /** The result was completed from outside: stop whatever runs now. */
    private void abortFromOutside() {
        Attempt a;
        ScheduledFuture<?> retry;
        ScheduledFuture<?> deadline;
        CompletableFuture<Runnable> queued;
        synchronized (lock) {
            if (committing) {
                return;
            }
            a = current;
            retry = pendingRetry;
            deadline = deadlineTask;
            queued = admission;
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (queued != null) {
            queued.cancel(false);
        }
        if (retry != null) {
            retry.cancel(false);
        }
        if (a != null) {
            a.abort(new DownloadException(Reason.CANCELLED, url, "cancelled"));
            // finishAttempt cleans up once the attempt has stopped writing
        } else {
            cleanup();
        }
    }

    private void cleanup() {
        synchronized (lock) {
            if (current != null) {
                return; // the running attempt cleans up when it ends
            }
        }
        if (cleaned.compareAndSet(false, true)) {
            closeOutputs(true);
            release();
        }
    }

    /** Closes the sink (keeping a resumable part when {@code keep}) and stops any hashing. */
    private void closeOutputs(boolean keep) {
        if (sink != null) {
            sink.close(keep);
        }
        if (checksum != null) {
            checksum.close();
        }
    }

    private void release() {
        Runnable p;
        Session s;
        ScheduledFuture<?> deadline;
        synchronized (lock) {
            p = permit;
            permit = null;
            s = session;
            session = null;
            deadline = deadlineTask;
            deadlineTask = null;
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (s != null) {
            engine.sessions().release(s);
        }
        if (p != null) {
            p.run();
        }
        engine.finished(this);
    }

    // ------------------------------------------------------------------ helpers

    private Map<String, String> initialHeaders(DownloadRequest r) {
        Map<String, String> h = new LinkedHashMap<>();
        r.headers().forEach((name, value) -> {
            if (!name.equalsIgnoreCase("Range")) {
                h.put(name, value);
            }
        });
        if (r.headers().keySet().stream().noneMatch("User-Agent"::equalsIgnoreCase)) {
            h.put("User-Agent", config.userAgent());
        }
        if (r.headers().keySet().stream().noneMatch("Accept-Encoding"::equalsIgnoreCase)) {
            h.put("Accept-Encoding", "identity"); // byte offsets must mean bytes of the stored file
        }
        String userInfo = r.uri().getRawUserInfo();
        if (userInfo != null && r.headers().keySet().stream().noneMatch("Authorization"::equalsIgnoreCase)) {
            String decoded = java.net.URLDecoder.decode(userInfo.replace("+", "%2B"), StandardCharsets.UTF_8);
            h.put("Authorization", "Basic " + Base64.getEncoder().encodeToString(decoded.getBytes(StandardCharsets.UTF_8)));
        }
        return h;
    }

    static String origin(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getRawPath() == null ? null
                    : uri.getPath(), uri.getQuery(), uri.getFragment());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ------------------------------------------------------------------ body subscribers

    /** Feeds the body to the attempt one buffer list at a time: the download's only copy loop. */
    private static final class BodyPump implements BodySubscriber<Void> {
        private final Attempt attempt;
        private final CompletableFuture<Void> body = new CompletableFuture<>();
        private Flow.Subscription subscription;

        BodyPump(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public CompletionStage<Void> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            attempt.subscribed(s);
            s.request(1);
        }

        void abort(DownloadException why) {
            body.completeExceptionally(new Failures.Carrier(why));
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (body.isDone() || attempt.aborted != null) {
                return;
            }
            try {
                attempt.deliver(items);
            } catch (Throwable t) {
                subscription.cancel();
                body.completeExceptionally(t instanceof DownloadException de ? new Failures.Carrier(de) : t);
                return;
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            body.complete(null);
        }
    }

    /**
     * Takes no body: the response was refused from its headers. Cancelling the subscription makes
     * the JDK client close the connection instead of leaving the unread body on it.
     */
    private static final class Refuse implements BodySubscriber<Void> {
        private final CompletableFuture<Void> body = new CompletableFuture<>();
        private final DownloadException why;

        Refuse(DownloadException why) {
            this.why = why;
        }

        @Override
        public CompletionStage<Void> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.cancel();
            body.completeExceptionally(new Failures.Carrier(why));
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(new Failures.Carrier(why));
        }

        @Override
        public void onComplete() {
            body.completeExceptionally(new Failures.Carrier(why));
        }
    }

    /** Reads and drops a redirect or error body, up to a limit, so the connection can be reused. */
    private static final class Drain implements BodySubscriber<Void> {
        private final CompletableFuture<Void> body = new CompletableFuture<>();
        private Flow.Subscription subscription;
        private long seen;

        @Override
        public CompletionStage<Void> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                seen += b.remaining();
            }
            if (seen > DRAIN_LIMIT) {
                subscription.cancel(); // not worth reading: the connection is dropped instead
                body.complete(null);
            }
        }

        @Override
        public void onError(Throwable t) {
            body.complete(null); // the status is what matters
        }

        @Override
        public void onComplete() {
            body.complete(null);
        }
    }
}
