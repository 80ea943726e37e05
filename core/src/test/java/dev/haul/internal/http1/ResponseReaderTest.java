package dev.haul.internal.http1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.http1.ResponseReader.Framing;
import dev.haul.testing.TestBodies;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The response parser on in-memory bytes, fed whole, one byte per read and in random pieces:
 * every framing, the keep-alive decision, every limit at and one past its bound, and every
 * malformation the transport must refuse.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ResponseReaderTest {
    /** How the bytes reach the parser. */
    enum Feed {
        WHOLE(MemorySource::whole),
        ONE_BYTE(MemorySource::oneByteAtATime),
        RANDOM(data -> new MemorySource(data, 700, new SplittableRandom(data.length)));

        final Function<byte[], MemorySource> source;

        Feed(Function<byte[], MemorySource> source) {
            this.source = source;
        }
    }

    /** What the parser made of a response. */
    record Outcome(ResponseHead head, byte[] body, Framing framing, boolean keepAlive,
                   boolean reusable, ResponseReader reader, MemorySource source) {
        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    static Outcome parse(String wire) throws IOException {
        return parse(wire.getBytes(StandardCharsets.ISO_8859_1), false, Feed.WHOLE, 8192);
    }

    static Outcome parse(byte[] wire, boolean headRequest, Feed feed, int dstBytes)
            throws IOException {
        MemorySource source = feed.source.apply(wire);
        ResponseReader reader = new ResponseReader(source);
        ResponseHead head = reader.readHead(headRequest, false);
        Framing framing = reader.framing();
        boolean keepAlive = reader.keepAlive();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteBuffer dst = ByteBuffer.allocate(dstBytes);
        for (int calls = 0; ; calls++) {
            if (calls > wire.length + 10) {
                throw new AssertionError("read() makes no progress");
            }
            dst.clear();
            int n = reader.read(dst);
            if (n < 0) {
                break;
            }
            assertEquals(n, dst.position(), "read() reports what it put");
            body.write(dst.array(), 0, n);
        }
        assertEquals(-1, reader.read(ByteBuffer.allocate(1)), "the end stays the end");
        return new Outcome(head, body.toByteArray(), framing, keepAlive, reader.reusable(), reader,
                source);
    }

    private static String ok(String headers, String body) {
        return "HTTP/1.1 200 OK\r\n" + headers + "\r\n" + body;
    }

    @ParameterizedTest
    @MethodSource("feeds")
    void contentLengthBodyIsDeliveredExactly(Feed feed) throws IOException {
        byte[] body = TestBodies.bytes(100_000);
        byte[] wire = concat(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), body);
        Outcome o = parse(wire, false, feed, 64 * 1024);
        assertEquals(200, o.head().status());
        assertEquals(100_000, o.head().contentLength());
        assertArrayEquals(body, o.body());
        assertEquals(Framing.LENGTH, o.framing());
        assertTrue(o.reusable());
    }

    @ParameterizedTest
    @MethodSource("feeds")
    void chunkedBodyWithExtensionsAndTrailersIsDecoded(Feed feed) throws IOException {
        String wire = ok("Transfer-Encoding: chunked\r\n", "5;name=value;x=\"q;s\"\r\nhello\r\n"
                + "1 \r\n \r\n00000006\r\nworld!\r\nA\r\n0123456789\r\n"
                + "0;last\r\nX-Trailer: one\r\nChecksum: abc\r\n\r\n");
        Outcome o = parse(ascii(wire), false, feed, 3);
        assertEquals("hello world!0123456789", o.text());
        assertEquals(-1, o.head().contentLength());
        assertEquals(Framing.CHUNKED, o.framing());
        assertTrue(o.reusable());
    }

    @Test
    void chunkedBodyOfManyChunksGoesStraightToTheCaller() throws IOException {
        byte[] body = TestBodies.random(300_000, 7);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        for (int off = 0; off < body.length; off += 40_000) {
            int n = Math.min(40_000, body.length - off);
            wire.writeBytes(ascii(Integer.toHexString(n) + "\r\n"));
            wire.write(body, off, n);
            wire.writeBytes(ascii("\r\n"));
        }
        wire.writeBytes(ascii("0\r\n\r\n"));
        for (Feed feed : Feed.values()) {
            assertArrayEquals(body, parse(wire.toByteArray(), false, feed, 256 * 1024).body());
        }
    }

    @Test
    void closeDelimitedBodyRunsToTheEnd() throws IOException {
        Outcome o = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it");
        assertEquals("all of it", o.text());
        assertEquals(-1, o.head().contentLength());
        assertEquals(Framing.CLOSE, o.framing());
        assertFalse(o.keepAlive());
        Outcome ten = parse("HTTP/1.0 200 OK\r\n\r\nold server");
        assertEquals("HTTP/1.0", ten.head().protocol());
        assertEquals("old server", ten.text());
        assertFalse(ten.reusable());
    }

    @Test
    void bodilessResponsesHaveNoBodyWhateverTheyDeclare() throws IOException {
        Outcome noContent = parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
        assertEquals(0, noContent.head().contentLength());
        assertEquals(0, noContent.body().length);
        assertTrue(noContent.reusable());
        Outcome notModified =
                parse("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertEquals(0, notModified.body().length);
        assertTrue(notModified.reusable());
        Outcome head = parse(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), true,
                Feed.WHOLE, 100);
        assertEquals(0, head.head().contentLength());
        assertEquals("1000", head.head().header("content-length"), "the header is kept for HEAD");
        assertTrue(head.reusable());
    }

    @Test
    void informationalHeadsAreSkipped() throws IOException {
        Outcome o = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                + "Link: </s.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertEquals(200, o.head().status());
        assertEquals("ok", o.text());
        assertEquals(null, o.head().header("Link"), "headers of a 1xx are not the response's");
    }

    @Test
    void keepAliveFollowsTheProtocolVersionAndConnectionHeader() throws IOException {
        assertTrue(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").reusable());
        assertFalse(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .reusable());
        assertFalse(parse("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\n"
                + "Content-Length: 0\r\n\r\n").reusable());
        assertTrue(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx")
                .reusable());
        assertFalse(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx").reusable());
        assertFalse(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nx").reusable());
        assertFalse(parse("HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n").reusable(),
                "HTTP/1.0 persists only with a Content-Length");
    }

    @Test
    void bytesAfterTheBodyAreNeverDeliveredAndMakeTheConnectionUnusable() throws IOException {
        for (Feed feed : Feed.values()) {
            Outcome o = parse(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA BYTES"),
                    false, feed, 64);
            assertEquals("hello", o.text());
            assertTrue(o.keepAlive());
            assertTrue(!o.reusable() || !o.source().exhausted(),
                    "buffered extra bytes make it unusable; unread ones the pool probe catches");
            Outcome chunked = parse(ascii(ok("Transfer-Encoding: chunked\r\n",
                    "2\r\nhi\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n")), false, feed, 64);
            assertEquals("hi", chunked.text());
            assertTrue(!chunked.reusable() || !chunked.source().exhausted());
        }
    }

    @Test
    void identicalContentLengthsCollapse() throws IOException {
        assertEquals("abc", parse(ok("Content-Length: 3\r\nContent-Length: 3\r\n", "abc")).text());
        assertEquals("abc", parse(ok("Content-Length: 3, 3\r\n", "abc")).text());
        assertEquals("abc", parse(ok("Content-Length: 003\r\n", "abc")).text());
    }

    @Test
    void headerValuesAreTrimmedAndKeptInOrder() throws IOException {
        Outcome o = parse(ok("Set-Cookie:  a=1 \t\r\nset-cookie:b=2\r\nX-Empty:\r\n"
                + "X-Latin: caf\u00e9\r\nContent-Length: 0\r\n", ""));
        assertEquals(List.of("a=1", "b=2"), o.head().headers().allValues("Set-Cookie"));
        assertEquals("", o.head().header("x-empty"));
        assertEquals("caf\u00e9", o.head().header("X-Latin"), "obs-text is ISO-8859-1");
    }

    @Test
    void bareLfLineEndingsAreAccepted() throws IOException {
        Outcome o = parse("HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
        assertEquals("ok", o.text());
        assertEquals("chunk",
                parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nchunk\r\n0\n\n")
                .text());
    }

    static Stream<Feed> feeds() {
        return Stream.of(Feed.values());
    }

    /** Responses that break HTTP/1.1 in a way that must never be accepted. */
    static Stream<Arguments> malformed() {
        return Stream.of(
                bad("empty status line", "\r\nHTTP/1.1 200 OK\r\n\r\n"),
                bad("not HTTP", "ICY 200 OK\r\n\r\n"),
                bad("HTTP/2 status line", "HTTP/2 200\r\n\r\n"),
                bad("HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n"),
                bad("lower-case name", "http/1.1 200 OK\r\n\r\n"),
                bad("two-digit status", "HTTP/1.1 20 OK\r\n\r\n"),
                bad("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"),
                bad("status 099", "HTTP/1.1 099 Low\r\n\r\n"),
                bad("status 600", "HTTP/1.1 600 High\r\n\r\n"),
                bad("letters in status", "HTTP/1.1 2x0 OK\r\n\r\n"),
                bad("no space after version", "HTTP/1.1\t200 OK\r\n\r\n"),
                bad("NUL in reason", "HTTP/1.1 200 O\u0000K\r\n\r\n"),
                bad("bare CR in status line", "HTTP/1.1 200 O\rK\r\n\r\n"),
                bad("101 never asked for", "HTTP/1.1 101 Switching Protocols\r\n\r\n"),
                bad("header without colon", ok("Content-Length 5\r\n", "hello")),
                bad("space before colon", ok("Content-Length : 5\r\n", "hello")),
                bad("tab before colon", ok("Content-Length\t: 5\r\n", "hello")),
                bad("empty header name", ok(": value\r\n", "")),
                bad("bad byte in name", ok("Cont(ent: x\r\n", "")),
                bad("non-ASCII name", ok("Caf\u00e9: x\r\n", "")),
                bad("obs-fold", ok("X-A: one\r\n  two\r\nContent-Length: 0\r\n", "")),
                bad("obs-fold with tab", ok("X-A: one\r\n\ttwo\r\nContent-Length: 0\r\n", "")),
                bad("leading space before the first header", "HTTP/1.1 200 OK\r\n X: y\r\n\r\n"),
                bad("bare CR in value", ok("X-A: one\rtwo\r\nContent-Length: 0\r\n", "")),
                bad("NUL in value", ok("X-A: one\u0000two\r\nContent-Length: 0\r\n", "")),
                bad("control byte in value", ok("X-A: \u0001\r\nContent-Length: 0\r\n", "")),
                bad("DEL in value", ok("X-A: \u007f\r\nContent-Length: 0\r\n", "")),
                bad("CL and TE", ok("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                        "0\r\n\r\n")),
                bad("TE and CL", ok("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", "")),
                bad("CL and TE on a 204", "HTTP/1.1 204 No\r\nContent-Length: 0\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n"),
                bad("gzip, chunked", ok("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n")),
                bad("chunked, chunked", ok("Transfer-Encoding: chunked, chunked\r\n",
                        "0\r\n\r\n")),
                bad("two TE lines", ok("Transfer-Encoding: chunked\r\n"
                        + "Transfer-Encoding: chunked\r\n", "0\r\n\r\n")),
                bad("TE identity", ok("Transfer-Encoding: identity\r\n", "")),
                bad("TE with parameter", ok("Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n")),
                bad("TE in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\n"),
                bad("different Content-Lengths", ok("Content-Length: 5\r\nContent-Length: 6\r\n",
                        "hello!")),
                bad("different Content-Lengths in a list",
                        ok("Content-Length: 5, 6\r\n", "hello!")),
                bad("negative Content-Length", ok("Content-Length: -6\r\n", "")),
                bad("signed Content-Length", ok("Content-Length: +6\r\n", "hello!")),
                bad("word Content-Length", ok("Content-Length: crap\r\n", "")),
                bad("hex Content-Length", ok("Content-Length: 0x10\r\n", "")),
                bad("decimal Content-Length", ok("Content-Length: 5.0\r\n", "hello")),
                bad("space inside Content-Length", ok("Content-Length: 1 0\r\n", "")),
                bad("empty Content-Length", ok("Content-Length:\r\n", "")),
                bad("trailing comma Content-Length", ok("Content-Length: 5,\r\n", "hello")),
                bad("overflowing Content-Length", ok("Content-Length: 9223372036854775808\r\n",
                        "")),
                bad("huge Content-Length", ok("Content-Length: 99999999999999999999999\r\n", "")),
                bad("chunk size not hex", ok("Transfer-Encoding: chunked\r\n", "zz\r\n")),
                bad("empty chunk size", ok("Transfer-Encoding: chunked\r\n", "\r\nabc")),
                bad("negative chunk size", ok("Transfer-Encoding: chunked\r\n", "-5\r\nhello")),
                bad("0x chunk size", ok("Transfer-Encoding: chunked\r\n", "0x5\r\nhello\r\n")),
                bad("17 hex digits", ok("Transfer-Encoding: chunked\r\n",
                        "00000000000000005\r\nhello\r\n0\r\n\r\n")),
                bad("chunk size overflows", ok("Transfer-Encoding: chunked\r\n",
                        "8000000000000000\r\n")),
                bad("junk after chunk size", ok("Transfer-Encoding: chunked\r\n",
                        "5 x\r\nhello\r\n0\r\n\r\n")),
                bad("bare CR in chunk line", ok("Transfer-Encoding: chunked\r\n",
                        "5;a\rb\r\nhello\r\n0\r\n\r\n")),
                bad("NUL in chunk extension", ok("Transfer-Encoding: chunked\r\n",
                        "5;a\u0000\r\nhello\r\n0\r\n\r\n")),
                bad("no CRLF after chunk data", ok("Transfer-Encoding: chunked\r\n",
                        "5\r\nhelloX\r\n0\r\n\r\n")),
                bad("LF only after chunk data", ok("Transfer-Encoding: chunked\r\n",
                        "5\r\nhello\n0\r\n\r\n")),
                bad("chunk longer than its size", ok("Transfer-Encoding: chunked\r\n",
                        "3\r\nhello\r\n0\r\n\r\n")),
                bad("bad trailer", ok("Transfer-Encoding: chunked\r\n",
                        "0\r\nNo colon here\r\n\r\n")),
                bad("obs-fold in trailers", ok("Transfer-Encoding: chunked\r\n",
                        "0\r\nA: b\r\n c\r\n\r\n")));
    }

    private static Arguments bad(String name, String wire) {
        return Arguments.of(name, wire);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedResponsesAreProtocolErrors(String name, String wire) {
        for (Feed feed : Feed.values()) {
            assertThrows(ProtocolException.class,
                    () -> parse(ascii(wire), false, feed, 16), name + " fed " + feed);
        }
    }

    /** Responses cut short by the end of the stream. */
    static Stream<Arguments> truncated() {
        return Stream.of(
                bad("nothing at all", ""),
                bad("half a status line", "HTTP/1.1 20"),
                bad("head without its end", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"),
                bad("Content-Length body cut", ok("Content-Length: 75\r\n", "hello")),
                bad("empty Content-Length body cut", ok("Content-Length: 1\r\n", "")),
                bad("chunked body cut before the last chunk", ok("Transfer-Encoding: chunked\r\n",
                        "5\r\nhello\r\n")),
                bad("chunked body cut inside a chunk", ok("Transfer-Encoding: chunked\r\n",
                        "a\r\nhello")),
                bad("chunked body cut inside a size line", ok("Transfer-Encoding: chunked\r\n",
                        "5\r\nhello\r\n1")),
                bad("chunked body cut before the CRLF", ok("Transfer-Encoding: chunked\r\n",
                        "5\r\nhello")),
                bad("chunked body cut in the CRLF", ok("Transfer-Encoding: chunked\r\n",
                        "5\r\nhello\r")),
                bad("chunked body cut in the trailers", ok("Transfer-Encoding: chunked\r\n",
                        "0\r\nX-A: b\r\n")),
                bad("chunked body without the final CRLF", ok("Transfer-Encoding: chunked\r\n",
                        "0\r\n")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("truncated")
    void truncatedResponsesAreEofErrors(String name, String wire) {
        for (Feed feed : Feed.values()) {
            assertThrows(EOFException.class, () -> parse(ascii(wire), false, feed, 16),
                    name + " fed " + feed);
        }
    }

    @Test
    void statusLineLimit() throws IOException {
        String reason = "x".repeat(ResponseReader.MAX_STATUS_LINE - "HTTP/1.1 200 ".length());
        assertEquals(200, parse("HTTP/1.1 200 " + reason + "\r\nContent-Length: 0\r\n\r\n")
                .head().status());
        assertThrows(ProtocolException.class,
                () -> parse("HTTP/1.1 200 " + reason + "y\r\nContent-Length: 0\r\n\r\n"));
        // Without a line end the parser gives up at the limit, not at the end of the stream.
        byte[] endless = ascii("HTTP/1.1 200 " + "x".repeat(1 << 20));
        MemorySource source = MemorySource.whole(endless);
        assertThrows(ProtocolException.class,
                () -> new ResponseReader(source).readHead(false, false));
        assertTrue(source.position() <= ResponseReader.BUFFER_BYTES,
                "read no further than a buffer");
    }

    @Test
    void headerLineLimit() throws IOException {
        String value = "v".repeat(ResponseReader.MAX_FIELD_LINE - "X-Long: ".length());
        assertEquals(value, parse(ok("X-Long: " + value + "\r\nContent-Length: 0\r\n", ""))
                .head().header("X-Long"));
        assertThrows(ProtocolException.class,
                () -> parse(ok("X-Long: " + value + "w\r\nContent-Length: 0\r\n", "")));
        assertThrows(ProtocolException.class,
                () -> parse(ok("X-Long: " + "v".repeat(1 << 20) + "\r\n", "")));
    }

    @Test
    void headerCountLimit() throws IOException {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < ResponseReader.MAX_FIELDS - 1; i++) {
            headers.append("X-H").append(i).append(": v\r\n");
        }
        headers.append("Content-Length: 0\r\n");
        assertEquals(200, parse(ok(headers.toString(), "")).head().status());
        assertThrows(ProtocolException.class,
                () -> parse(ok(headers + "X-One-Too-Many: v\r\n", "")));
    }

    @Test
    void headSizeLimit() throws IOException {
        // 99 lines of about 650 bytes: under the count limit, under the line limit, over 64 KiB.
        String value = "v".repeat(650);
        StringBuilder headers = new StringBuilder();
        int bytes = "HTTP/1.1 200 OK\r\n".length() + 2;
        int lines = 0;
        while (bytes + 660 < ResponseReader.MAX_HEAD_BYTES) {
            String line = "X-H" + lines++ + ": " + value + "\r\n";
            headers.append(line);
            bytes += line.length();
        }
        assertEquals(200, parse(ok(headers.toString(), "")).head().status());
        String over = "X-Over: " + "v".repeat(ResponseReader.MAX_HEAD_BYTES - bytes) + "\r\n";
        assertThrows(ProtocolException.class, () -> parse(ok(headers + over, "")));
    }

    @Test
    void interimHeadLimit() throws IOException {
        String interim = "HTTP/1.1 100 Continue\r\n\r\n";
        String last = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        assertEquals(200, parse(interim.repeat(ResponseReader.MAX_INTERIM_HEADS) + last)
                .head().status());
        assertThrows(ProtocolException.class,
                () -> parse(interim.repeat(ResponseReader.MAX_INTERIM_HEADS + 1) + last));
        assertThrows(ProtocolException.class, () -> parse(interim.repeat(100_000)));
    }

    @Test
    void chunkSizeLineLimits() throws IOException {
        String te = "Transfer-Encoding: chunked\r\n";
        assertEquals("hello", parse(ok(te, "0000000000000005\r\nhello\r\n0\r\n\r\n")).text());
        String ext = ";e=" + "x".repeat(ResponseReader.MAX_CHUNK_LINE - 4);
        assertEquals("hello", parse(ok(te, "5" + ext + "\r\nhello\r\n0\r\n\r\n")).text());
        assertThrows(ProtocolException.class,
                () -> parse(ok(te, "5" + ext + "x\r\nhello\r\n0\r\n\r\n")));
        assertThrows(ProtocolException.class,
                () -> parse(ok(te, "5;" + "x".repeat(1 << 20))));
    }

    @Test
    void hugeChunkSizeIsReadAsDeclaredUntilTheStreamEnds() {
        // 7fff ffff ffff ffff is a legal size: the body simply ends too early.
        assertThrows(EOFException.class, () -> parse(ok("Transfer-Encoding: chunked\r\n",
                "7fffffffffffffff\r\nabc")));
    }

    @Test
    void trailerLimits() throws IOException {
        String te = "Transfer-Encoding: chunked\r\n";
        StringBuilder trailers = new StringBuilder();
        int bytes = "\r\n".length();
        while (bytes + 1100 < ResponseReader.MAX_TRAILER_BYTES) {
            String line = "T" + bytes + ": " + "t".repeat(1000) + "\r\n";
            trailers.append(line);
            bytes += line.length();
        }
        assertEquals("", parse(ok(te, "0\r\n" + trailers + "\r\n")).text());
        String over = "T-Over: " + "t".repeat(ResponseReader.MAX_TRAILER_BYTES - bytes) + "\r\n";
        assertThrows(ProtocolException.class,
                () -> parse(ok(te, "0\r\n" + trailers + over + "\r\n")));
        assertThrows(ProtocolException.class,
                () -> parse(ok(te, "0\r\n" + "T: t\r\n".repeat(ResponseReader.MAX_FIELDS + 1)
                        + "\r\n")));
    }

    @Test
    void theBufferNeverGrows() throws IOException {
        byte[] body = TestBodies.bytes(1 << 20);
        Outcome o = parse(concat(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                + "\r\n\r\n"), body), false, Feed.RANDOM, 100_000);
        assertArrayEquals(body, o.body());
        assertEquals(ResponseReader.BUFFER_BYTES, o.reader().bufferCapacity());
    }

    @Test
    void aTunnelAnswerHasNoBody() throws IOException {
        MemorySource source = MemorySource.whole(ascii(
                "HTTP/1.1 200 Connection established\r\nContent-Length: 99\r\n\r\n"));
        ResponseReader reader = new ResponseReader(source);
        assertEquals(200, reader.readHead(false, true).status());
        assertTrue(reader.complete());
        assertFalse(reader.hasBuffered());
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
