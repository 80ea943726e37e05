package dev.haul.internal.http1;

import dev.haul.internal.http.ResponseHead;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads HTTP/1.1 responses off a {@link ByteSource}: the head into a small fixed buffer, the body
 * straight into the caller's buffer whenever the framing allows it.
 *
 * <p>One reader belongs to one connection and is reused for every response on it. It never
 * allocates per read and never buffers more than {@link #BUFFER_BYTES}: a head is parsed line by
 * line as it arrives, and every line, head, chunk-size line and trailer section is bounded by a
 * named limit. Anything outside RFC 9112 that could desynchronise the framing is refused with a
 * {@link ProtocolException}; a body cut short by the end of the stream is an
 * {@link EOFException}. The rules, in the order they apply:
 *
 * <ul>
 *   <li>Lines end with CRLF or a bare LF (RFC 9112 section 2.2 lets a recipient accept LF); a CR
 *       anywhere else in a line is refused.</li>
 *   <li>The status line is {@code HTTP/1.0} or {@code HTTP/1.1}, a space, a status 100 to 599,
 *       and an optional space and reason phrase. {@code 1xx} heads are skipped, except 101, which
 *       was never asked for.</li>
 *   <li>A header line is a token, a colon, and a value of field characters; whitespace before
 *       the colon and obs-fold continuation lines are refused (RFC 9112 sections 5.1, 5.2).</li>
 *   <li>Framing (RFC 9112 section 6.3): no body for HEAD, 204 and 304 (and a CONNECT's 2xx);
 *       Transfer-Encoding together with Content-Length is refused, as is any Transfer-Encoding
 *       but exactly {@code chunked}, or one in an HTTP/1.0 response; Content-Length values must
 *       be digits, fit a long and agree; otherwise the body runs to the end of the stream.</li>
 * </ul>
 */
final class ResponseReader {
    /**
     * Longest status line. A status line is about 20 bytes; 4 KiB leaves any reason phrase room
     * while a server streaming garbage is stopped early.
     */
    static final int MAX_STATUS_LINE = 4 * 1024;
    /**
     * Longest header (or trailer) line. Big Content-Security-Policy and Set-Cookie lines reach a
     * few KiB in the wild; 16 KiB is twice what Apache and nginx accept in a request line.
     */
    static final int MAX_FIELD_LINE = 16 * 1024;
    /**
     * Most bytes in one head (status line plus header section). 64 KiB is far above any real
     * response and bounds the strings and lists one response can make us allocate.
     */
    static final int MAX_HEAD_BYTES = 64 * 1024;
    /** Most header lines in one head, and trailer lines after a body: real ones have 5-30. */
    static final int MAX_FIELDS = 100;
    /**
     * Most {@code 1xx} heads before the final one. Servers send one or two (100, 103); an
     * endless stream of them would otherwise keep the reader busy forever.
     */
    static final int MAX_INTERIM_HEADS = 16;
    /** Most hex digits in a chunk size: 16 digits are 64 bits, and more can only be padding. */
    static final int MAX_CHUNK_SIZE_DIGITS = 16;
    /**
     * Longest chunk-size line, extensions included. Nobody uses chunk extensions for anything we
     * read; the bound stops a server from hiding an unbounded line in them.
     */
    static final int MAX_CHUNK_LINE = 4 * 1024;
    /** Most bytes in the trailer section after the last chunk (trailers are discarded). */
    static final int MAX_TRAILER_BYTES = 16 * 1024;
    /**
     * The head buffer: it must hold the longest line plus its CRLF. 32 KiB also takes in a whole
     * small response (head and a 16 KiB body) in one read.
     */
    static final int BUFFER_BYTES = 32 * 1024;

    /** How the body of the current response ends. */
    enum Framing {
        /** No body: HEAD, 204, 304, a CONNECT tunnel. */
        NONE,
        /** Content-Length bytes. */
        LENGTH,
        /** Chunked transfer coding. */
        CHUNKED,
        /** Everything until the server closes the connection. */
        CLOSE
    }

    private final ByteSource source;
    private final byte[] array;
    /** The head buffer in read mode: {@code [position, limit)} are bytes not yet parsed. */
    private final ByteBuffer buf;

    // The line readLine() found last: array[lineStart, lineEnd), terminator excluded.
    private int lineStart;
    private int lineEnd;

    /** Bytes taken from the source over the reader's life: never reset. */
    private long received;
    /** {@link #received} when the current head began (its buffered bytes not counted). */
    private long headStart;
    private Framing framing = Framing.NONE;
    /** LENGTH: body bytes still to come; CHUNKED: bytes left in the current chunk. */
    private long remaining;
    /** CHUNKED: the CRLF after a chunk's data is still to be read. */
    private boolean chunkCrlfDue;
    private boolean complete = true;
    private boolean keepAlive;
    /** Set by {@link #parseStatusLine()}. */
    private int statusCode;

    ResponseReader(ByteSource source) {
        this(source, BUFFER_BYTES);
    }

    ResponseReader(ByteSource source, int bufferBytes) {
        if (bufferBytes < MAX_FIELD_LINE + 2) {
            throw new IllegalArgumentException("buffer shorter than a header line: " + bufferBytes);
        }
        this.source = source;
        this.array = new byte[bufferBytes];
        this.buf = ByteBuffer.wrap(array);
        buf.limit(0);
    }

    /**
     * Reads the final response head of a request, skipping {@code 1xx} heads, and decides how its
     * body is framed.
     *
     * @param headRequest the request was HEAD: no body whatever the head says
     * @param tunnel      the request was CONNECT: a 2xx opens a tunnel and has no body
     */
    ResponseHead readHead(boolean headRequest, boolean tunnel) throws IOException {
        headStart = received - buf.remaining();
        complete = false;
        keepAlive = false;
        for (int interim = 0; ; interim++) {
            int headBytes = readLine(MAX_STATUS_LINE, "status line");
            String protocol = parseStatusLine();
            int status = statusCode;
            TreeMap<String, List<String>> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            int count = 0;
            while (true) {
                headBytes += readLine(MAX_FIELD_LINE, "header line");
                if (headBytes > MAX_HEAD_BYTES) {
                    throw new ProtocolException("response head longer than " + MAX_HEAD_BYTES
                            + " bytes");
                }
                if (lineStart == lineEnd) {
                    break;
                }
                if (++count > MAX_FIELDS) {
                    throw new ProtocolException("more than " + MAX_FIELDS + " header lines");
                }
                parseField(fields, "header");
            }
            if (status < 200) {
                if (status == 101) {
                    throw new ProtocolException(
                            "101 Switching Protocols without an Upgrade request");
                }
                if (interim >= MAX_INTERIM_HEADS) {
                    throw new ProtocolException("more than " + MAX_INTERIM_HEADS
                            + " 1xx responses");
                }
                continue;
            }
            return frame(protocol, status, fields, headRequest, tunnel);
        }
    }

    /** Parses the line found last as a status line; returns the protocol, sets statusCode. */
    private String parseStatusLine() throws ProtocolException {
        byte[] a = array;
        int s = lineStart;
        int len = lineEnd - s;
        if (len < 12 || a[s] != 'H' || a[s + 1] != 'T' || a[s + 2] != 'T' || a[s + 3] != 'P'
                || a[s + 4] != '/' || a[s + 5] != '1' || a[s + 6] != '.'
                || (a[s + 7] != '0' && a[s + 7] != '1') || a[s + 8] != ' '
                || !isDigit(a[s + 9]) || !isDigit(a[s + 10]) || !isDigit(a[s + 11])
                || (len > 12 && a[s + 12] != ' ')) {
            throw new ProtocolException("bad status line: " + HttpSyntax.excerpt(a, s, lineEnd));
        }
        int status = (a[s + 9] - '0') * 100 + (a[s + 10] - '0') * 10 + (a[s + 11] - '0');
        if (status < 100 || status > 599) {
            throw new ProtocolException("bad status code: " + status);
        }
        for (int i = s + 13; i < lineEnd; i++) {
            if (!HttpSyntax.FIELD_CHAR[a[i] & 0xff]) {
                throw new ProtocolException("bad byte in reason phrase: "
                        + HttpSyntax.excerpt(a, s, lineEnd));
            }
        }
        statusCode = status;
        return a[s + 7] == '1' ? "HTTP/1.1" : "HTTP/1.0";
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Parses the line found last as a field line; adds it to {@code fields} when not null. */
    private void parseField(Map<String, List<String>> fields, String what)
            throws ProtocolException {
        byte[] a = array;
        int s = lineStart;
        int end = lineEnd;
        if (a[s] == ' ' || a[s] == '\t') {
            throw new ProtocolException("obs-fold continuation line in " + what + "s: "
                    + HttpSyntax.excerpt(a, s, end));
        }
        int i = s;
        while (i < end && HttpSyntax.TCHAR[a[i] & 0xff]) {
            i++;
        }
        if (i == end || a[i] != ':' || i == s) {
            String why = i == end ? "no colon" : a[i] == ' ' || a[i] == '\t'
                    ? "whitespace before the colon" : i == s && a[i] == ':' ? "empty name"
                    : "bad byte in the name";
            throw new ProtocolException("bad " + what + " line (" + why + "): "
                    + HttpSyntax.excerpt(a, s, end));
        }
        int nameEnd = i++;
        while (i < end && (a[i] == ' ' || a[i] == '\t')) {
            i++;
        }
        int valueEnd = end;
        while (valueEnd > i && (a[valueEnd - 1] == ' ' || a[valueEnd - 1] == '\t')) {
            valueEnd--;
        }
        for (int j = i; j < valueEnd; j++) {
            if (!HttpSyntax.FIELD_CHAR[a[j] & 0xff]) {
                throw new ProtocolException("bad byte 0x" + Integer.toHexString(a[j] & 0xff)
                        + " in " + what + " value: " + HttpSyntax.excerpt(a, s, end));
            }
        }
        if (fields != null) {
            String name = new String(a, s, nameEnd - s, StandardCharsets.ISO_8859_1);
            String value = new String(a, i, valueEnd - i, StandardCharsets.ISO_8859_1);
            fields.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
        }
    }

    /** The filter for {@link HttpHeaders#of}: every field of the head is kept. */
    private static boolean all(String name, String value) {
        return true;
    }

    /** Decides the framing of a final response and builds its head; names compare ignoring case. */
    private ResponseHead frame(String protocol, int status, Map<String, List<String>> fields,
            boolean headRequest, boolean tunnel) throws ProtocolException {
        List<String> te = fields.get("Transfer-Encoding");
        List<String> cl = fields.get("Content-Length");
        if (te != null && cl != null) {
            throw new ProtocolException("both Transfer-Encoding and Content-Length");
        }
        if (te != null) {
            if (protocol.equals("HTTP/1.0")) {
                throw new ProtocolException("Transfer-Encoding in an HTTP/1.0 response");
            }
            List<String> codings = elements(te);
            if (codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) {
                throw new ProtocolException("unsupported Transfer-Encoding: "
                        + String.join(", ", te));
            }
        }
        long length = cl == null ? -1 : contentLength(cl);
        boolean close = false;
        boolean keepAliveToken = false;
        List<String> connection = fields.get("Connection");
        if (connection != null) {
            for (String token : elements(connection)) {
                close |= token.equalsIgnoreCase("close");
                keepAliveToken |= token.equalsIgnoreCase("keep-alive");
            }
        }
        long declared;
        if (headRequest || status == 204 || status == 304 || (tunnel && status < 300)) {
            framing = Framing.NONE;
            declared = 0;
        } else if (te != null) {
            framing = Framing.CHUNKED;
            declared = -1;
        } else if (length >= 0) {
            framing = Framing.LENGTH;
            declared = length;
        } else {
            framing = Framing.CLOSE;
            declared = -1;
        }
        remaining = framing == Framing.LENGTH ? length : 0;
        chunkCrlfDue = false;
        complete = framing == Framing.NONE || (framing == Framing.LENGTH && length == 0);
        if (protocol.equals("HTTP/1.1")) {
            keepAlive = !close && framing != Framing.CLOSE;
        } else {
            // RFC 9112 section 9.3: an HTTP/1.0 connection persists only when asked, and only a
            // Content-Length lets us know where the body ends without the close.
            keepAlive = keepAliveToken && !close && length >= 0 && framing != Framing.CLOSE;
        }
        return new ResponseHead(protocol, status, HttpHeaders.of(fields, ResponseReader::all),
                declared);
    }

    /** The non-empty, trimmed elements of a comma-separated list header (RFC 9110 5.6.1). */
    private static List<String> elements(List<String> values) {
        List<String> out = new ArrayList<>(2);
        for (String value : values) {
            int from = 0;
            while (from <= value.length()) {
                int comma = value.indexOf(',', from);
                int to = comma < 0 ? value.length() : comma;
                String element = value.substring(from, to).strip();
                if (!element.isEmpty()) {
                    out.add(element);
                }
                from = to + 1;
            }
        }
        return out;
    }

    /**
     * The one length all Content-Length values agree on. RFC 9110 section 8.6 lets a recipient
     * collapse identical repeats ({@code 5, 5}); any other difference is a smuggling risk.
     */
    private static long contentLength(List<String> values) throws ProtocolException {
        long length = -1;
        for (String value : values) {
            int from = 0;
            while (from <= value.length()) {
                int comma = value.indexOf(',', from);
                int to = comma < 0 ? value.length() : comma;
                long n = digits(value.substring(from, to).strip());
                if (length >= 0 && n != length) {
                    throw new ProtocolException("Content-Length values differ: "
                            + String.join(", ", values));
                }
                length = n;
                from = to + 1;
            }
        }
        return length;
    }

    private static long digits(String s) throws ProtocolException {
        if (s.isEmpty()) {
            throw new ProtocolException("empty Content-Length");
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new ProtocolException("Content-Length is not a number: "
                        + (s.length() > 40 ? s.substring(0, 40) + "..." : s));
            }
            if (n > (Long.MAX_VALUE - (c - '0')) / 10) {
                throw new ProtocolException("Content-Length overflows: " + s.length() + " digits");
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /**
     * Reads body bytes into {@code dst}: at least one, blocking, or -1 once the body is complete.
     * Bytes already in the head buffer are copied out first; after that a Content-Length body,
     * or the data of a chunk, is read from the source straight into {@code dst}, limited so that
     * nothing past the body's end ever lands there.
     */
    int read(ByteBuffer dst) throws IOException {
        if (complete) {
            return -1;
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        switch (framing) {
            case LENGTH -> {
                int n = transfer(dst, remaining);
                if (n < 0) {
                    throw new EOFException("body ended " + remaining + " bytes before its "
                            + "Content-Length");
                }
                remaining -= n;
                complete = remaining == 0;
                return n;
            }
            case CHUNKED -> {
                return readChunked(dst);
            }
            case CLOSE -> {
                int n = transfer(dst, Long.MAX_VALUE);
                if (n < 0) {
                    complete = true;
                }
                return n;
            }
            default -> {
                complete = true;
                return -1;
            }
        }
    }

    private int readChunked(ByteBuffer dst) throws IOException {
        while (remaining == 0) {
            if (chunkCrlfDue) {
                need(2, "chunked body ended after a chunk's data");
                int p = buf.position();
                if (array[p] != '\r' || array[p + 1] != '\n') {
                    throw new ProtocolException("no CRLF after chunk data: "
                            + HttpSyntax.excerpt(array, p, p + 2));
                }
                buf.position(p + 2);
                chunkCrlfDue = false;
            }
            long size = readChunkSize();
            if (size == 0) {
                readTrailers();
                complete = true;
                return -1;
            }
            remaining = size;
        }
        int n = transfer(dst, remaining);
        if (n < 0) {
            throw new EOFException("chunked body ended inside a chunk");
        }
        remaining -= n;
        chunkCrlfDue = remaining == 0;
        return n;
    }

    /** Parses {@code 1*HEXDIG [BWS] [";" extensions]} from a chunk-size line. */
    private long readChunkSize() throws IOException {
        readLine(MAX_CHUNK_LINE, "chunk-size line");
        byte[] a = array;
        int i = lineStart;
        int end = lineEnd;
        long size = 0;
        int digits = 0;
        int d;
        while (i < end && (d = HttpSyntax.HEX[a[i] & 0xff]) >= 0) {
            if (++digits > MAX_CHUNK_SIZE_DIGITS) {
                throw new ProtocolException("chunk size longer than " + MAX_CHUNK_SIZE_DIGITS
                        + " hex digits");
            }
            size = (size << 4) | d;
            i++;
        }
        if (digits == 0 || size < 0) {
            String why = digits == 0 ? "bad chunk size: " : "chunk size overflows: ";
            throw new ProtocolException(why + HttpSyntax.excerpt(a, lineStart, end));
        }
        while (i < end && (a[i] == ' ' || a[i] == '\t')) {
            i++;
        }
        if (i < end && a[i] != ';') {
            throw new ProtocolException("bad chunk size: " + HttpSyntax.excerpt(a, lineStart, end));
        }
        for (; i < end; i++) {
            if (!HttpSyntax.FIELD_CHAR[a[i] & 0xff]) {
                throw new ProtocolException("bad byte in chunk extension: "
                        + HttpSyntax.excerpt(a, lineStart, end));
            }
        }
        return size;
    }

    /** Reads and checks the trailer section after the last chunk, then drops it. */
    private void readTrailers() throws IOException {
        int bytes = 0;
        int count = 0;
        while (true) {
            bytes += readLine(MAX_FIELD_LINE, "trailer line");
            if (bytes > MAX_TRAILER_BYTES) {
                throw new ProtocolException("trailers longer than " + MAX_TRAILER_BYTES + " bytes");
            }
            if (lineStart == lineEnd) {
                return;
            }
            if (++count > MAX_FIELDS) {
                throw new ProtocolException("more than " + MAX_FIELDS + " trailer lines");
            }
            parseField(null, "trailer");
        }
    }

    /**
     * Copies buffered bytes, or reads from the source directly into {@code dst}, at most
     * {@code max} bytes; -1 at the end of the stream.
     */
    private int transfer(ByteBuffer dst, long max) throws IOException {
        int buffered = buf.remaining();
        if (buffered > 0) {
            int n = (int) Math.min(Math.min(buffered, dst.remaining()), max);
            int p = buf.position();
            dst.put(array, p, n);
            buf.position(p + n);
            return n;
        }
        int oldLimit = dst.limit();
        if (dst.remaining() > max) {
            dst.limit(dst.position() + (int) max);
        }
        int n;
        try {
            n = source.read(dst);
        } finally {
            dst.limit(oldLimit);
        }
        if (n > 0) {
            received += n;
        }
        return n;
    }

    /**
     * Finds the next line, reading more as needed, and consumes it: afterwards
     * {@code array[lineStart, lineEnd)} is its content without CRLF or LF. Returns the bytes
     * consumed, terminator included.
     */
    private int readLine(int max, String what) throws IOException {
        int scanned = buf.position();
        while (true) {
            int p = buf.position();
            int limit = buf.limit();
            // A line of max bytes plus CR plus LF ends at p + max + 1 at the latest.
            int scanEnd = Math.min(limit, p + max + 2);
            byte[] a = array;
            for (int i = scanned; i < scanEnd; i++) {
                if (a[i] == '\n') {
                    int end = i > p && a[i - 1] == '\r' ? i - 1 : i;
                    if (end - p > max) {
                        break;
                    }
                    for (int j = p; j < end; j++) {
                        if (a[j] == '\r') {
                            throw new ProtocolException("bare CR in a " + what + ": "
                                    + HttpSyntax.excerpt(a, p, end));
                        }
                    }
                    lineStart = p;
                    lineEnd = end;
                    buf.position(i + 1);
                    return i + 1 - p;
                }
            }
            if (limit - p >= max + 2 || scanEnd < limit) {
                throw new ProtocolException(what + " longer than " + max + " bytes");
            }
            scanned = limit - p;
            if (fill() < 0) {
                throw new EOFException(received == headStart
                        ? "connection closed before any response byte"
                        : "connection closed in the middle of a " + what);
            }
        }
    }

    /** Makes sure {@code n} bytes are buffered, or throws {@link EOFException}. */
    private void need(int n, String eofMessage) throws IOException {
        while (buf.remaining() < n) {
            if (fill() < 0) {
                throw new EOFException(eofMessage);
            }
        }
    }

    /** Moves unread bytes to the front and reads more behind them; -1 at the end of stream. */
    private int fill() throws IOException {
        buf.compact();
        int n;
        try {
            n = source.read(buf);
        } finally {
            buf.flip();
        }
        if (n > 0) {
            received += n;
        }
        return n;
    }

    /** Whether the body has been read to its end (always true between responses). */
    boolean complete() {
        return complete;
    }

    /**
     * Whether the connection may carry another request: the body is complete, the response
     * allowed persistence, and no byte past the response is buffered.
     */
    boolean reusable() {
        return complete && keepAlive && !buf.hasRemaining();
    }

    /** Whether bytes that no response has claimed yet sit in the buffer. */
    boolean hasBuffered() {
        return buf.hasRemaining();
    }

    /** The framing of the current response. */
    Framing framing() {
        return framing;
    }

    /** Whether the current response allowed the connection to persist. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** Bytes taken from the source so far; a caller compares two readings. */
    long received() {
        return received;
    }

    /** The head buffer's size: it never grows. */
    int bufferCapacity() {
        return array.length;
    }
}
