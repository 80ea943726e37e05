package dev.haul;

import dev.haul.DownloadException.Reason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A {@link DownloadListener} that records every {@code onRetry}, for counting attempts. */
final class RetryLog implements DownloadListener {
    /** One {@code onRetry} call. */
    record Retry(Reason reason, int statusCode, int nextAttempt, Duration delay, long resumeFrom, long atNanos) {
    }

    private final List<Retry> retries = new CopyOnWriteArrayList<>();
    private final CountDownLatch first = new CountDownLatch(1);

    @Override
    public void onRetry(Download<?> download, DownloadException cause, int nextAttempt, Duration delay,
                        long resumeFrom) {
        retries.add(new Retry(cause.reason(), cause.statusCode(), nextAttempt, delay, resumeFrom, System.nanoTime()));
        first.countDown();
    }

    List<Retry> retries() {
        return List.copyOf(retries);
    }

    List<Reason> reasons() {
        return retries.stream().map(Retry::reason).toList();
    }

    List<Long> resumeOffsets() {
        return retries.stream().map(Retry::resumeFrom).toList();
    }

    boolean awaitFirst(long ms) throws InterruptedException {
        return first.await(ms, TimeUnit.MILLISECONDS);
    }
}
