package dev.haul;

/**
 * Receives the body of a download in order, one chunk at a time: the seed's {@code chunk_callback}.
 *
 * <p>The download reads no further until {@code onChunk} returns, so a slow consumer slows the
 * transfer down instead of filling memory. Chunks are at most a few hundred KiB. An exception
 * thrown here aborts the download with {@link DownloadException.Reason#CALLBACK_FAILED} and is
 * never retried. The array is the callback's to keep.
 */
@FunctionalInterface
public interface ChunkCallback {
    /**
     * Receives the next chunk of the body.
     *
     * @param chunk the bytes that follow the previous chunk; never empty
     * @throws Exception to abort the download ({@link DownloadException.Reason#CALLBACK_FAILED})
     */
    void onChunk(byte[] chunk) throws Exception;
}
