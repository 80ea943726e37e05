package dev.haul.internal.transfer;

import dev.haul.DownloadException;
import dev.haul.Progress.TotalSource;
import dev.haul.TimeSource;
import dev.haul.internal.pipe.Activity;

/**
 * Counts the bytes of one download, keeps its speed, and raises the progress events. Written only
 * by the thread delivering the body; read by anyone through {@link #snapshot()}.
 */
final class ProgressTracker {
    /** The seed's guess for a body of unknown size. */
    static final long GUESS_BYTES = 100 * 1024;
    private static final long LISTENER_INTERVAL_NANOS = 100_000_000L;
    private static final long SPEED_SAMPLE_NANOS = 250_000_000L;

    private final TimeSource time;
    private final TransferEvents events;
    private final boolean wantsPercent;
    private final long hint;

    private volatile long done;
    private volatile long total = -1;
    private volatile TotalSource source = TotalSource.UNKNOWN;
    private volatile double bytesPerSecond;
    private volatile int attempt = 1;
    private volatile int connections;

    private long lastSampleNanos;
    private long lastSampleBytes;
    private long lastEventNanos;
    private int lastPercent = -1;

    ProgressTracker(TimeSource time, TransferEvents events, boolean wantsPercent, long hint) {
        this.time = time;
        this.events = events;
        this.wantsPercent = wantsPercent;
        this.hint = hint;
        if (hint >= 0) {
            total = hint;
            source = TotalSource.CALLER;
        }
        lastSampleNanos = time.nanoTime();
        lastEventNanos = lastSampleNanos - LISTENER_INTERVAL_NANOS;
    }

    TransferEvents.Snapshot snapshot() {
        return new TransferEvents.Snapshot(done, total, source, bytesPerSecond, attempt,
                connections);
    }

    void attempt(int n) {
        attempt = n;
    }

    void connections(int n) {
        connections = n;
    }

    /** The server told us the total; the caller's hint, if any, still wins. */
    void total(long bytes, TotalSource from) {
        if (hint < 0) {
            total = bytes;
            source = bytes < 0 ? TotalSource.UNKNOWN : from;
        }
    }

    /** Bytes already held before any arrive (a resumed part). */
    void start(long bytes) {
        done = bytes;
        lastSampleBytes = bytes;
    }

    void reset() {
        done = 0;
        lastSampleBytes = 0;
    }

    void advance(int bytes) throws DownloadException {
        advance(bytes, null);
    }

    /**
     * Counts {@code bytes} that the target took. The events (user code) run while {@code watch},
     * if any, counts the target busy, so a slow listener is not a stalled network; the new count
     * is published last, once the watch has seen the bytes land: whoever reads it knows the copy
     * loop has moved on to its next read (a test on a fake clock relies on that order). So a
     * listener that asks the download for its progress while in its callback may read the count
     * before this chunk; the snapshot it is handed has it.
     */
    void advance(int bytes, Activity watch) throws DownloadException {
        long now = time.nanoTime();
        long d = done + bytes;
        long dt = now - lastSampleNanos;
        if (dt >= SPEED_SAMPLE_NANOS) {
            double instant = (d - lastSampleBytes) * 1e9 / dt;
            double old = bytesPerSecond;
            bytesPerSecond = old == 0 ? instant : old * 0.7 + instant * 0.3;
            lastSampleNanos = now;
            lastSampleBytes = d;
        }
        boolean event = now - lastEventNanos >= LISTENER_INTERVAL_NANOS;
        int pct = -1;
        if (wantsPercent) {
            long t = total >= 0 ? total : GUESS_BYTES;
            pct = t == 0 ? 99 : (int) Math.min(99, d * 100 / t); // 100 only on success
        }
        if (event || pct > lastPercent) {
            if (watch != null) {
                watch.targetBusy(true);
            }
            try {
                if (event) {
                    lastEventNanos = now;
                    events.progress(new TransferEvents.Snapshot(d, total, source, bytesPerSecond,
                            attempt, connections));
                }
                reportPercent(pct);
            } finally {
                if (watch != null) {
                    watch.targetBusy(false);
                    watch.arrived();
                }
            }
        }
        done = d;
    }

    /** The body is complete and verified: the final progress event, before the commit. */
    void complete() throws DownloadException {
        events.progress(snapshot());
    }

    /** The download succeeded: 100 %, exactly once. */
    void succeeded() throws DownloadException {
        if (wantsPercent) {
            reportPercent(100);
        }
    }

    private void reportPercent(int pct) throws DownloadException {
        if (pct > lastPercent) {
            lastPercent = pct;
            events.percent(pct);
        }
    }
}
