package dev.haul;

/**
 * Receives download progress as a whole percentage, the seed's {@code progress_callback}.
 *
 * <p>Values run from 0 to 100, never decrease, and arrive only when they change. 100 arrives
 * exactly once, and only when the download succeeded. The total comes from
 * {@link DownloadRequest.Builder#totalSizeHint(long)} when given, else from the response's
 * Content-Length (or the total of its Content-Range when resuming), else from a 100 KiB guess; with
 * a guess the value stops at 99 until the download completes.
 */
@FunctionalInterface
public interface ProgressCallback {
    /**
     * Called with the new percentage; never while the library holds a lock.
     *
     * @param percent the share done, 0 to 100
     */
    void onProgress(int percent);
}
