package dev.haul;

import dev.haul.internal.transfer.Transfer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The future of one download, which only the download completes (the JDK's {@code MinimalFuture}
 * refuses {@code obtrude*} the same way). Cancelling it stops the transfer; {@code orTimeout}
 * stops it on the manager's clock. Dependent futures are ordinary ones.
 */
final class ResultFuture<T> extends CompletableFuture<DownloadResult<T>> {
    private final TimeSource time;
    private volatile Transfer transfer;

    ResultFuture(TimeSource time) {
        this.time = time;
    }

    void attach(Transfer t) {
        this.transfer = t;
    }

    void succeed(DownloadResult<T> result) {
        super.complete(result);
    }

    void fail(Throwable failure) {
        super.completeExceptionally(failure);
    }

    void cancelled() {
        super.cancel(false);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (isDone()) {
            return false;
        }
        Transfer t = transfer;
        if (t != null && !t.stop(new CancellationException("download cancelled"))) {
            return false; // ended or committing: the outcome is settled
        }
        return super.cancel(mayInterruptIfRunning);
    }

    /** Stops the download when {@code timeout} passes on the manager's clock. */
    @Override
    public CompletableFuture<DownloadResult<T>> orTimeout(long timeout, TimeUnit unit) {
        if (!isDone()) {
            TimeSource.Cancellable task = time.schedule(() -> {
                Transfer t = transfer;
                if (t != null && !isDone()) {
                    t.stop(new TimeoutException("the download's future timed out after " + timeout
                            + " " + unit.toString().toLowerCase(java.util.Locale.ROOT)));
                }
            }, unit.toNanos(timeout));
            var unused = whenComplete((r, e) -> task.cancel());
        }
        return this;
    }

    @Override
    public boolean complete(DownloadResult<T> value) {
        throw refused();
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        throw refused();
    }

    @Override
    public void obtrudeValue(DownloadResult<T> value) {
        throw refused();
    }

    @Override
    public void obtrudeException(Throwable ex) {
        throw refused();
    }

    @Override
    public CompletableFuture<DownloadResult<T>> completeAsync(
            Supplier<? extends DownloadResult<T>> supplier,
                                                              Executor executor) {
        throw refused();
    }

    @Override
    public CompletableFuture<DownloadResult<T>> completeAsync(
            Supplier<? extends DownloadResult<T>> supplier) {
        throw refused();
    }

    @Override
    public CompletableFuture<DownloadResult<T>> completeOnTimeout(DownloadResult<T> value,
                                                                  long timeout, TimeUnit unit) {
        throw refused();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }

    private static UnsupportedOperationException refused() {
        return new UnsupportedOperationException(
                "a download's result is completed by the download; use cancel() or orTimeout()"
                        + " to stop it");
    }
}
