package dev.haul.internal.http;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One request and its response, used by one thread in this order: {@link #send()}, then
 * {@link #read(ByteBuffer)} until it returns -1 (or the caller stops early), then {@link #close()}.
 *
 * <p>{@link #abort(Throwable)} may come from any thread at any time (a stall watch, a response
 * timeout, a cancel): it closes the connection at once, so a {@code send()} or {@code read()}
 * blocked in the socket throws an {@link IOException} promptly (well under a second), and every
 * later call throws too. The engine remembers why it aborted; the exception thrown only has to
 * be an {@code IOException}.
 *
 * <p>Failures are plain JDK exceptions that the engine classifies: {@code ConnectException} and
 * {@code UnknownHostException} for connecting, {@code javax.net.ssl.SSLException} (or a
 * {@code CertificateException} cause) for TLS, {@code java.net.ProtocolException} for a response
 * that breaks HTTP (bad status line, bad framing, limits exceeded, both Transfer-Encoding and
 * Content-Length), {@code EOFException} for a body that ends before its declared length, and any
 * other {@code IOException} for a broken connection.
 */
public interface Exchange extends AutoCloseable {

    /**
     * Connects (or reuses a pooled connection), writes the request and blocks until the final
     * response head arrives ({@code 1xx} heads are skipped). The framing of the body has been
     * checked by then: a head that cannot frame its body throws {@code ProtocolException}.
     */
    ResponseHead send() throws IOException;

    /**
     * Reads body bytes into {@code dst}, blocking until at least one byte is available. Returns
     * the number of bytes read, or -1 once the body is complete. Transfer framing (chunked,
     * Content-Length, close-delimited) is removed: only the body's bytes reach {@code dst}. A body
     * that ends early throws {@code EOFException}; a body longer than its Content-Length is never
     * delivered past that length. A close-delimited body ends at the connection's end, over TLS
     * too when the server sends no {@code close_notify} (as the JDK's {@code SSLSocket} does); the
     * engine's size and checksum checks guard such bodies, as they guard HTTP/1.0 bodies.
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Stops the exchange from any thread: closes its connection; blocked calls throw. Idempotent.
     */
    void abort(Throwable cause);

    /**
     * Ends the exchange. A body read to its end leaves the connection reusable (returned to the
     * pool unless the response said {@code Connection: close}); an unread or partly read body
     * closes the connection. Idempotent, never throws.
     */
    @Override
    void close();
}
