package dev.haul.internal.pipe;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The copy loop of a download, and nothing else: read into the buffer, write it out, until the
 * body ends. Counting, hashing, length checks, throttling and the stall watch are
 * {@link Stages stages} wrapped around its source and target (Okio's {@code ForwardingSource} is
 * the model), so a new concern is one more stage, never a change here.
 */
public final class Pipe {
    private Pipe() {
    }

    /** Copies {@code source} to {@code target} through {@code buffer}; returns the bytes copied. */
    public static long copy(BodySource source, BodyTarget target,
            ByteBuffer buffer) throws IOException {
        long copied = 0;
        while (true) {
            buffer.clear();
            int n = source.read(buffer);
            if (n < 0) {
                return copied;
            }
            buffer.flip();
            target.write(buffer);
            copied += n;
        }
    }
}
