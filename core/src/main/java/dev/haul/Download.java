package dev.haul;

import dev.haul.internal.transfer.Transfer;
import dev.haul.internal.transfer.TransferEvents;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running download: its live {@link #progress()}, its {@link #result()} and a way to
 * {@link #cancel()} it. Obtained from
 * {@link DownloadManager#download(DownloadRequest, Destination)}.
 *
 * <h2>The result future</h2>
 * {@link #result()} completes with a {@link DownloadResult}, or exceptionally with a
 * {@link DownloadException} that says why the download failed. It belongs to the download: a caller
 * cannot complete it ({@code complete}, {@code completeExceptionally} and {@code obtrude*} throw
 * {@link UnsupportedOperationException}).
 *
 * <h2>Cancellation</h2>
 * There is one form: cancelling the future, by {@link #cancel()}, {@code result().cancel(…)} or a
 * closing manager, cancels the download. The future then throws
 * {@link java.util.concurrent.CancellationException}; the transfer stops within a second, releases
 * its connection and leaves the destination as it was (a resumable {@code .part} stays beside a
 * file). {@code result().orTimeout(…)} stops the download the same way when it expires, and the
 * future completes with a {@link java.util.concurrent.TimeoutException}. Once the verified body is
 * being moved into place it is too late: {@code cancel} returns false and the download succeeds,
 * so the outcome and the disk always agree.
 *
 * <pre>{@code
 * Download<byte[]> d = manager.download(request, Destination.memory());
 * d.result().orTimeout(30, TimeUnit.SECONDS);
 * byte[] body = d.result().join().body();
 * }</pre>
 *
 * @param <T> the type of the result's body, set by the destination
 */
public final class Download<T> {
    private final long id;
    private final DownloadRequest request;
    private final Destination<T> destination;
    private final ResultFuture<T> result;
    private volatile Transfer transfer;
    private volatile ResponseInfo response;

    Download(long id, DownloadRequest request, Destination<T> destination, ResultFuture<T> result) {
        this.id = id;
        this.request = request;
        this.destination = destination;
        this.result = result;
    }

    void attach(Transfer t) {
        this.transfer = t;
        result.attach(t);
    }

    void response(ResponseInfo r) {
        this.response = r;
    }

    /**
     * A number unique among the downloads of this manager, in the order they were started.
     *
     * @return a number unique among the downloads of this manager, in starting order
     */
    public long id() {
        return id;
    }

    /**
     * What is downloaded.
     *
     * @return what is downloaded
     */
    public DownloadRequest request() {
        return request;
    }

    /**
     * Where it goes.
     *
     * @return where it goes
     */
    public Destination<T> destination() {
        return destination;
    }

    /**
     * A snapshot of the progress now.
     *
     * @return a snapshot of the progress now
     */
    public Progress progress() {
        TransferEvents.Snapshot s = transfer.progress();
        return new Progress(s.bytesDone(), s.totalBytes(), s.totalSource(), s.bytesPerSecond(),
                s.attempt(), s.connections());
    }

    /**
     * The head of the latest response whose body is being stored, once one arrived.
     *
     * @return the head of the latest response whose body is being stored, once one arrived
     */
    public Optional<ResponseInfo> response() {
        return Optional.ofNullable(response);
    }

    /**
     * Completes when the download succeeded or failed; see the class comment.
     *
     * @return the future of the result, which completes when the download succeeds or fails
     */
    public CompletableFuture<DownloadResult<T>> result() {
        return result;
    }

    /**
     * Changes this download's bandwidth limit at once (bytes per second; 0 for none). The
     * manager's shared limit still applies.
     *
     * @param bytesPerSecond the limit; 0 for none
     * @throws IllegalArgumentException if negative
     */
    public void setMaxBytesPerSecond(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("maxBytesPerSecond < 0: " + bytesPerSecond);
        }
        transfer.setMaxBytesPerSecond(bytesPerSecond);
    }

    /**
     * This download's bandwidth limit now; 0 for none.
     *
     * @return the limit; 0 for none
     */
    public long maxBytesPerSecond() {
        return transfer.maxBytesPerSecond();
    }

    /**
     * Cancels the download; returns false if it had already finished or is committing.
     *
     * @return false if the download had already finished or is committing
     */
    public boolean cancel() {
        return result.cancel(true);
    }

    @Override
    public String toString() {
        return "Download#" + id + "{" + request + " -> " + destination + "}";
    }
}
