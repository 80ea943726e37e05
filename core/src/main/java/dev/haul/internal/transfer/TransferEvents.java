package dev.haul.internal.transfer;

import dev.haul.DownloadException;
import dev.haul.Progress.TotalSource;
import dev.haul.internal.http.ResponseHead;
import java.net.URI;
import java.time.Duration;

/**
 * What a transfer tells the public layer, which turns it into listener calls and the result of the
 * download's future. Implemented in {@code dev.haul}.
 *
 * <p>The non-terminal events run user code. They are called on the transfer's thread, never while
 * the engine holds a lock, and when user code throws they throw a
 * {@link DownloadException.Reason#CALLBACK_FAILED} failure carrying it, which ends the download.
 * The terminal events ({@link #succeeded}, {@link #failed}, {@link #cancelled}) are called once,
 * after every resource of the transfer has been released; they never throw.
 */
public interface TransferEvents {

    /** The download waits for a place under the manager's limits. */
    void queued() throws DownloadException;

    /** The download was admitted and starts its first attempt. */
    void started() throws DownloadException;

    /** A response head arrived whose body will be stored; {@code uri} served it. */
    void response(ResponseHead head, URI uri) throws DownloadException;

    /** Progress, a few times per second and once before the commit. */
    void progress(Snapshot progress) throws DownloadException;

    /** The whole percentage for the seed's progress callback: rising, 100 only on success. */
    void percent(int percent) throws DownloadException;

    /**
     * The current source failed and the next attempt goes to another one at once; a
     * {@link #retry} for that attempt follows.
     */
    void sourceChanged(DownloadException cause, URI from, URI to) throws DownloadException;

    /**
     * An attempt failed and another follows after {@code delay}, asking from {@code resumeFrom}.
     */
    void retry(DownloadException cause, int nextAttempt, Duration delay,
            long resumeFrom) throws DownloadException;

    /** The download succeeded. */
    void succeeded(Result result);

    /** The download failed with a typed failure, or ended by a timeout of its future. */
    void failed(Throwable failure);

    /**
     * The download's future was cancelled (by the caller or a closing manager) and it has stopped.
     */
    void cancelled();

    /**
     * A progress snapshot.
     *
     * @param connections connections transferring body bytes now
     */
    record Snapshot(long bytesDone, long totalBytes, TotalSource totalSource, double bytesPerSecond,
                    int attempt, int connections) {
    }

    /**
     * What a successful download produced.
     *
     * @param body       the bytes of a memory download, the file of a file download, else null
     * @param head       the head of the response that completed the body (the last one)
     * @param finalUri   the URI that served it, without userinfo
     */
    record Result(Object body, ResponseHead head, URI finalUri, long size, String sha256,
                  int attempts, long resumedFrom, long elapsedNanos) {
    }
}
