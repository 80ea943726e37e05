package dev.haul.internal.pipe;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Where the copy loop writes body bytes: a sink, perhaps wrapped in stages. */
@FunctionalInterface
public interface BodyTarget {
    /** Takes every remaining byte of {@code src}. */
    void write(ByteBuffer src) throws IOException;
}
