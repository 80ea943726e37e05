package dev.haul;

import java.net.URI;
import java.time.Duration;

/**
 * Events of downloads: on one request ({@link DownloadRequest.Builder#listener}) or on every
 * download of a manager ({@link DownloadManager.Builder#listener}). Every method has an empty
 * default.
 *
 * <p><b>The contract.</b> Events of one download arrive in order, one at a time, on a thread of the
 * library, never while it holds a lock: {@code onQueued} (on the thread that called
 * {@code download}), {@code onStarted}, then per attempt {@code onResponse} and {@code onProgress}
 * (a few times per second, and once more when the body is complete and verified, before the file is
 * moved into place), {@code onRetry} between attempts, and exactly one of {@code onSucceeded},
 * {@code onFailed} or {@code onCancelled}. Keep them short: a slow listener slows its download.
 *
 * <p>An exception thrown by any event before the last ends that download with
 * {@link DownloadException.Reason#CALLBACK_FAILED}, the exception as its cause, and releases
 * everything it held; the destination is left as it was. The last event reports an outcome already
 * settled (the file is already in place): what it throws is logged and ignored.
 *
 * <pre>{@code
 * DownloadManager manager = DownloadManager.builder()
 *         .listener(new DownloadListener() {
 *             @Override
 *             public void onProgress(Download<?> d, Progress p) {
 *                 System.out.printf("%s %.0f%%%n", d.request().uri(), p.fraction() * 100);
 *             }
 *         })
 *         .build();
 * }</pre>
 */
public interface DownloadListener {

    /**
     * The download waits for a place under the manager's limits.
     *
     * @param download the download this event is about
     */
    default void onQueued(Download<?> download) {
    }

    /**
     * The download was admitted and starts.
     *
     * @param download the download this event is about
     */
    default void onStarted(Download<?> download) {
    }

    /**
     * A response arrived whose body will be stored; see {@link Download#response()}.
     *
     * @param download the download this event is about
     * @param response the response whose body will be stored
     */
    default void onResponse(Download<?> download, ResponseInfo response) {
    }

    /**
     * Body bytes arrived.
     *
     * @param download the download this event is about
     * @param progress the progress so far
     */
    default void onProgress(Download<?> download, Progress progress) {
    }

    /**
     * The current source (the request's URL or one of its mirrors) failed, and the next attempt
     * goes to another source at once, without spending a retry of the retry policy;
     * {@link #onRetry} follows for that attempt, with no delay.
     *
     * @param download the download this event is about
     * @param cause why the source failed
     * @param from the source that failed, without user information
     * @param to the source the next attempt goes to, without user information
     */
    default void onSourceChanged(Download<?> download, DownloadException cause, URI from,
                                 URI to) {
    }

    /**
     * An attempt failed and another follows after {@code delay}, asking for the body from
     * {@code resumeFrom} (0 means from the beginning).
     *
     * @param download the download this event is about
     * @param cause why the attempt failed
     * @param nextAttempt the number of the attempt that follows, from 2
     * @param delay how long until that attempt starts
     * @param resumeFrom the byte the next attempt asks from; 0 for the whole body
     */
    default void onRetry(Download<?> download, DownloadException cause, int nextAttempt,
                         Duration delay, long resumeFrom) {
    }

    /**
     * The download succeeded; its future completes right after.
     *
     * @param download the download this event is about
     * @param result its result
     */
    default void onSucceeded(Download<?> download, DownloadResult<?> result) {
    }

    /**
     * The download failed: {@code failure} is a {@link DownloadException}, or the
     * {@link java.util.concurrent.TimeoutException} of an {@code orTimeout} on its future.
     *
     * @param download the download this event is about
     * @param failure why it ended
     */
    default void onFailed(Download<?> download, Throwable failure) {
    }

    /**
     * The download was cancelled and has released everything; its future was cancelled already.
     *
     * @param download the download this event is about
     */
    default void onCancelled(Download<?> download) {
    }
}
