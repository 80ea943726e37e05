package dev.haul.internal.segment;

import dev.haul.DownloadException;
import dev.haul.DownloadException.Reason;
import dev.haul.TimeSource;
import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.pipe.Activity;
import dev.haul.internal.pipe.BufferPool;
import dev.haul.internal.pipe.RateGate;
import dev.haul.internal.pipe.StallWatch;
import dev.haul.internal.resume.ContentRange;
import dev.haul.internal.resume.RangeSet;
import dev.haul.internal.resume.Validators;
import dev.haul.internal.retry.Failures;
import dev.haul.internal.retry.RetryAfter;
import dev.haul.internal.retry.RetryRules;
import dev.haul.internal.sink.PositionalSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The body of one download fetched over several connections at once, each a range, every range
 * validated.
 *
 * <h2>Why it cannot corrupt</h2>
 * Every range request carries {@code If-Range} with the representation's strong validator, and a
 * connection's bytes reach the destination only from a {@code 206} whose {@code Content-Range}
 * starts, ends and totals exactly as asked, with the same validator. A {@code 200} (the server
 * ignored the range, or the representation changed so {@code If-Range} failed), a shifted range, a
 * different total or a changed validator never reaches the file: the connection is dropped, and a
 * changed representation ends the body with {@link Result.Changed}, which makes the transfer start
 * over. Bytes land at their offset ({@link PositionalSink}), so no range can be spliced elsewhere.
 *
 * <h2>How the work is shared</h2>
 * The {@link SegmentTable} says who fetches what. The first connection keeps reading the response
 * that proved the body can be split. A connection looking for work takes the first gap, else the
 * second half of the largest segment left (work stealing), so a fast connection that finishes
 * early relieves a slow one, and the end of the download is never held hostage by one slow
 * connection. The {@link ConnectionController} decides how many connections run (fixed, or slow
 * start); a connection refused with 503/429 or a reset at connect lowers the count for good.
 *
 * <h2>Threads</h2>
 * The transfer's thread coordinates: it starts connections, ticks the controller on the download's
 * clock, reports progress (the only user code it runs) and saves the ranges done to the sidecar.
 * Each connection runs on its own transfer thread (virtual on JDK 21+). A connection beyond the
 * first holds an extra connection permit of the host.
 */
public final class SegmentedBody {
    /** How often the coordinator looks at throughput, progress and the sidecar. */
    static final long TICK_NANOS = 250_000_000L;
    /** ... and this often while an adaptive count is still searching (every window counts). */
    static final long SEARCH_TICK_NANOS = 50_000_000L;
    /** The sidecar of a part file is rewritten this often while connections run. */
    static final long SAVE_EVERY_NANOS = 1_000_000_000L;
    /** How long a connection of an in-order download waits at most before looking again. */
    static final long FRONTIER_WAIT_MILLIS = 50;
    /** A connection far slower than the others: below this share of the median rate. */
    static final double SLOW_SHARE = 0.25;
    /** Measurements in a row below {@link #SLOW_SHARE} before a connection is replaced. */
    static final int SLOW_MEASUREMENTS = 2;

    /** What the engine gives the connections. */
    public interface Context {
        TimeSource time();

        Executor threads();

        BufferPool buffers();

        /**
         * A range request {@code [from, toInclusive]} to {@code source}, with cookies and the
         * credentials that source may get, and {@code If-Range} unless {@code ifRange} is null.
         */
        ExchangeRequest request(int source, long from, long toInclusive, String ifRange);

        /** Opens an exchange on the session's transport. */
        Exchange open(ExchangeRequest request);

        /** One more connection to {@code source}'s origin, or null when its cap is reached. */
        Runnable extraConnection(int source);

        /** {@code source}'s server asked every client to wait until {@code untilNanos}. */
        void pauseHost(int source, long untilNanos);

        /**
         * {@code source} answered a redirect to {@code location} (a Location value): true when it
         * is followed, so the next request to that source goes there; false when it is refused.
         */
        boolean redirected(int source, String location);

        /** How many times {@code source}'s URL was refreshed: a request's generation. */
        int generation(int source);

