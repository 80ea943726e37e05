package dev.haul.internal.http1;

import java.net.http.HttpHeaders;
import static dev.haul.internal.http1.Bodies.DIRECT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.http.TransportConfig;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.Script;
import dev.haul.testing.SilentServer;
import dev.haul.testing.TestBodies;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The transport over plain TCP against {@link FaultServer}: framings, keep-alive reuse and when a
 * connection must not be reused, the stale-connection retry, the request on the wire, header
 * injection, connect failures, the pool's limits and the transport's close.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class Http1TransportTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private FaultServer server;
    private Http1Transport transport;
    private final byte[] body = TestBodies.bytes(100_000);

    @BeforeEach
    void start() throws IOException {
        server = FaultServer.start();
        transport = new Http1Transport(DIRECT);
    }

    @AfterEach
    void stop() {
        transport.close();
        server.close();
    }

    private Bodies.Result get(String path, String... headers) throws IOException {
        return Bodies.get(transport, server.uri(path), headers);
    }

    @Test
    void contentLengthBodyArrivesWhole() throws IOException {
        server.always("/f", Responses.ok(body));
        Bodies.Result r = get("/f");
        assertEquals(200, r.head().status());
        assertEquals("HTTP/1.1", r.head().protocol());
        assertEquals(body.length, r.head().contentLength());
        assertArrayEquals(body, r.body());
    }

    @Test
    void chunkedBodyArrivesWholeEvenOneByteAtATime() throws IOException {
        server.enqueue("/c", Responses.okChunked(body, 777), Responses.okChunked(
                TestBodies.bytes(3000), 100).throttled(1, 0));
        Bodies.Result r = get("/c");
        assertEquals(-1, r.head().contentLength());
        assertArrayEquals(body, r.body());
        assertArrayEquals(TestBodies.bytes(3000), get("/c").body());
        assertEquals(1, server.connectionCount(),
                "a chunked body read to its end keeps the connection");
    }

    @Test
    void chunkExtensionsAndTrailersAreHandled() throws IOException {
        server.enqueue("/c", Script.builder().head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked")
                .write("4;ext=\"v\"\r\nwiki\r\n5;a;b=c\r\npedia\r\n0\r\nChecksum: x\r\n\r\n")
                .keepAlive().build());
        server.always("/f", Responses.ok("again"));
        assertEquals("wikipedia", new String(get("/c").body(), StandardCharsets.ISO_8859_1));
        assertEquals("again", new String(get("/f").body(), StandardCharsets.ISO_8859_1));
        assertEquals(1, server.connectionCount());
    }

    @Test
    void closeDelimitedBodiesEndAtTheServersClose() throws IOException {
        server.enqueue("/f", Responses.ok(body).closeDelimited(),
                Responses.ok(body).closeDelimited().withVersion("HTTP/1.0"));
        assertArrayEquals(body, get("/f").body());
        Bodies.Result ten = get("/f");
        assertEquals("HTTP/1.0", ten.head().protocol());
        assertArrayEquals(body, ten.body());
        assertEquals(2, server.connectionCount());
    }

    @Test
    void keepAliveReusesOneConnection() throws IOException {
        server.always("/f", Responses.ok(body));
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(body, get("/f").body());
        }
        assertEquals(1, server.connectionCount());
        assertEquals(10, server.requests().size());
        assertEquals(9, server.requests().get(9).connectionSequence());
    }

    @Test
    void connectionCloseIsNeverReused() throws IOException {
        server.always("/f", Responses.ok(body).closeAfter());
        get("/f");
        get("/f");
        assertEquals(2, server.connectionCount());
    }

    @Test
    void http10IsReusedOnlyWithKeepAliveAndContentLength() throws IOException {
        server.enqueue("/ka", Responses.rawKeepAlive("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
                + "Content-Length: 2\r\n\r\nok"), Responses.ok("second"));
        assertEquals("ok", new String(get("/ka").body(), StandardCharsets.ISO_8859_1));
        get("/ka");
        assertEquals(1, server.connectionCount());
        server.enqueue("/plain", Responses.ok("x").withVersion("HTTP/1.0"), Responses.ok("y"));
        get("/plain");
        get("/plain");
        List<RecordedRequest> plain = server.requests("/plain");
        assertTrue(plain.get(0).connectionId() != plain.get(1).connectionId(),
                "HTTP/1.0 without keep-alive is not reused");
    }

    @Test
    void aPartlyReadBodyClosesTheConnection() throws Exception {
        server.always("/f", Responses.ok(body));
        try (Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build())) {
            ex.send();
            assertTrue(ex.read(ByteBuffer.allocate(1000)) > 0);
        }
        assertTrue(server.awaitClientClosed(0, WAIT));
        assertArrayEquals(body, get("/f").body());
        assertEquals(2, server.connectionCount());
    }

    @Test
    void anUnreadBodyClosesTheConnection() throws Exception {
        server.always("/f", Responses.ok(body));
        try (Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build())) {
            assertEquals(200, ex.send().status());
        }
        assertTrue(server.awaitClientClosed(0, WAIT));
    }

    @Test
    void extraBytesAfterTheBodyAreNeverDeliveredAndTheConnectionIsDropped() throws Exception {
        server.enqueue("/f", Responses.rawKeepAlive(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n\r\n"));
        server.always("/f", Responses.ok("fresh"));
        assertEquals("hello", new String(get("/f").body(), StandardCharsets.ISO_8859_1));
        assertEquals("fresh", new String(get("/f").body(), StandardCharsets.ISO_8859_1));
        assertEquals(2, server.connectionCount());
        assertTrue(server.awaitClientClosed(0, WAIT));
    }

    @Test
    void extraBytesArrivingWhileIdleMakeThePooledConnectionStale() throws Exception {
        CountDownLatch sent = new CountDownLatch(1);
        CountDownLatch extraWritten = new CountDownLatch(1);
        try (ServerSocket raw = bindLoopback()) {
            RawServer first = serveRaw(raw, socket -> {
                readHead(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                sent.await();
                out.write(ascii("garbage"));
                extraWritten.countDown();
                assertEquals(-1, socket.getInputStream().read(), "no second request on it");
            });
            URI uri = URI.create("http://127.0.0.1:" + raw.getLocalPort() + "/f");
            assertEquals("ok", new String(Bodies.get(transport, uri).body(),
                    StandardCharsets.ISO_8859_1));
            sent.countDown();
            assertTrue(extraWritten.await(5, TimeUnit.SECONDS));
            RawServer second = serveRaw(raw, socket -> {
                readHead(socket.getInputStream());
                socket.getOutputStream().write(
                        ascii("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"));
            });
            // Loopback delivers the bytes before write() returns: the probe sees them.
            assertEquals("new", new String(Bodies.get(transport, uri).body(),
                    StandardCharsets.ISO_8859_1));
            first.finish();
            transport.close();
            second.finish();
        }
    }

    @Test
    void informationalResponsesAreSkipped() throws IOException {
        server.enqueue("/f", Responses.rawKeepAlive("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        server.always("/f", Responses.ok("x"));
        Bodies.Result r = get("/f");
        assertEquals(200, r.head().status());
        assertEquals("ok", new String(r.body(), StandardCharsets.ISO_8859_1));
        get("/f");
        assertEquals(1, server.connectionCount());
    }

    @Test
    void headHasNoBodyAndKeepsTheConnection() throws IOException {
        server.always("/f", Responses.ok(body));
        Bodies.Result r = Bodies.head(transport, server.uri("/f"));
        assertEquals(0, r.head().contentLength());
        assertEquals(String.valueOf(body.length), r.head().header("Content-Length"));
        assertEquals(0, r.body().length);
        assertArrayEquals(body, get("/f").body());
        assertEquals(1, server.connectionCount());
        assertEquals("HEAD", server.requests().get(0).method());
    }

    @Test
    void noContentAndNotModifiedHaveNoBodyWhateverTheyDeclare() throws IOException {
        server.enqueue("/f", Responses.rawKeepAlive("HTTP/1.1 204 No Content\r\n\r\n"),
                Responses.rawKeepAlive("HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n"
                        + "ETag: \"x\"\r\n\r\n"), Responses.ok("after"));
        Bodies.Result noContent = get("/f");
        assertEquals(204, noContent.head().status());
        assertEquals(0, noContent.head().contentLength());
        Bodies.Result notModified = get("/f");
        assertEquals(304, notModified.head().status());
        assertEquals(0, notModified.body().length);
        assertEquals("after", new String(get("/f").body(), StandardCharsets.ISO_8859_1));
        assertEquals(1, server.connectionCount());
    }

    @Test
    void aStalePooledConnectionIsRetriedOnceOnAFreshOne() throws IOException {
        server.enqueue("/f", Responses.ok(body), Responses.emptyReply(), Responses.ok(body),
                Responses.resetBeforeResponse(), Responses.ok(body));
        assertArrayEquals(body, get("/f").body());
        assertArrayEquals(body, get("/f").body(), "FIN before any byte: retried");
        assertArrayEquals(body, get("/f").body(), "RST before any byte: retried");
        assertEquals(5, server.requests().size());
        assertEquals(3, server.connectionCount());
    }

    @Test
    void aReusedConnectionIsNotRetriedOnceAResponseByteArrived() throws IOException {
        server.enqueue("/f", Responses.ok(body), Responses.raw("HTTP/1.1 200 OK\r\nContent-Le"));
        server.always("/f", Responses.ok(body));
        get("/f");
        assertThrows(EOFException.class, () -> get("/f"));
        assertEquals(2, server.requests().size());
    }

    @Test
    void aFreshConnectionIsNotRetried() throws IOException {
        server.enqueue("/f", Responses.emptyReply());
        server.always("/f", Responses.ok(body));
        IOException e = assertThrows(EOFException.class, () -> get("/f"));
        assertTrue(e.getMessage().contains("before any response byte"), e.getMessage());
        assertEquals(1, server.requests().size());
    }

    @Test
    void aRetryHappensOnlyOnce() throws IOException {
        server.enqueue("/f", Responses.ok(body), Responses.emptyReply(), Responses.emptyReply());
        server.always("/f", Responses.ok(body));
        get("/f");
        assertThrows(EOFException.class, () -> get("/f"));
        assertEquals(3, server.requests().size());
    }

    @Test
    void aPooledConnectionTheServerClosedIsNotUsed() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        try (ServerSocket raw = bindLoopback()) {
            RawServer first = serveRaw(raw, socket -> {
                readHead(socket.getInputStream());
                socket.getOutputStream().write(
                        ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                socket.shutdownOutput();
                closed.countDown();
                assertEquals(-1, socket.getInputStream().read(), "no request after our FIN");
            });
            URI uri = URI.create("http://127.0.0.1:" + raw.getLocalPort() + "/f");
            Bodies.get(transport, uri);
            assertTrue(closed.await(5, TimeUnit.SECONDS));
            // Loopback delivers the FIN before shutdownOutput() returns: the probe sees it.
            RawServer second = serveRaw(raw, socket -> {
                readHead(socket.getInputStream());
                socket.getOutputStream().write(
                        ascii("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"));
            });
            assertEquals("new", new String(Bodies.get(transport, uri).body(),
                    StandardCharsets.ISO_8859_1));
            first.finish();
            transport.close();
            second.finish();
        }
    }

    @Test
    void freshConnectionIsNeverAPooledOne() throws IOException {
        server.always("/f", Responses.ok(body));
        get("/f");
        try (Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f"))
                .freshConnection(true).build())) {
            ex.send();
            Bodies.readAll(ex);
        }
        assertEquals(2, server.connectionCount());
        get("/f");
        assertEquals(2, server.connectionCount(), "the fresh connection went to the pool after");
        assertEquals(2, transport.pool().idleCount());
    }

    @Test
    void theRequestOnTheWireIsExact() throws Exception {
        server.always("/p/a%20b", Responses.ok("x"));
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/p/a%20b?q=1&r=%2F#frag");
        Bodies.get(transport, uri, "User-Agent", "haul-test", "Range", "bytes=0-",
                "X-Order", "3", "x-order", "4");
        assertEquals("GET /p/a%20b?q=1&r=%2F HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nUser-Agent: haul-test\r\nRange: bytes=0-\r\nX-Order: 3\r\n"
                + "x-order: 4\r\n\r\n",
                server.requests().get(0).rawHead());
        assertNull(server.requests().get(0).header("Accept-Encoding"));
    }

    @Test
    void nonAsciiInThePathGoesOutPercentEncoded() throws Exception {
        server.always("/caf%C3%A9", Responses.ok("x"));
        URI uri = new URI("http", null, "127.0.0.1", server.port(), "/caf\u00e9", null, null);
        Bodies.get(transport, uri);
        assertEquals("GET /caf%C3%A9 HTTP/1.1", server.requests().get(0).requestLine());
    }

    @Test
    void emptyPathIsSlash() throws Exception {
        server.always("/", Responses.ok("x"));
        Bodies.get(transport, URI.create("http://127.0.0.1:" + server.port()));
        assertEquals("GET / HTTP/1.1", server.requests().get(0).requestLine());
    }

    @Test
    void hostCarriesThePortOnlyWhenItIsNotTheDefault() {
        assertEquals("example.com", host("http://example.com/"));
        assertEquals("example.com", host("http://example.com:80/"));
        assertEquals("example.com:443", host("http://example.com:443/"));
        assertEquals("example.com", host("https://example.com:443/"));
        assertEquals("Example.COM:8443", host("https://Example.COM:8443/"));
        assertEquals("[::1]", host("http://[::1]/"));
        assertEquals("[::1]:8080", host("http://[::1]:8080/"));
    }

    private String host(String uri) {
        URI u = URI.create(uri);
        return RequestWriter.hostHeader(u,
                transport.key(u, ProxyRoute.DIRECT));
    }

    @Test
    void headerInjectionIsRefusedBeforeAnythingIsSent() {
        String[][] bad = {
            {"X-A", "one\r\nInjected: yes"},
            {"X-A", "one\nInjected: yes"},
            {"X-A", "one\rInjected: yes"},
            {"X-A", "nul\u0000"},
            {"X-A", "wide \u0100"},
            {"Bad Name", "v"},
            {"Bad:Name", "v"},
            {"Bad\r\nName", "v"},
            {"", "v"},
            {"Host", "evil.example"},
            {"Content-Length", "5"},
            {"Transfer-Encoding", "chunked"},
            {"Connection", "close"},
        };
        server.always("/f", Responses.ok("x"));
        for (String[] h : bad) {
            ExchangeRequest request =
                    ExchangeRequest.get(server.uri("/f")).header(h[0], h[1]).build();
            try (Exchange ex = transport.newExchange(request)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex::send,
                        h[0]);
                assertFalse(e.getMessage().contains("yes"), "the value is not echoed");
            }
        }
        assertEquals(0, server.connectionCount());
    }

    @Test
    void latin1HeaderValuesAreSentAsIs() throws IOException {
        server.always("/f", Responses.ok("x"));
        get("/f", "X-Name", "caf\u00e9");
        assertEquals("caf\u00e9", server.requests().get(0).header("X-Name"));
    }

    @Test
    void truncatedBodiesAreEofErrors() throws IOException {
        server.enqueue("/f", Responses.ok(body).truncatedAfter(5000),
                Responses.okChunked(body).truncatedAfter(body.length),
                Responses.okChunked(body).truncatedAfter(1234), Responses.ok(body).resetAfter(10));
        assertThrows(EOFException.class, () -> get("/f"));
        assertThrows(EOFException.class, () -> get("/f"));
        assertThrows(EOFException.class, () -> get("/f"));
        assertThrows(IOException.class, () -> get("/f"));
    }

    @Test
    void malformedResponsesAreProtocolErrorsOverTheSocketToo() throws IOException {
        server.enqueue("/f",
                Responses.raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
                        + "\r\n\r\n0\r\n\r\n"),
                Responses.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
                Responses.raw("garbage\r\n\r\n"),
                Responses.raw("HTTP/1.1 200 OK\r\nX: " + "y".repeat(1 << 20)),
                Responses.raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"));
        for (int i = 0; i < 5; i++) {
            assertThrows(ProtocolException.class, () -> get("/f"), "response " + i);
        }
    }

    @Test
    void connectionRefusedIsAConnectException() throws IOException {
        int port;
        try (ServerSocket s = bindLoopback()) {
            port = s.getLocalPort();
        }
        assertThrows(ConnectException.class,
                () -> Bodies.get(transport, URI.create("http://127.0.0.1:" + port + "/")));
    }

    @Test
    void anUnknownHostIsAnUnknownHostException() {
        assertThrows(UnknownHostException.class,
                () -> Bodies.get(transport, URI.create("http://no-such-host.invalid/")));
    }

    @Test
    void aConnectTimeoutIsAConnectExceptionThatSaysTimedOut() throws Exception {
        try (SilentServer silent = SilentServer.start();
             Http1Transport quick =
                     new Http1Transport(TransportConfig.direct(Duration.ofMillis(300)))) {
            long start = System.nanoTime();
            ConnectException e = assertThrows(ConnectException.class, () -> Bodies.get(quick,
                    URI.create("https://127.0.0.1:" + silent.port() + "/")));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(ms >= 250 && ms < 3_000, ms + " ms");
        }
    }

    @Test
    void theTransportStaysUsableAfterFailures() throws IOException {
        server.enqueue("/f", Responses.raw("nonsense\r\n\r\n"));
        server.always("/f", Responses.ok(body));
        assertThrows(ProtocolException.class, () -> get("/f"));
        assertArrayEquals(body, get("/f").body());
    }

    @Test
    void atMostSixteenIdleConnectionsPerKeyAreKept() throws Exception {
        server.always("/f", Responses.ok("x"));
        List<Exchange> open = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
            ex.send();
            open.add(ex);
        }
        assertEquals(20, server.connectionCount());
        for (Exchange ex : open) {
            Bodies.readAll(ex);
            ex.close();
        }
        assertEquals(ConnectionPool.MAX_IDLE_PER_KEY, transport.pool().idleCount());
        for (int id = 0; id < 4; id++) {
            assertTrue(server.awaitClientClosed(id, WAIT), "the oldest idle ones go: " + id);
        }
        assertFalse(server.clientClosed(4));
    }

    @Test
    void idleConnectionsExpireAfterThirtySeconds() throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        try (Http1Transport clocked = new Http1Transport(DIRECT, now::get)) {
            server.always("/f", Responses.ok("x"));
            Bodies.get(clocked, server.uri("/f"));
            now.addAndGet(ConnectionPool.IDLE_NANOS);
            Bodies.get(clocked, server.uri("/f"));
            assertEquals(1, server.connectionCount(), "30 s idle is still fine");
            now.addAndGet(ConnectionPool.IDLE_NANOS + 1);
            Bodies.get(clocked, server.uri("/f"));
            assertEquals(2, server.connectionCount());
            assertTrue(server.awaitClientClosed(0, WAIT));
        }
    }

    @Test
    void expiredConnectionsOfOtherKeysAreSweptOnRelease() throws Exception {
        AtomicLong now = new AtomicLong(0);
        try (FaultServer other = FaultServer.start();
             Http1Transport clocked = new Http1Transport(DIRECT, now::get)) {
            server.always("/f", Responses.ok("x"));
            other.always("/f", Responses.ok("x"));
            Bodies.get(clocked, other.uri("/f"));
            now.addAndGet(ConnectionPool.IDLE_NANOS + TimeUnit.SECONDS.toNanos(10));
            Bodies.get(clocked, server.uri("/f"));
            assertTrue(other.awaitClientClosed(0, WAIT));
            assertEquals(1, clocked.pool().idleCount());
        }
    }

    @Test
    void closingTheTransportClosesIdleConnectionsAndRefusesNewExchanges() throws Exception {
        server.always("/f", Responses.ok(body));
        Exchange running = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        running.send();
        get("/f");
        assertEquals(1, transport.pool().idleCount());
        transport.close();
        assertTrue(server.awaitClientClosed(1, WAIT), "the idle connection is closed");
        assertArrayEquals(body, Bodies.readAll(running), "a running exchange finishes");
        running.close();
        assertTrue(server.awaitClientClosed(0, WAIT), "and then closes its connection");
        assertEquals(0, transport.pool().idleCount());
        try (Exchange late = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build())) {
            IOException e = assertThrows(IOException.class, late::send);
            assertEquals("transport closed", e.getMessage());
        }
        assertEquals(2, server.connectionCount());
    }

    @Test
    void misuseIsAnIllegalStateException() throws IOException {
        server.always("/f", Responses.ok("x"));
        Exchange ex = transport.newExchange(ExchangeRequest.get(server.uri("/f")).build());
        assertThrows(IllegalStateException.class, () -> ex.read(ByteBuffer.allocate(10)));
        ex.send();
        assertThrows(IllegalStateException.class, ex::send);
        ex.close();
        ex.close();
        assertThrows(IllegalStateException.class, () -> ex.read(ByteBuffer.allocate(10)));
        assertThrows(IllegalArgumentException.class, () -> transport.newExchange(
                ExchangeRequest.get(URI.create("http:///nohost")).build()));
    }

    @Test
    void anIpv6LiteralIsBracketedInHost() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        ServerSocket raw;
        try {
            raw = new ServerSocket();
            raw.bind(new InetSocketAddress(v6, 0));
        } catch (IOException e) {
            Assumptions.assumeTrue(false, "no ::1 here: " + e);
            return;
        }
        try (raw) {
            List<String> heads = new ArrayList<>();
            RawServer t = serveRaw(raw, socket -> {
                heads.add(readHead(socket.getInputStream()));
                socket.getOutputStream().write(
                        ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6"));
            });
            URI uri = URI.create("http://[::1]:" + raw.getLocalPort() + "/six");
            assertEquals("v6", new String(Bodies.get(transport, uri).body(),
                    StandardCharsets.ISO_8859_1));
            t.finish();
            assertEquals("GET /six HTTP/1.1\r\nHost: [::1]:" + raw.getLocalPort() + "\r\n\r\n",
                    heads.get(0));
        }
    }

    @Test
    void aProtocolExceptionIsNotRetriedAndNamesTheProblem() throws IOException {
        server.enqueue("/f", Responses.ok("x"), Responses.raw(
                "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"));
        get("/f");
        ProtocolException e = assertThrows(ProtocolException.class, () -> get("/f"));
        assertTrue(e.getMessage().contains("whitespace before the colon"), e.getMessage());
        assertEquals(2, server.requests().size());
    }

    @Test
    void theResponseHeadKeepsEveryHeader() throws IOException {
        server.always("/f", Responses.ok("x").withHeader("ETag", "\"v1\"")
                .withHeader("Set-Cookie", "a=1").withHeader("Set-Cookie", "b=2"));
        ResponseHead head = get("/f").head();
        assertEquals("\"v1\"", head.header("etag"));
        assertEquals(List.of("a=1", "b=2"), head.headers().allValues("set-cookie"));
        assertInstanceOf(HttpHeaders.class, head.headers());
    }

    // --- raw loopback servers for the cases FaultServer cannot time exactly ---

    interface RawHandler {
        void handle(Socket socket) throws Exception;
    }

    static ServerSocket bindLoopback() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
    }

    /** One raw connection served on a fault-server thread; {@link #finish} reports its failure. */
    static final class RawServer {
        final Thread thread;
        volatile Throwable failure;

        RawServer(ServerSocket listener, RawHandler handler) {
            thread = new Thread(() -> {
                try (Socket socket = listener.accept()) {
                    socket.setSoTimeout(10_000);
                    handler.handle(socket);
                } catch (Throwable e) {
                    failure = e;
                }
            }, "fault-server-raw");
            thread.setDaemon(true);
            thread.start();
        }

        /** Waits for the server thread (bounded) and fails the test with what went wrong there. */
        void finish() throws InterruptedException {
            thread.join(5_000);
            assertFalse(thread.isAlive(), "the raw server is still running");
            if (failure != null) {
                throw new AssertionError("raw server failed", failure);
            }
        }
    }

    static RawServer serveRaw(ServerSocket listener, RawHandler handler) {
        return new RawServer(listener, handler);
    }

    /** Reads a request head up to the blank line; returns it. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("client closed in a request head");
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
