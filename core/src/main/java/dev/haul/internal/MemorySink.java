package dev.haul.internal;

import dev.haul.DownloadException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the body in memory, chunk by chunk, and joins it once at the end: no buffer is ever
 * sized from a Content-Length, and the cap is checked as bytes arrive.
 */
final class MemorySink implements Sink {
    private final long cap;
    private final String url;
    private final List<byte[]> chunks = new ArrayList<>();
    private long size;

    MemorySink(long cap, String url) {
        this.cap = cap;
        this.url = url;
    }

    @Override
    public void write(List<ByteBuffer> buffers, int bytes) throws DownloadException {
        if (size + bytes > cap) {
            throw new DownloadException(DownloadException.Reason.TOO_LARGE, url,
                    "body exceeds the memory cap of " + cap + " bytes");
        }
        byte[] chunk = new byte[bytes];
        int at = 0;
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            b.get(chunk, at, n);
            at += n;
        }
        chunks.add(chunk);
        size += bytes;
    }

    @Override
    public void reset() {
        chunks.clear();
        size = 0;
    }

    @Override
    public byte[] commit() {
        byte[] body = new byte[(int) size];
        int at = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, body, at, c.length);
            at += c.length;
        }
        chunks.clear();
        return body;
    }

    @Override
    public void close(boolean keep) {
        chunks.clear();
    }
}