        /**
         * {@code source} answered 401, 403 or 410 to a request of {@code generation}: true when a
         * fresh URL is in place (refreshed now or by another connection), so ask again.
         *
         * @throws DownloadException when the refresh hook failed
         */
        boolean expired(int source, int status, int generation) throws DownloadException;

        /** {@code source} served a response whose bytes are stored. */
        void served(int source);

        /** Reports progress: called on the coordinating thread only; may run user code. */
        void progress(long bytesDone, int connections) throws DownloadException;

        /** Keeps the ranges done for a later run (a part file's sidecar); best effort. */
        void save(RangeSet done);

        String url();

        long stallNanos();

        long responseNanos();
    }

    /** How the body ended. */
    public sealed interface Result {
        /** Every byte is in place. */
        record Completed() implements Result {
        }

        /** The representation changed on the server: start over. */
        record Changed(String why) implements Result {
        }

        /** The attempt failed; {@code done} is what is held now. */
        record Failed(DownloadException failure, RangeSet done,
                boolean progressed) implements Result {
        }
    }

    private final Context ctx;
    private final SegmentTable table;
    private final PositionalSink sink;
    private final Validators validators;
    private final RateGate rateGate;
    private final ConnectionController controller;
    private final long startDone;
    private final dev.haul.RetryPolicy policy;
    private final Sources sources;
    /** The source whose response proved the body: {@link #validators} are its. */
    private final int anchor;
    private final Object monitor = new Object();

    // Guarded by monitor.
    private final List<Worker> workers = new ArrayList<>();
    private final Map<Worker, Exchange> open = new HashMap<>();
    private Result.Changed changed;
    private DownloadException fatal;
    private DownloadException lastFailure;
    private int failures;
    private long failuresAtBytes = -1;
    private long lastFailureNanos;
    private boolean stopped;
    private boolean ticked;

    /**
     * @param total      the body's length (known: that is what made it splittable)
     * @param done       the bytes already held
     * @param sink       where bytes go, at their offsets
     * @param validators the strong validator every range must match
     * @param maxConnections the cap of connections
     * @param adaptive   slow start rather than all at once
     * @param minSplit   the smallest range worth a connection
     * @param policy     the request's retries: failed connections tolerated per connection
     *                   wanted, without progress in between, and the wait before a new one
     * @param sources    the URLs the body may come from; its anchor is the first connection's
     */
    public SegmentedBody(Context ctx, long total, RangeSet done, PositionalSink sink,
            Validators validators, RateGate rateGate, int maxConnections, boolean adaptive,
            long minSplit, dev.haul.RetryPolicy policy, Sources sources) {
        this.ctx = ctx;
        // In-order destinations: claims in pieces of a share of the reorder budget, inside it.
        long window = sink instanceof ReorderBuffer r ? r.budget() : 0;
        this.table = new SegmentTable(total, done, minSplit, window,
                Math.max(minSplit, window / Math.max(1, maxConnections)));
        this.sink = sink;
        this.validators = validators;
        this.rateGate = rateGate;
        this.controller = new ConnectionController(maxConnections, adaptive);
        this.startDone = done.size();
        this.policy = policy;
        this.sources = sources;
        this.anchor = sources.anchor();
    }

    /** The bytes done now. */
    public RangeSet done() {
        return table.done();
    }

