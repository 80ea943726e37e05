package dev.haul.internal.http1;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The byte stream a connection carries HTTP over: the socket itself, or TLS on top of it. Reads
 * and writes block the calling thread; {@link SocketWire#abort()} unblocks them from any other.
 */
interface Wire extends ByteSource {

    /** Writes all of {@code src}. */
    void write(ByteBuffer src) throws IOException;

    /** Whether bytes arrived that nobody has read yet (so the connection is out of step). */
    boolean hasBufferedInput();
}
