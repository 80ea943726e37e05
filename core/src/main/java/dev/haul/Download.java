package dev.haul;

import dev.haul.internal.Transfer;
import java.util.concurrent.CompletableFuture;

/**
 * A running download: its live {@link #progress()}, its {@link #result()} and a way to
 * {@link #cancel()} it. Obtained from {@link DownloadManager#download(DownloadRequest)}.
 *
 * <p>The result future completes with a {@link DownloadResult}, or exceptionally with a
 * {@link DownloadException}. Cancelling it, completing it exceptionally or letting
 * {@code orTimeout} expire aborts the transfer within a second, releases its connection and
 * leaves nothing at a file destination (a resumable {@code .part} stays beside it).
 */
public final class Download {
    private final DownloadRequest request;
    private final Transfer transfer;

    Download(DownloadRequest request, Transfer transfer) {
        this.request = request;
        this.transfer = transfer;
    }

    public DownloadRequest request() {
        return request;
    }

    /** A snapshot of the progress now. */
    public Progress progress() {
        return transfer.progress();
    }

    /** Completes when the download succeeded or failed; cancelling it cancels the download. */
    public CompletableFuture<DownloadResult> result() {
        return transfer.result();
    }

    /** Cancels the download; returns false if it had already finished. */
    public boolean cancel() {
        return transfer.result().cancel(true);
    }

    @Override
    public String toString() {
        return "Download{" + request + "}";
    }
}
