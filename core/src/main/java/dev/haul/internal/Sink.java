package dev.haul.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Where the body bytes of a download go: memory, a {@code .part} file, or a chunk callback. A
 * sink only stores bytes; counting, hashing, progress and stall watching happen around it.
 */
interface Sink {

    /** Appends the bytes of {@code buffers}, which hold {@code bytes} bytes in all. */
    void write(List<ByteBuffer> buffers, int bytes) throws Exception;

    /** Discards every byte stored, to start the body over from its first byte. */
    void reset() throws IOException;

    /** A new representation starts (or an old one is confirmed): remember what identifies it. */
    default void representation(ResumeState state) throws IOException {
    }

    /** The body is complete and verified: make it visible. Returns the body for memory sinks. */
    byte[] commit() throws IOException;

    /** The download ended without success; keep what allows a later resume when {@code keep}. */
    void close(boolean keep);

    /** Copies the remaining bytes of {@code buffers} into {@code target} from {@code at}. */
    static void copy(List<ByteBuffer> buffers, byte[] target, int at) {
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            b.get(target, at, n);
            at += n;
        }
    }
}
