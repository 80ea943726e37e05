package dev.haul.internal.http1;

import java.io.IOException;
import javax.net.ssl.SSLEngine;

/**
 * One connection to an origin (possibly through a proxy): its socket, TLS if any, and the
 * response reader with its head buffer, all reused for every exchange the connection carries.
 * Owned by one exchange at a time, or by the pool while idle.
 */
final class Connection {
    final PoolKey key;
    final SocketWire socket = new SocketWire();
    private TlsWire tls;
    private Wire wire = socket;
    final ResponseReader reader = new ResponseReader(this::readWire);
    /** When the connection went back to the pool, in the pool's clock. */
    long idleSinceNanos;

    Connection(PoolKey key) {
        this.key = key;
    }

    // A method reference, so the reader keeps reading the right layer after TLS starts.
    private int readWire(java.nio.ByteBuffer dst) throws IOException {
        return wire.read(dst);
    }

    /** The layer requests are written to and responses read from. */
    Wire wire() {
        return wire;
    }

    /** Runs the TLS handshake over the connected socket; afterwards everything goes through TLS. */
    void startTls(SSLEngine engine) throws IOException {
        TlsWire t = new TlsWire(socket, engine);
        t.handshake();
        tls = t;
        wire = t;
    }

    TlsWire tls() {
        return tls;
    }

    /** Moves the socket to the I/O mode the calling thread wants (see {@link SocketWire}). */
    void adaptTo(boolean virtualThread) throws IOException {
        if (virtualThread) {
            socket.useBlocking();
        } else {
            socket.useSelector();
        }
    }

    /** Whether an idle connection is still quiet and may carry a request. */
    boolean probeIdle() {
        return !reader.hasBuffered() && (tls == null || !tls.hasBufferedInput())
                && socket.probeIdle();
    }

    /**
     * Whether the connection may go back to the pool: the response was read to its end, allowed
     * persistence, and nothing arrived after it.
     */
    boolean reusable() {
        return reader.reusable() && !wire.hasBufferedInput() && !socket.isClosed();
    }

    /** Closes from any thread at once; a thread blocked on the connection throws. */
    void abort() {
        socket.abort();
    }

    /** Closes an intact connection politely (close_notify for TLS, never waiting). */
    void close() {
        if (tls != null && !socket.isClosed()) {
            tls.closeOutbound();
        }
        socket.close();
    }
}