    /**
     * Fetches the body: the first connection reads {@code first} (already checked, its body
     * starting at {@code from}) while more connections take ranges of their own. Returns when
     * every byte is in place, the representation changed, or the attempt failed.
     */
    public Result run(Exchange first, Activity firstActivity,
            long from) throws InterruptedException {
        SegmentTable.Segment head = table.claimAt(from);
        start(new Worker(anchor, head, first, firstActivity, null));
        grow(controller.target()); // fixed counts start at once; slow start begins with one
        long lastSave = ctx.time().nanoTime();
        long lastLook = lastSave;
        long lastReport = lastSave - TICK_NANOS;
        controller.begin(lastSave); // the first window opens after a warm-up
        boolean slow = false;
        long reported = -1;
        TimeSource.Cancellable tick = scheduleTick();
        try {
            while (true) {
                synchronized (monitor) {
                    while (!ticked && !stopped && fatal == null && changed == null
                            && !table.finished()
                            && !workers.isEmpty()) {
                        monitor.wait();
                    }
                    ticked = false;
                    if (stopped) {
                        break;
                    }
                }
                if (fatal != null || changed != null || table.finished()) {
                    break;
                }
                long now = ctx.time().nanoTime();
                long doneBytes = table.doneBytes();
                if (now - lastLook >= TICK_NANOS) { // rates are measured over a tick
                    lastLook = now;
                    slow = replaceSlow();
                }
                long setup = 0;
                int flowing = 0;
                synchronized (monitor) {
                    for (Worker w : workers) {
                        if (w.flowing) {
                            flowing++;
                            setup = Math.max(setup, w.setupNanos);
                        }
                    }
                }
                int want = controller.tick(now, doneBytes, flowing, slow, setup);
                retireBeyond(want);
                grow(want);
                if (running() == 0 && !table.finished()) {
                    if (!restartAfterFailure()) {
                        break;
                    }
                }
                if (doneBytes != reported && now - lastReport >= TICK_NANOS) {
                    reported = doneBytes;
                    lastReport = now;
                    try {
                        ctx.progress(doneBytes, running());
                    } catch (DownloadException e) {
                        fail(e);
                        break;
                    }
                }
                if (now - lastSave >= SAVE_EVERY_NANOS) {
                    lastSave = now;
                    ctx.save(table.done());
                }
                tick.cancel();
                tick = scheduleTick();
            }
        } finally {
            tick.cancel();
            stopAll(null);
            awaitWorkers();
            ctx.save(table.done());
        }
        if (table.finished()) {
            return new Result.Completed();
        }
        if (changed != null) {
            return changed;
        }
        DownloadException why = fatal != null ? fatal : lastFailure != null ? lastFailure
                : new DownloadException(Reason.NETWORK, ctx.url(), "stopped");
        return new Result.Failed(why, table.done(), table.doneBytes() > startDone);
    }

    /** Stops every connection now (a cancel, a closing manager, a deadline). */
    public void abort(Throwable why) {
        stopAll(why);
    }

    // ------------------------------------------------------------------ coordination

    private TimeSource.Cancellable scheduleTick() {
        return ctx.time().schedule(() -> {
            synchronized (monitor) {
                ticked = true;
                monitor.notifyAll();
            }
        }, controller.searching() ? SEARCH_TICK_NANOS : TICK_NANOS);
    }

    private int running() {
        synchronized (monitor) {
            return workers.size();
        }
    }

    /**
     * Starts connections until {@code want} run, the table has no work, or every source that may
     * serve is full.
     */
    private void grow(int want) {
        while (running() < want) {
            if (!startOne()) {
                return;
            }
        }
    }

    /**
     * Starts one connection to the best source that has room; false when none has or no work is
     * left.
     */
    private boolean startOne() {
        for (int source : sources.forConnections(ctx.time().nanoTime(), validators.etag())) {
            Runnable permit = ctx.extraConnection(source);
            if (permit == null) {
                continue;
            }
            SegmentTable.Segment s = table.claim();
            if (s == null) {
                permit.run();
                return false;
            }
            start(new Worker(source, s, null, null, permit));
            return true;
        }
        return false;
    }

