package dev.haul.internal.sink;

import dev.haul.ChunkCallback;
import dev.haul.DownloadException;
import java.nio.ByteBuffer;

/**
 * Hands each arriving piece of the body to the caller's callback, which paces the download: the
 * next read waits until the callback returns. A callback that throws fails the download with
 * {@code CALLBACK_FAILED}, carrying what it threw.
 */
public final class StreamSink implements Sink {
    private final ChunkCallback callback;
    private final String url;
    private long delivered;

    public StreamSink(ChunkCallback callback, String url) {
        this.callback = callback;
        this.url = url;
    }

    @Override
    public void write(ByteBuffer src) throws DownloadException {
        byte[] chunk = new byte[src.remaining()];
        src.get(chunk);
        delivered += chunk.length;
        try {
            callback.onChunk(chunk);
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            throw new DownloadException(DownloadException.Reason.CALLBACK_FAILED, url,
                    "chunk callback failed: " + e, e);
        }
    }

    @Override
    public boolean canReset() {
        return delivered == 0;
    }

    /** Starting over is fine while nothing was delivered; after that it is a bug to ask. */
    @Override
    public void reset() {
        if (delivered > 0) {
            throw new IllegalStateException("a stream cannot take back delivered chunks");
        }
    }

    @Override
    public Object commit() {
        return null;
    }

    @Override
    public void close(boolean keep) {
    }
}
