package dev.haul.internal.sink;

import dev.haul.DownloadException;
import dev.haul.internal.resume.Validators;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where the body bytes of a download go: memory, a {@code .part} file, or a chunk callback. A
 * sink only stores bytes, in order; counting, hashing, progress and stall watching are stages
 * around the copy loop ({@code dev.haul.internal.pipe}).
 */
public interface Sink {

    /** Appends the remaining bytes of {@code src}, consuming them. */
    void write(ByteBuffer src) throws DownloadException;

    /** Discards every byte stored, to start the body over from its first byte. */
    void reset() throws IOException;

    /** A new representation starts (or an old one is confirmed): remember what identifies it. */
    default void representation(Validators validators) throws IOException {
    }

    /** Whether bytes already delivered can be taken back by {@link #reset()}. */
    default boolean canReset() {
        return true;
    }

    /**
     * The body is complete and verified: make it visible. Returns the body for a memory sink, the
     * file for a file sink, null for a stream.
     */
    Object commit() throws IOException;

    /** The download ended without success; keep what allows a later resume when {@code keep}. */
    void close(boolean keep);
}