    /**
     * Fewer connections are wanted (a step that did not pay): the newest ones give their ranges
     * away and go, so that a later probe opens fresh connections instead of keeping the ones
     * that did not help.
     */
    private void retireBeyond(int want) {
        List<Worker> excess;
        synchronized (monitor) {
            List<Worker> live = new ArrayList<>();
            for (Worker w : workers) {
                if (!w.retire) {
                    live.add(w);
                }
            }
            if (live.size() <= want) {
                return;
            }
            excess = new ArrayList<>(live.subList(want, live.size()));
        }
        for (Worker w : excess) {
            w.retire = true;
            SegmentTable.Segment s = w.segment;
            if (s != null) {
                table.shorten(s, 64 * 1024);
            }
        }
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /**
     * A connection far slower than the median of the others gives the rest of its range away
     * (it keeps a short stretch), so that faster connections take it, and is then replaced by a
     * new connection (a slow flow on a shaped or bad path rarely gets faster; a new one usually
     * is not slow). Returns whether one is that slow: the connection count is then not to blame
     * for what a step brought.
     */
    private boolean replaceSlow() {
        List<Worker> ws;
        synchronized (monitor) {
            if (workers.size() < 2) {
                return false;
            }
            ws = List.copyOf(workers);
        }
        boolean slow = false;
        double[] rates = new double[ws.size()];
        for (int i = 0; i < ws.size(); i++) {
            rates[i] = ws.get(i).rate();
        }
        double[] sorted = rates.clone();
        java.util.Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        for (int i = 0; i < ws.size(); i++) {
            Worker w = ws.get(i);
            boolean below = median > 0 && rates[i] >= 0 && rates[i] < median * SLOW_SHARE;
            long seq = w.ratedAt;
            if (!below) {
                w.slowMeasurements = 0;
            } else if (seq != w.lastJudged) {
                w.slowMeasurements++; // a new measurement, below the line again
            }
            w.lastJudged = seq;
            if (below) {
                slow = true;
            }
            // Acted on only after two measurements in a row: one can be noise (a loaded
            // machine, a shaper's burst), and replacing a connection costs a new one.
            if (below && w.slowMeasurements >= SLOW_MEASUREMENTS && w.segment != null) {
                // Keep what it fetches in one tick at its own rate; the rest goes to others.
                long keep = Math.max(64 * 1024, (long) (rates[i] * TICK_NANOS / 1e9));
                w.retire = true; // after what it keeps, a new connection takes over
                if (table.shorten(w.segment, keep)) {
                    synchronized (monitor) {
                        monitor.notifyAll();
                    }
                }
            }
        }
        return slow;
    }

    /** No connection runs and bytes are missing: start one, unless failures ended the attempt. */
    private boolean restartAfterFailure() {
        synchronized (monitor) {
            if (lastFailure != null && exhausted()) {
                return false;
            }
            if (lastFailure != null && failures > 0) {
                // Back off before the next connection, as the retry policy would between attempts.
                long wait = policy.initialBackoff().toNanos() << Math.min(failures - 1, 20);
                wait = Math.min(wait, policy.maxBackoff().toNanos());
                if (ctx.time().nanoTime() - lastFailureNanos < wait) {
                    return true; // the next tick looks again
                }
            }
        }
        if (!startOne() && !table.finished()) {
            // every source is full or resting: the first connection goes to the anchor anyway
            SegmentTable.Segment s = table.claim();
            if (s != null) {
                start(new Worker(anchor, s, null, null, null));
            }
        }
        return true;
    }

    private void start(Worker w) {
        synchronized (monitor) {
            workers.add(w);
        }
        try {
            ctx.threads().execute(w);
        } catch (RuntimeException e) {
            synchronized (monitor) {
                workers.remove(w);
            }
            w.release();
            fail(new DownloadException(Reason.LOCAL_IO, ctx.url(), "cannot start a connection: "
                    + e, e));
        }
    }

    private void stopAll(Throwable why) {
        List<Exchange> exchanges;
        synchronized (monitor) {
            stopped = true;
            exchanges = new ArrayList<>(open.values());
            monitor.notifyAll();
        }
        if (sink instanceof ReorderBuffer r) {
            r.close();
        }
        for (Exchange e : exchanges) {
            e.abort(why != null ? why : new IOException("the body is complete or abandoned"));
        }
    }

    private void awaitWorkers() throws InterruptedException {
        synchronized (monitor) {
            while (!workers.isEmpty()) {
                monitor.wait();
            }
        }
    }

    private void fail(DownloadException e) {
        synchronized (monitor) {
            if (fatal == null) {
                fatal = e;
            }
            monitor.notifyAll();
        }
    }

    private void changed(String why) {
        synchronized (monitor) {
            if (changed == null) {
                changed = new Result.Changed(why);
            }
            monitor.notifyAll();
        }
    }

    /** A connection failed in a way another try may heal; counts against the budget. */
    private void failed(DownloadException e) {
        failed(e, false);
    }

    /**
     * A connection failed. A refusal of an extra connection (503, 429, a reset on connect) only
     * lowers the count while another connection runs; the last connection's failure counts
     * against the budget, which progress renews.
     */
    private void failed(DownloadException e, boolean refusal) {
        synchronized (monitor) {
            lastFailure = e;
            if (refusal && workers.size() > 1) {
                monitor.notifyAll();
                return;
            }
            long done = table.doneBytes();
            if (done != failuresAtBytes) {
                failuresAtBytes = done; // progress since the last failure renews the budget
                failures = 0;
            }
            failures++;
            lastFailureNanos = ctx.time().nanoTime();
            if (exhausted() && fatal == null) {
                fatal = e; // out of retries: the attempt fails, and the transfer decides what next
            }
            monitor.notifyAll();
        }
    }

    /** Whether failures without progress used up the budget. Guarded by monitor. */
    private boolean exhausted() {
        return failures > policy.maxRetries() * Math.max(1, controller.target());
    }

    // ------------------------------------------------------------------ one connection

    /**
     * Why a connection stopped: the kinds the coordinator acts on differently. AGAIN: ask for the
     * same range again at once (a redirect followed, a URL refreshed).
     */
    private enum Stop { DONE, REFUSED, FAILED, AGAIN }

    /** One connection: fetches ranges until there are none, it fails, or it is stopped. */
    private final class Worker implements Runnable {
        private final int source;
        private SegmentTable.Segment segment;
        private Exchange exchange;
        private Activity activity;
        private final Runnable permit;
        /** Bytes and time of the current measurement: time while a response flows only. */
        private long rateBytes;
        private long rateNanos;
        private long lastRead = -1;
        private volatile double rate = -1;
        /**
         * Found far slower than the others: it finishes the short stretch it kept, then its
         * connection is closed (not pooled: a slow flow stays slow) and a new one takes over.
         */
        volatile boolean retire;
        /** When {@link #rate} was last measured. */
        volatile long ratedAt;
        /** Coordinator only: consecutive measurements below the slow line, the last judged. */
        int slowMeasurements;
        long lastJudged = Long.MIN_VALUE;
        /** Whether a response of this connection was accepted (its bytes flow). */
        volatile boolean flowing;
        /** How long the first request took to its accepted response head. */
        volatile long setupNanos;

        Worker(int source, SegmentTable.Segment segment, Exchange exchange, Activity activity,
                Runnable permit) {
            this.source = source;
            sources.connected(source); // counted at once, so the next start sees it
            this.segment = segment;
            this.exchange = exchange;
            this.activity = activity;
            this.permit = permit;
            this.flowing = exchange != null; // the opening response, already accepted
        }

        /** Bytes per second over the last tick, or -1 before a measurement. */
        double rate() {
            return rate;
        }

        @Override
        public void run() {
            try {
                while (!isStopped()) {
                    if (segment == null) {
                        if (running() > controller.target()) {
                            return; // fewer connections are wanted now
                        }
                        if (source != anchor && (!sources.mayJoin(source, validators.etag())
                                || !sources.alive(source, ctx.time().nanoTime()))) {
                            return; // the source failed its proof or rests: another takes over
                        }
                        segment = table.claim();
                        if (segment == null) {
                            if (table.waitsForFrontier()) {
                                try {
                                    table.awaitFrontier(FRONTIER_WAIT_MILLIS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                    return;
                                }
                                continue; // work inside the window again, or stopped
                            }
                            return;
                        }
                    }
                    Stop why = fetch();
                    if (retire) {
                        return; // replaced: the coordinator starts a new connection
                    }
                    if (why == Stop.AGAIN) {
                        continue;
                    }
                    if (why == Stop.REFUSED) {
                        return;
                    }
                    if (why == Stop.FAILED) {
                        return; // the coordinator starts another when it is worth it
                    }
                }
            } finally {
                release();
                synchronized (monitor) {
                    workers.remove(this);
                    monitor.notifyAll();
                }
            }
        }

        /** Gives back the segment, the source's count and the permit; once per worker. */
        void release() {
            sources.disconnected(source);
            if (segment != null) {
                table.release(segment);
                segment = null;
            }
            if (permit != null) {
                permit.run();
            }
        }

        /** Fetches the current segment; returns why it stopped. */
        private Stop fetch() {
            SegmentTable.Segment s = segment;
            Exchange ex = exchange;
            Activity watch = activity;
            exchange = null;
            activity = null;
            StallWatch own = null;
            try {
                if (ex == null) {
                    long end = table.end(s);
                    if (s.pos >= end) {
                        finishSegment();
                        return Stop.DONE;
                    }
                    int generation = ctx.generation(source);
                    long asked = ctx.time().nanoTime();
                    ex = ctx.open(ctx.request(source, s.pos, end - 1, ifRange()));
                    own = new StallWatch(ctx.time(), ex, ctx.stallNanos(), ctx.url());
                    watch = own;
                    if (!register(ex)) {
                        return Stop.FAILED;
                    }
                    own.awaitHead(ctx.responseNanos(), ctx.responseNanos() / 1_000_000 + " ms");
                    ResponseHead head = ex.send();
                    own.headArrived();
                    Stop refused = source == anchor ? check(head, s.pos, end, generation)
                            : checkMirror(head, s.pos, end, generation);
                    if (refused != null) {
                        // Dropped, not pooled: a server that refused a connection must see one
                        // fewer.
                        ex.abort(new IOException("refused range"));
                        return refused;
                    }
                    if (!flowing) {
                        setupNanos = ctx.time().nanoTime() - asked;
                        flowing = true;
                    }
                } else if (!register(ex)) {
                    return Stop.FAILED;
                }
                copy(ex, s, watch);
                finishSegment();
                return Stop.DONE;
            } catch (IOException e) {
                if (isStopped()) {
                    return Stop.FAILED;
                }
                DownloadException fired = own == null ? null : own.fired();
                DownloadException f = fired != null ? fired : Failures.classify(e, ctx.url());
                if (e instanceof DownloadException de && !de.retryable()) {
                    fail(de); // the sink or a callback: no other connection can heal it
                    return Stop.FAILED;
                }
                if (source != anchor) {
                    // a mirror that fails rests; the others, and the anchor, go on
                    sources.down(source, ctx.time().nanoTime());
                    failed(f, true);
                    return Stop.REFUSED;
                }
                if (s.pos == s.start && running() > 1
                        && (f.reason() == Reason.CONNECT || f.reason() == Reason.NETWORK)) {
                    // reset or refused before a byte: fewer connections, not a failure
                    controller.refused(running());
                    failed(f, true);
                    return Stop.REFUSED;
                }
                failed(f);
                return Stop.FAILED;
            } finally {
                if (own != null) {
                    own.stop();
                }
                if (ex != null) {
                    unregister(ex);
                    if (retire) {
                        ex.abort(new IOException("replaced: far slower than the others"));
                    }
                    ex.close();
                }
            }
        }

        private void finishSegment() {
            table.release(segment);
            segment = null;
        }

        /**
         * Checks a range response; null when its bytes may be stored, else why the connection
         * stops (after telling the coordinator).
         */
        private Stop check(ResponseHead head, long from, long end, int generation)
                throws DownloadException {
            int status = head.status();
            Validators offered = Validators.of(head.header("ETag"), head.header("Last-Modified"),
                    -1);
            Stop moved = movedOrExpired(head, generation);
            if (moved != null) {
                return moved;
            }
            if (status == 206) {
                ContentRange cr = ContentRange.parse(head.header("Content-Range"));
                if (cr == null || cr.unsatisfied()) {
                    failed(protocol("206 without a valid Content-Range"));
                    return Stop.FAILED;
                }
                if (cr.total() != table.total() || differs(offered)) {
                    changed("the representation changed: Content-Range total " + cr.total()
                            + ", expected " + table.total());
                    return Stop.FAILED;
                }
                if (cr.first() != from || cr.last() != end - 1) {
                    failed(protocol("asked for bytes " + from + "-" + (end - 1) + ", got "
                            + cr.first() + "-" + cr.last()));
                    return Stop.FAILED;
                }
                if (head.contentLength() >= 0 && head.contentLength() != cr.length()) {
                    failed(protocol("Content-Length disagrees with Content-Range"));
                    return Stop.FAILED;
                }
                ctx.served(source);
                return null;
            }
            if (status == 200) {
                boolean unvouched = offered.etag() == null && offered.lastModified() == null;
                if (differs(offered) || unvouched) {
                    changed("the server sent the whole body to a range request: the representation"
                            + " changed or ranges are no longer served");
                    return Stop.FAILED;
                }
                controller.refused(running()); // ranges refused on this connection: fewer
                failed(protocol("200 to a range request"), true);
                return Stop.REFUSED;
            }
            if (status == 416) {
                changed("416 to a range inside the known length: the representation changed");
                return Stop.FAILED;
            }
            if (status == 429 || status == 503) {
                java.time.Duration wait = RetryAfter.parse(head.header("Retry-After"),
                        ctx.time().currentTimeMillis());
                if (wait != null) {
                    ctx.pauseHost(source, ctx.time().nanoTime() + wait.toNanos());
                }
                controller.refused(running());
                failed(new DownloadException(Reason.HTTP_TRANSIENT, ctx.url(), status, "HTTP "
                        + status
                        + " to an extra connection", null), true);
                return Stop.REFUSED;
            }
            DownloadException e = new DownloadException(RetryRules.transientStatus(status)
                    ? Reason.HTTP_TRANSIENT : Reason.HTTP_STATUS, ctx.url(), status, "HTTP "
                    + status, null);
            if (e.retryable()) {
                failed(e);
            } else {
                fail(e);
            }
            return Stop.FAILED;
        }

        /**
         * A redirect to follow or a URL to refresh: AGAIN when the range should be asked again at
         * once, null when the response is for the caller to judge.
         */
        private Stop movedOrExpired(ResponseHead head, int generation) throws DownloadException {
            int status = head.status();
            if ((status == 301 || status == 302 || status == 303 || status == 307
                    || status == 308) && head.header("Location") != null) {
                return ctx.redirected(source, head.header("Location")) ? Stop.AGAIN : null;
            }
            if ((status == 401 || status == 403 || status == 410)
                    && ctx.expired(source, status, generation)) {
                return Stop.AGAIN;
            }
            return null;
        }

        /** The If-Range of a request to this connection's source, or null for none. */
        private String ifRange() {
            if (source == anchor) {
                return validators.ifRange();
            }
            Sources.Proof p = sources.proof(source);
            if (p == Sources.Proof.SAME_ETAG) {
                return validators.etag();
            }
            if (p == Sources.Proof.SAME_TOTAL) {
                return sources.validators(source).ifRange(); // its own: has it changed since?
            }
            // not proven yet: with a SHA-256 to decide, learn what it serves; else it must prove
            // the anchor's ETag
            return sources.shaGiven() ? null : validators.etag();
        }

        /**
         * Checks a mirror's range response: its bytes are stored only when it proves (or proved)
         * it serves the anchor's bytes, and the range is exact. A mirror that cannot is kept to
         * failover, and one that fails rests; neither counts against the download's budget.
         */
        private Stop checkMirror(ResponseHead head, long from, long end, int generation)
                throws DownloadException {
            int status = head.status();
            Stop moved = movedOrExpired(head, generation);
            if (moved != null) {
                return moved;
            }
            long now = ctx.time().nanoTime();
            Validators offered = Validators.of(head.header("ETag"), head.header("Last-Modified"),
                    -1);
            if (status == 206) {
                ContentRange cr = ContentRange.parse(head.header("Content-Range"));
                if (cr == null || cr.unsatisfied() || cr.first() != from || cr.last() != end - 1
                        || (head.contentLength() >= 0 && head.contentLength() != cr.length())) {
                    sources.down(source, now);
                    return mirrorRefused(protocol("a mirror sent a range other than asked"));
                }
                if (cr.total() != table.total()) {
                    return different("a mirror's total is " + cr.total() + ", not "
                            + table.total());
                }
                Sources.Proof p = sources.proof(source);
                String etag = validators.etag();
                if (p == Sources.Proof.UNKNOWN || p == Sources.Proof.SAME_ETAG) {
                    if (etag != null && etag.equals(offered.etag())) {
                        sources.proven(source, Sources.Proof.SAME_ETAG, offered);
                    } else if (p == Sources.Proof.UNKNOWN && sources.shaGiven()) {
                        sources.proven(source, Sources.Proof.SAME_TOTAL, offered);
                    } else {
                        return different("a mirror's ETag differs");
                    }
                } else if (p == Sources.Proof.SAME_TOTAL) {
                    Validators known = sources.validators(source);
                    if (known.etag() != null ? !known.etag().equals(offered.etag())
                            : known.lastModified() != null
                            && !known.lastModified().equals(offered.lastModified())) {
                        return different("a mirror's file changed");
                    }
                } else {
                    return different("a mirror serves other bytes");
                }
                if (sources.proof(source) == Sources.Proof.SAME_TOTAL) {
                    sources.joinedUnvalidated(); // the SHA-256 of the whole body decides
                }
                sources.up(source);
                ctx.served(source);
                return null;
            }
            if (status == 200 || status == 416) {
                return different("a mirror answered " + status + " to a range request");
            }
            if (status == 429 || status == 503) {
                java.time.Duration wait = RetryAfter.parse(head.header("Retry-After"),
                        ctx.time().currentTimeMillis());
                if (wait != null) {
                    ctx.pauseHost(source, now + wait.toNanos());
                }
            }
            sources.down(source, now);
            return mirrorRefused(new DownloadException(RetryRules.transientStatus(status)
                    ? Reason.HTTP_TRANSIENT : Reason.HTTP_STATUS, ctx.url(), status,
                    "HTTP " + status + " from a mirror", null));
        }

        /** The mirror is kept to failover: it serves other bytes, or no ranges. */
        private Stop different(String why) {
            sources.proven(source, Sources.Proof.DIFFERENT, null);
            return mirrorRefused(protocol(why));
        }

        private Stop mirrorRefused(DownloadException e) {
            failed(e, true);
            return Stop.REFUSED;
        }

        /** Whether a response's validator contradicts the one the download stands on. */
        private boolean differs(Validators offered) {
            if (validators.etag() != null && offered.etag() != null) {
                return !validators.etag().equals(offered.etag());
            }
            if (validators.etag() == null && validators.lastModified() != null
                    && offered.lastModified() != null) {
                return !validators.lastModified().equals(offered.lastModified());
            }
            return false;
        }

        private DownloadException protocol(String message) {
            return new DownloadException(Reason.PROTOCOL, ctx.url(), message);
        }

        /** Copies the body into the sink at its offsets, stopping at the segment's (moving) end. */
        private void copy(Exchange ex, SegmentTable.Segment s, Activity watch) throws IOException {
            lastRead = ctx.time().nanoTime(); // waits between pieces are not slowness
            ByteBuffer buffer = ctx.buffers().take();
            try {
                while (!isStopped()) {
                    long end = table.end(s);
                    if (s.pos >= end) {
                        return; // done, or the rest was taken by another connection
                    }
                    buffer.clear();
                    if (end - s.pos < buffer.capacity()) {
                        buffer.limit((int) (end - s.pos));
                    }
                    int n = read(ex, buffer, watch);
                    if (n < 0) {
                        if (s.pos < table.end(s)) {
                            throw new java.io.EOFException("range ended at " + s.pos + " of "
                                    + end);
                        }
                        return;
                    }
                    buffer.flip();
                    watch.targetBusy(true);
                    try {
                        sink.writeAt(s.pos, buffer);
                    } finally {
                        watch.targetBusy(false);
                        watch.arrived();
                    }
                    table.wrote(s, n);
                    measure(n);
                }
            } finally {
                ctx.buffers().give(buffer);
            }
        }

        private int read(Exchange ex, ByteBuffer dst, Activity watch) throws IOException {
            int limit = dst.limit();
            int max = rateGate.maxRead(dst.remaining());
            dst.limit(dst.position() + max);
            int n;
            try {
                n = ex.read(dst);
            } finally {
                dst.limit(limit);
            }
            if (n > 0) {
                watch.arrived();
                rateGate.pay(n, watch);
            }
            return n;
        }

        private void measure(int n) {
            long now = ctx.time().nanoTime();
            rateNanos += now - lastRead;
            lastRead = now;
            rateBytes += n;
            if (rateNanos >= TICK_NANOS) {
                rate = rateBytes * 1e9 / rateNanos;
                ratedAt = now;
                sources.measured(source, rate);
                rateNanos = 0;
                rateBytes = 0;
            }
        }

        private boolean register(Exchange ex) {
            synchronized (monitor) {
                if (stopped) {
                    ex.abort(new IOException("stopped"));
                    return false;
                }
                open.put(this, ex);
                return true;
            }
        }

        private void unregister(Exchange ex) {
            synchronized (monitor) {
                open.remove(this, ex);
            }
        }
    }

    private boolean isStopped() {
        synchronized (monitor) {
            return stopped || fatal != null || changed != null;
        }
    }
}
