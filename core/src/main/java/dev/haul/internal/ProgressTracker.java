package dev.haul.internal;

import dev.haul.DownloadListener;
import dev.haul.Progress;
import dev.haul.Progress.TotalSource;
import dev.haul.ProgressCallback;

/**
 * Counts the bytes of one download, keeps its speed, and tells the listener and the percent
 * callback. Written only by the thread delivering the body; read by anyone through
 * {@link #snapshot()}.
 */
final class ProgressTracker {
    /** The seed's guess for a body of unknown size. */
    static final long GUESS_BYTES = 100 * 1024;
    private static final long LISTENER_INTERVAL_NANOS = 100_000_000L;
    private static final long SPEED_SAMPLE_NANOS = 250_000_000L;

    private final Ticker ticker;
    private final DownloadListener listener;
    private final ProgressCallback percentCallback;
    private final long hint;

    private volatile long done;
    private volatile long total = -1;
    private volatile TotalSource source = TotalSource.UNKNOWN;
    private volatile double bytesPerSecond;
    private volatile int attempt = 1;

    private long lastSampleNanos;
    private long lastSampleBytes;
    private long lastListenerNanos;
    private int lastPercent = -1;

    ProgressTracker(Ticker ticker, DownloadListener listener, ProgressCallback percentCallback, long hint) {
        this.ticker = ticker;
        this.listener = listener;
        this.percentCallback = percentCallback;
        this.hint = hint;
        if (hint >= 0) {
            total = hint;
            source = TotalSource.CALLER;
        }
        lastSampleNanos = ticker.nanos();
    }

    Progress snapshot() {
        return new Progress(done, total, source, bytesPerSecond, attempt);
    }

    void attempt(int n) {
        attempt = n;
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

    void advance(int bytes) {
        long now = ticker.nanos();
        long d = done + bytes;
        done = d;
        long dt = now - lastSampleNanos;
        if (dt >= SPEED_SAMPLE_NANOS) {
            double instant = (d - lastSampleBytes) * 1e9 / dt;
            double old = bytesPerSecond;
            bytesPerSecond = old == 0 ? instant : old * 0.7 + instant * 0.3;
            lastSampleNanos = now;
            lastSampleBytes = d;
        }
        if (listener != null && now - lastListenerNanos >= LISTENER_INTERVAL_NANOS) {
            lastListenerNanos = now;
            listener.onProgress(snapshot());
        }
        if (percentCallback != null) {
            long t = total >= 0 ? total : GUESS_BYTES;
            int pct = t == 0 ? 99 : (int) Math.min(99, d * 100 / t); // 100 only on success
            reportPercent(pct);
        }
    }

    /** The download succeeded: the final event, and 100 % exactly once. */
    void complete() {
        if (listener != null) {
            listener.onProgress(snapshot());
        }
        if (percentCallback != null) {
            reportPercent(100);
        }
    }

    private void reportPercent(int pct) {
        if (pct > lastPercent) {
            lastPercent = pct;
            percentCallback.onProgress(pct);
        }
    }
}
