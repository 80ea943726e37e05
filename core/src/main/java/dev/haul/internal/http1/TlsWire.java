package dev.haul.internal.http1;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * TLS over a {@link SocketWire} with the JDK's {@link SSLEngine}: the same I/O path, modes and
 * abort as plain connections, and no crypto of our own.
 *
 * <p>Records are read into {@code netIn} (big enough for several records per socket read) and
 * decrypted straight into the caller's buffer when it has room for a whole record; otherwise
 * into {@code appIn}, from which they are copied. A close_notify ends the stream (-1). A TCP end
 * without close_notify also reads as -1 and sets {@link #truncated()}: the response reader then
 * treats it exactly like a plain connection's end, so a Content-Length or chunked body cut short
 * is an {@link EOFException}, and only a close-delimited body ends normally.
 */
final class TlsWire implements Wire {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    /** Socket reads of this size take in four full records at a time on a bulk download. */
    private static final int NET_IN_BYTES = 64 * 1024;

    private final SocketWire socket;
    private final SSLEngine engine;
    /** Received records, read mode. */
    private ByteBuffer netIn;
    /** Records to send, filled by each wrap. */
    private ByteBuffer netOut;
    /** Decrypted bytes not yet delivered, read mode. */
    private ByteBuffer appIn;
    private int appSize;
    private boolean closeNotify;
    private boolean truncated;

    TlsWire(SocketWire socket, SSLEngine engine) {
        this.socket = socket;
        this.engine = engine;
        int packet = engine.getSession().getPacketBufferSize();
        this.appSize = engine.getSession().getApplicationBufferSize();
        this.netIn = ByteBuffer.allocateDirect(Math.max(NET_IN_BYTES, packet));
        netIn.limit(0);
        this.netOut = ByteBuffer.allocateDirect(packet);
        this.appIn = ByteBuffer.allocateDirect(appSize);
        appIn.limit(0);
    }

    /**
     * Runs the handshake to its end, within the socket's deadline. Certificate and host name
     * failures come from the engine as {@code SSLHandshakeException}; a connection that closes
     * during the handshake is one too, caused by an {@link EOFException}.
     */
    void handshake() throws IOException {
        engine.beginHandshake();
        HandshakeStatus hs = engine.getHandshakeStatus();
        try {
            while (true) {
                switch (hs) {
                    case NEED_WRAP -> hs = wrapAndSend();
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> hs = unwrapHandshake();
                    case NEED_TASK -> {
                        runTasks();
                        hs = engine.getHandshakeStatus();
                    }
                    default -> {
                        return;
                    }
                }
            }
        } catch (SSLException e) {
            sendAlert();
            throw e;
        }
    }

    private HandshakeStatus wrapAndSend() throws IOException {
        netOut.clear();
        SSLEngineResult r = engine.wrap(EMPTY, netOut);
        if (r.getStatus() == Status.BUFFER_OVERFLOW) {
            netOut = ByteBuffer.allocateDirect(Math.max(netOut.capacity() * 2,
                    engine.getSession().getPacketBufferSize()));
            return HandshakeStatus.NEED_WRAP;
        }
        netOut.flip();
        socket.write(netOut);
        if (r.getStatus() == Status.CLOSED) {
            throw new SSLHandshakeException("the TLS engine closed during the handshake");
        }
        return r.getHandshakeStatus();
    }

    private HandshakeStatus unwrapHandshake() throws IOException {
        appIn.compact();
        SSLEngineResult r;
        try {
            r = engine.unwrap(netIn, appIn);
        } finally {
            appIn.flip();
        }
        switch (r.getStatus()) {
            case OK -> {
                return r.getHandshakeStatus();
            }
            case BUFFER_UNDERFLOW -> {
                if (!readNet()) {
                    SSLHandshakeException e = new SSLHandshakeException(
                            "the connection closed during the TLS handshake");
                    e.initCause(new EOFException());
                    throw e;
                }
                return HandshakeStatus.NEED_UNWRAP;
            }
            case BUFFER_OVERFLOW -> {
                growAppIn();
                return HandshakeStatus.NEED_UNWRAP;
            }
            default -> throw new SSLHandshakeException(
                    "the server closed TLS during the handshake");
        }
    }

    /** Best effort: tell the server why we give up (the engine has the alert ready). */
    private void sendAlert() {
        try {
            netOut.clear();
            engine.wrap(EMPTY, netOut);
            netOut.flip();
            socket.tryWrite(netOut);
        } catch (SSLException | RuntimeException e) {
            // the handshake failure is what the caller needs to see
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (appIn.hasRemaining()) {
            return copyOut(dst);
        }
        int total = 0;
        while (!closeNotify) {
            if (netIn.hasRemaining()) {
                boolean direct = dst.remaining() >= appSize;
                SSLEngineResult r;
                if (direct) {
                    r = engine.unwrap(netIn, dst);
                } else {
                    appIn.clear();
                    try {
                        r = engine.unwrap(netIn, appIn);
                    } finally {
                        appIn.flip();
                    }
                }
                Status status = r.getStatus();
                if (status == Status.CLOSED) {
                    // close_notify: the end of the stream. Our own close_notify goes out at close.
                    closeNotify = true;
                    break;
                }
                if (status == Status.OK) {
                    afterUnwrap(r.getHandshakeStatus());
                    int produced = r.bytesProduced();
                    if (produced > 0) {
                        if (!direct) {
                            return total + copyOut(dst);
                        }
                        total += produced;
                        if (dst.remaining() < appSize || !netIn.hasRemaining()) {
                            return total;
                        }
                    }
                    continue;
                }
                if (status == Status.BUFFER_OVERFLOW) {
                    if (direct) {
                        // The record is bigger than we guessed: take it through appIn instead.
                        appSize = Math.max(dst.remaining() + 1,
                                engine.getSession().getApplicationBufferSize());
                    } else {
                        growAppIn();
                    }
                    continue;
                }
                // BUFFER_UNDERFLOW: the next record is not complete yet.
            }
            if (total > 0) {
                return total;
            }
            if (!readNet()) {
                if (netIn.hasRemaining()) {
                    throw new EOFException("connection closed inside a TLS record");
                }
                truncated = true;
                return -1;
            }
        }
        return total > 0 ? total : -1;
    }

    /** Post-handshake messages: TLS 1.3 key updates want an answer, tickets want a task run. */
    private void afterUnwrap(HandshakeStatus hs) throws IOException {
        if (hs == HandshakeStatus.NEED_TASK) {
            runTasks();
            hs = engine.getHandshakeStatus();
        }
        while (hs == HandshakeStatus.NEED_WRAP) {
            hs = wrapAndSend();
        }
    }

    private int copyOut(ByteBuffer dst) {
        int n = Math.min(appIn.remaining(), dst.remaining());
        if (n == appIn.remaining()) {
            dst.put(appIn);
        } else {
            int limit = appIn.limit();
            appIn.limit(appIn.position() + n);
            dst.put(appIn);
            appIn.limit(limit);
        }
        return n;
    }

    /** Reads more records behind the ones buffered; false at the end of the stream. */
    private boolean readNet() throws IOException {
        netIn.compact();
        if (!netIn.hasRemaining()) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(netIn.capacity() * 2,
                    engine.getSession().getPacketBufferSize()));
            netIn.flip();
            bigger.put(netIn);
            netIn = bigger;
        }
        int n;
        try {
            n = socket.read(netIn);
        } finally {
            netIn.flip();
        }
        return n >= 0;
    }

    private void growAppIn() throws SSLException {
        int size = engine.getSession().getApplicationBufferSize();
        if (size <= appIn.capacity()) {
            size = appIn.capacity() * 2;
            if (size > 1 << 20) {
                throw new SSLException("TLS record larger than 1 MiB");
            }
        }
        ByteBuffer bigger = ByteBuffer.allocateDirect(size);
        bigger.put(appIn);
        bigger.flip();
        appIn = bigger;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            netOut.clear();
            SSLEngineResult r = engine.wrap(src, netOut);
            if (r.getStatus() == Status.CLOSED) {
                throw new SSLException("the TLS connection is closed");
            }
            if (r.getStatus() == Status.BUFFER_OVERFLOW) {
                netOut = ByteBuffer.allocateDirect(Math.max(netOut.capacity() * 2,
                        engine.getSession().getPacketBufferSize()));
                continue;
            }
            netOut.flip();
            socket.write(netOut);
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                runTasks();
            }
        }
    }

    @Override
    public boolean hasBufferedInput() {
        return appIn.hasRemaining() || netIn.hasRemaining();
    }

    /** Whether the stream ended without close_notify (a TCP FIN or RST only). */
    boolean truncated() {
        return truncated;
    }

    /** Whether the server sent close_notify. */
    boolean closeNotifyReceived() {
        return closeNotify;
    }

    /** Sends close_notify without waiting (the socket is closed right after). */
    void closeOutbound() {
        try {
            engine.closeOutbound();
            netOut.clear();
            engine.wrap(EMPTY, netOut);
            netOut.flip();
            socket.tryWrite(netOut);
        } catch (SSLException | RuntimeException e) {
            // closing anyway
        }
    }
}
