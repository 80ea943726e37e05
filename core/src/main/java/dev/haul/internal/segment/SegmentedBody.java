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
    /** The sidecar of a part file is rewritten this often while connections run. */
    static final long SAVE_EVERY_NANOS = 1_000_000_000L;
    /** A connection far slower than the others: below this share of the median rate. */
    static final double SLOW_SHARE = 0.25;

    /** What the engine gives the connections. */
    public interface Context {
        TimeSource time();

        Executor threads();

        BufferPool buffers();

        /** A range request {@code [from, toInclusive]} with If-Range, cookies and credentials. */
        ExchangeRequest request(long from, long toInclusive, boolean freshConnection);

        /** Opens an exchange on the session's transport. */
        Exchange open(ExchangeRequest request);

        /** One more connection to the origin, or null when the host's cap is reached. */
        Runnable extraConnection();

        /** A server asked every client to wait until {@code untilNanos} (Retry-After). */
        void pauseHost(long untilNanos);

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
     */
    public SegmentedBody(Context ctx, long total, RangeSet done, PositionalSink sink,
            Validators validators,
                         RateGate rateGate, int maxConnections, boolean adaptive, long minSplit,
                         dev.haul.RetryPolicy policy) {
        this.ctx = ctx;
        this.table = new SegmentTable(total, done, minSplit);
        this.sink = sink;
        this.validators = validators;
        this.rateGate = rateGate;
        this.controller = new ConnectionController(maxConnections, adaptive);
        this.startDone = done.size();
        this.policy = policy;
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
        start(new Worker(head, first, firstActivity, null));
        grow(controller.target()); // fixed counts start at once; slow start begins with one
        long lastSave = ctx.time().nanoTime();
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
                int running = running();
                int want = controller.tick(now, doneBytes, running);
                grow(want);
                replaceSlow();
                if (running() == 0 && !table.finished()) {
                    if (!restartAfterFailure()) {
                        break;
                    }
                }
                if (doneBytes != reported) {
                    reported = doneBytes;
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
        }, TICK_NANOS);
    }

    private int running() {
        synchronized (monitor) {
            return workers.size();
        }
    }

    /** Starts connections until {@code want} run, the table has no work, or the host is full. */
    private void grow(int want) {
        while (running() < want) {
            Runnable permit = ctx.extraConnection();
            if (permit == null) {
                return;
            }
            SegmentTable.Segment s = table.claim();
            if (s == null) {
                permit.run();
                return;
            }
            start(new Worker(s, null, null, permit));
        }
    }

    /**
     * A connection far slower than the median of the others gives the rest of its range away
     * (it keeps a short stretch), so that faster connections take it.
     */
    private void replaceSlow() {
        List<Worker> ws;
        synchronized (monitor) {
            if (workers.size() < 2) {
                return;
            }
            ws = List.copyOf(workers);
        }
        double[] rates = new double[ws.size()];
        for (int i = 0; i < ws.size(); i++) {
            rates[i] = ws.get(i).rate();
        }
        double[] sorted = rates.clone();
        java.util.Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        for (int i = 0; i < ws.size(); i++) {
            Worker w = ws.get(i);
            if (median > 0 && rates[i] >= 0 && rates[i] < median * SLOW_SHARE
                    && w.segment != null) {
                // Keep what it fetches in one tick at its own rate; the rest goes to others.
                long keep = Math.max(64 * 1024, (long) (rates[i] * TICK_NANOS / 1e9));
                if (table.shorten(w.segment, keep)) {
                    synchronized (monitor) {
                        monitor.notifyAll();
                    }
                }
            }
        }
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
        Runnable permit = ctx.extraConnection();
        SegmentTable.Segment s = table.claim();
        if (s == null) {
            if (permit != null) {
                permit.run();
            }
            return true;
        }
        start(new Worker(s, null, null, permit));
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

    /** Why a connection stopped: the kinds the coordinator acts on differently. */
    private enum Stop { DONE, REFUSED, FAILED }

    /** One connection: fetches ranges until there are none, it fails, or it is stopped. */
    private final class Worker implements Runnable {
        private SegmentTable.Segment segment;
        private Exchange exchange;
        private Activity activity;
        private final Runnable permit;
        private long rateBytes;
        private long rateSince = -1;
        private volatile double rate = -1;

        Worker(SegmentTable.Segment segment, Exchange exchange, Activity activity,
                Runnable permit) {
            this.segment = segment;
            this.exchange = exchange;
            this.activity = activity;
            this.permit = permit;
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
                        segment = table.claim();
                        if (segment == null) {
                            return;
                        }
                    }
                    Stop why = fetch();
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

        void release() {
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
                    ex = ctx.open(ctx.request(s.pos, end - 1, false));
                    own = new StallWatch(ctx.time(), ex, ctx.stallNanos(), ctx.url());
                    watch = own;
                    if (!register(ex)) {
                        return Stop.FAILED;
                    }
                    own.awaitHead(ctx.responseNanos(), ctx.responseNanos() / 1_000_000 + " ms");
                    ResponseHead head = ex.send();
                    own.headArrived();
                    Stop refused = check(head, s.pos, end);
                    if (refused != null) {
                        // Dropped, not pooled: a server that refused a connection must see one
                        // fewer.
                        ex.abort(new IOException("refused range"));
                        return refused;
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
        private Stop check(ResponseHead head, long from, long end) {
            int status = head.status();
            Validators offered = Validators.of(head.header("ETag"), head.header("Last-Modified"),
                    -1);
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
                    ctx.pauseHost(ctx.time().nanoTime() + wait.toNanos());
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
            if (rateSince < 0) {
                rateSince = now;
            }
            rateBytes += n;
            long dt = now - rateSince;
            if (dt >= TICK_NANOS) {
                rate = rateBytes * 1e9 / dt;
                rateSince = now;
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
