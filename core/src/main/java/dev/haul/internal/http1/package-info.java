/**
 * Haul's own HTTP/1.1 client, {@link dev.haul.internal.http1.Http1Transport}: the default
 * transport behind {@link dev.haul.internal.http.HttpTransport}.
 *
 * <h2>Why Haul owns this code</h2>
 *
 * <p>A download manager spends its life in one loop: read bytes from a socket, hand them to a
 * sink. Measured on loopback (see {@code notes/transport-bakeoff.md}), a lean non-blocking reader
 * moves 2.4 GB/s at 0.23 CPU-seconds per GiB where blocking reads cost 0.77, and fetches 2,000
 * small files in a cold JVM in 0.3 s where general clients need 1.1 to 2.4 s, because there is
 * little code for the JIT to warm up. General clients also hide what a downloader must control:
 * when a connection is reused, what a malformed response does, where proxy credentials go. So the
 * wire is ours, and kept small: GET and HEAD, no request bodies, no decoding, no redirects (the
 * engine follows those), no HTTP/2 (the JDK adapter does that).
 *
 * <h2>Threads</h2>
 *
 * <p>The transport starts none. {@code send()} and {@code read()} block the caller's thread, and
 * {@code abort()} may come from any thread: it closes the socket (and its selector), which wakes
 * whatever is blocked. How a thread blocks depends on what it is, decided per exchange:
 * <ul>
 *   <li>A <b>platform thread</b> uses a non-blocking channel with a {@code Selector} of its own
 *       per connection. A read drains what the kernel has and only then waits in
 *       {@code select}. Parking in a blocking {@code recv} was three times the CPU per GiB.</li>
 *   <li>A <b>virtual thread</b> (JDK 21+, detected through {@code Thread.isVirtual()} looked up
 *       once as a method handle, since the code is compiled for 17) uses a blocking channel:
 *       the JDK parks the virtual thread and polls for it, which is what a selector would do,
 *       without a selector's two descriptors.</li>
 * </ul>
 * The connect phase always uses the selector, because only it can bound TCP connect, proxy
 * handshake and TLS handshake together by one deadline; a connection then switches mode, and a
 * pooled connection switches again when a thread of the other kind takes it.
 *
 * <h2>Buffers and copies</h2>
 *
 * <p>Each connection has one 32 KiB head buffer, reused for every response: the head is parsed
 * in place, line by line, so it never grows. Body bytes that arrived with the head are copied
 * out of it once; every later body read goes from the socket straight into the caller's buffer
 * (usually a 256 KiB direct buffer), its limit lowered so that nothing past a Content-Length or
 * past the current chunk is ever read into it. There is no allocation per read, no logging, no
 * lock and no per-byte virtual call on that path: the parser scans arrays with lookup tables,
 * and the only virtual call is one per socket read.
 *
 * <h2>TLS</h2>
 *
 * <p>TLS is the JDK's {@code SSLEngine} over the same channel, never crypto of our own. An
 * engine rather than an {@code SSLSocket} layered on the socket keeps one I/O path: the same
 * non-blocking reads and selector, the same abort, the same deadline during the handshake, and
 * records decrypted from a 64 KiB direct buffer straight into the caller's buffer when it has
 * room for a whole record. Verification is the context's ({@code Tls.context}); the engine gets
 * endpoint identification {@code "HTTPS"} and SNI for the origin's name (never the proxy's, never
 * for an IP literal). {@code insecure} skips verification but still sends SNI.
 *
 * <p><b>close_notify.</b> A close_notify ends the stream. A TCP end without it ends the stream
 * too, as far as framing goes: a Content-Length or chunked body cut short is still an
 * {@code EOFException}, while a close-delimited body (no framing at all) ends normally, exactly
 * as over plain TCP. RFC 9112 section 9.8 would call such a close-delimited body incomplete; we
 * accept it because servers that send close-delimited bodies over TLS are the ones that skip
 * close_notify, and a body with neither length nor close_notify is guarded by the engine's size
 * and checksum checks in the same way as one over plain TCP. {@code TlsWire.truncated()} records
 * the case should that choice change.
 *
 * <h2>Pooling</h2>
 *
 * <p>Idle connections wait in {@code ConnectionPool}, keyed by scheme, host, port and proxy route
 * (credentials compared by content), at most 16 per key and for at most 30 seconds, most recently
 * used first. The pool is the only state exchanges share: one lock around small deques, never
 * held while a socket is touched. A connection goes back only when its response was read to the
 * end, allowed persistence (HTTP/1.1 without {@code Connection: close}; HTTP/1.0 only with
 * {@code keep-alive} and a Content-Length), and left no byte unread; never after an abort or a
 * failure. Before reuse, a non-blocking read checks that nothing (no byte, no EOF) arrived while
 * it was idle. If a GET or HEAD still fails on a reused connection before any byte of the
 * response, the server closed it under us: the request goes once more, on a new connection, and
 * never after a response byte arrived.
 *
 * <h2>Limits</h2>
 *
 * <p>Every length a server controls is bounded by a named constant in {@code ResponseReader}:
 * status line 4 KiB, header line 16 KiB, head 64 KiB, 100 header lines, 16 interim (1xx) heads,
 * chunk-size line 4 KiB with at most 16 hex digits, trailers 16 KiB. Whatever could make two
 * parties disagree on where a body ends is refused with {@code ProtocolException}: both
 * Transfer-Encoding and Content-Length, a coding other than exactly {@code chunked}, differing
 * Content-Lengths, obs-fold, bare CR, NUL. A body that ends early is an {@code EOFException}.
 * Request headers are checked on the way out, so no CR, LF or NUL ever reaches the wire.
 *
 * <h2>Proxies</h2>
 *
 * <p>Plain http through an HTTP proxy goes in absolute form with {@code Proxy-Authorization};
 * https goes through a {@code CONNECT} tunnel, credentials on the CONNECT only; SOCKS5 follows RFC
 * 1928 and 1929, resolving the name at the proxy or locally as the route says. A proxy's 407 asks
 * the configured authenticator once (when the route has no credentials) and tries again on a new
 * connection; the answer is remembered for that proxy. A proxy that refuses is a
 * {@code ProxyException}; the transport never falls back to a direct connection.
 */
package dev.haul.internal.http1;
