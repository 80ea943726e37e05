package dev.haul.internal.http1;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a {@link ResponseReader} gets its bytes: a connection's socket or TLS layer, or an
 * in-memory array in tests, so the parser can be fuzzed without sockets.
 */
interface ByteSource {

    /**
     * Reads at least one byte into {@code dst} (which has room), blocking until one is available,
     * or returns -1 at the end of the stream.
     */
    int read(ByteBuffer dst) throws IOException;
}
