package dev.haul.internal;

import dev.haul.ChunkCallback;
import dev.haul.DownloadException;
import java.nio.ByteBuffer;
import java.util.List;

/** Hands each arriving piece of the body to the caller's callback, which paces the download. */
final class StreamSink implements Sink {
    private final ChunkCallback callback;
    private final String url;

    StreamSink(ChunkCallback callback, String url) {
        this.callback = callback;
        this.url = url;
    }

    @Override
    public void write(List<ByteBuffer> buffers, int bytes) throws DownloadException {
        byte[] chunk = new byte[bytes];
        Sink.copy(buffers, chunk, 0);
        try {
            callback.onChunk(chunk);
        } catch (Exception e) {
            throw new DownloadException(DownloadException.Reason.CALLBACK_FAILED, url,
                    "chunk callback failed: " + e, e);
        }
    }

    @Override
    public void reset() {
        throw new IllegalStateException("a stream cannot take back delivered chunks");
    }

    @Override
    public byte[] commit() {
        return null;
    }

    @Override
    public void close(boolean keep) {
    }
}
