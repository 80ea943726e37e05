package dev.haul.internal.sink;

import dev.haul.DownloadException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the body in memory. When the response declares its length (at most the cap, which the
 * caller chose as the bound), the body goes straight into one array of that size: no join and no
 * garbage. Otherwise it is kept chunk by chunk, the cap checked as bytes arrive, and joined once
 * at the end.
 */
public final class MemorySink implements Sink, PositionalSink {
    private final long cap;
    private final String url;
    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] exact;
    private long size;

    public MemorySink(long cap, String url) {
        this.cap = cap;
        this.url = url;
    }

    /** The complete body will be {@code total} bytes (already checked against the cap). */
    public void expect(long total) {
        if (total <= 0 || total > cap || (exact != null && exact.length == total)) {
            return;
        }
        byte[] body = new byte[(int) total];
        if (size > 0 && size <= total) {
            copyTo(body);
        }
        chunks.clear();
        exact = body;
    }

    @Override
    public void write(ByteBuffer src) throws DownloadException {
        int bytes = src.remaining();
        if (size + bytes > cap) {
            throw new DownloadException(DownloadException.Reason.TOO_LARGE, url,
                    "body exceeds the memory cap of " + cap + " bytes");
        }
        if (exact != null && size + bytes <= exact.length) {
            src.get(exact, (int) size, bytes);
        } else {
            if (exact != null) { // longer than declared: the engine fails it, but stay correct
                chunks.add(java.util.Arrays.copyOf(exact, (int) size));
                exact = null;
            }
            byte[] chunk = new byte[bytes];
            src.get(chunk);
            chunks.add(chunk);
        }
        size += bytes;
    }

    /**
     * Writes at {@code position} of a body whose length {@link #expect} announced (several
     * connections, each its own range). The caller counts the bytes.
     */
    @Override
    public void writeAt(long position, ByteBuffer src) throws DownloadException {
        byte[] body = exact;
        int n = src.remaining();
        if (body == null || position < 0 || position + n > body.length) {
            throw new DownloadException(DownloadException.Reason.PROTOCOL, url,
                    "bytes " + position + "+" + n + " outside the announced body");
        }
        src.get(body, (int) position, n);
    }

    /** The body of known length as it stands, without copying; the caller only reads it. */
    public byte[] peek() {
        return exact != null ? exact : new byte[0];
    }

    /** The whole body is in place: the size becomes its length (several connections wrote it). */
    public void filled() {
        if (exact != null) {
            size = exact.length;
        }
    }

    @Override
    public void reset() {
        chunks.clear();
        exact = null;
        size = 0;
    }

    @Override
    public byte[] commit() {
        if (exact != null && exact.length == size) {
            byte[] body = exact;
            exact = null;
            return body;
        }
        byte[] body = new byte[(int) size];
        copyTo(body);
        chunks.clear();
        exact = null;
        return body;
    }

    private void copyTo(byte[] body) {
        if (exact != null) {
            System.arraycopy(exact, 0, body, 0, (int) size);
            return;
        }
        int at = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, body, at, c.length);
            at += c.length;
        }
    }

    @Override
    public void close(boolean keep) {
        chunks.clear();
        exact = null;
    }
}
