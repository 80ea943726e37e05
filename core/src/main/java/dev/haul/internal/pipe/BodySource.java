package dev.haul.internal.pipe;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Where the copy loop reads body bytes: an exchange's body, perhaps wrapped in stages. */
@FunctionalInterface
public interface BodySource {
    /** Reads at least one byte into {@code dst}, blocking; -1 at the end of the body. */
    int read(ByteBuffer dst) throws IOException;
}
