package dev.haul.internal.http1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.TransportConfig;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.Responses;
import dev.haul.testing.TestBodies;
import dev.haul.testing.TestCertificates;
import dev.haul.testing.TlsFront;
import java.io.EOFException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * TLS through the JDK's SSLEngine against a {@link TlsFront} in front of a {@link FaultServer}:
 * trusted and untrusted certificates, host name verification, SNI, insecure mode, keep-alive over
 * TLS, and how close_notify and its absence end each kind of body.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class TlsTransportTest {
    private static Path localhost;
    private static Path otherHost;

    private FaultServer server;
    private TlsFront front;
    private final byte[] body = TestBodies.random(300_000, 42);

    @BeforeAll
    static void certificates() throws IOException {
        localhost = TestCertificates.keystore("localhost", "ip:127.0.0.1,dns:localhost");
        otherHost = TestCertificates.keystore("example.invalid", "dns:example.invalid");
    }

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        front = TlsFront.start(TestCertificates.serverContext(localhost), server.port());
    }

    @AfterEach
    void stop() {
        front.close();
        server.close();
    }

    static TransportConfig trusting(Path keystore) throws Exception {
        return config(TestCertificates.trusting(keystore), false);
    }

    static TransportConfig config(SSLContext context, boolean insecure) {
        return new TransportConfig(Duration.ofSeconds(5), context, insecure,
                uri -> ProxyRoute.DIRECT, null);
    }

    @Test
    void aTrustedServerServesBodiesOverOneKeptConnection() throws Exception {
        server.always("/f", Responses.ok(body));
        server.always("/c", Responses.okChunked(body, 5000));
        try (Http1Transport transport = new Http1Transport(trusting(localhost))) {
            assertArrayEquals(body, Bodies.get(transport, front.uri("/f")).body());
            assertArrayEquals(body, Bodies.get(transport, front.uri("/c")).body());
            ExchangeRequest request = ExchangeRequest.get(front.uri("/f")).build();
            try (Exchange ex = transport.newExchange(request)) {
                ex.send();
                assertArrayEquals(body, Bodies.readAll(ex, 1), "one byte per read works too");
            }
            try (Exchange ex = transport.newExchange(request)) {
                ex.send();
                assertArrayEquals(body, Bodies.readAll(ex, 1000), "a buffer under a record");
            }
        }
        assertEquals(1, front.connectionCount());
        assertEquals(4, server.requests().size());
    }

    @Test
    void hostNameAndSniAreTheOrigins() throws Exception {
        server.always("/f", Responses.ok("x"));
        try (Http1Transport transport = new Http1Transport(trusting(localhost))) {
            Bodies.get(transport, front.uri("localhost", "/f"));
            Bodies.get(transport, front.uri("/f"));
        }
        assertEquals(List.of("localhost", ""), front.serverNames(), "no SNI for an IP literal");
        assertEquals("localhost:" + front.port(), server.requests().get(0).header("Host"));
    }

    @Test
    void anUntrustedCertificateFailsTheHandshake() throws Exception {
        server.always("/f", Responses.ok("x"));
        try (Http1Transport transport = new Http1Transport(Bodies.DIRECT)) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> Bodies.get(transport, front.uri("/f")));
            assertTrue(hasCause(e, CertificateException.class), "caused by the certificate");
        }
        assertEquals(0, server.requests().size(), "nothing reached the origin");
    }

    @Test
    void aCertificateForAnotherHostFails() throws Exception {
        try (TlsFront wrong = TlsFront.start(TestCertificates.serverContext(otherHost),
                server.port());
             Http1Transport transport = new Http1Transport(trusting(otherHost))) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> Bodies.get(transport, wrong.uri("/f")));
            assertTrue(hasCause(e, CertificateException.class), "caused by the host name");
            assertThrows(SSLHandshakeException.class,
                    () -> Bodies.get(transport, wrong.uri("localhost", "/f")));
        }
        assertEquals(0, server.requests().size());
    }

    @Test
    void insecureModeAcceptsAnyCertificateButStillSendsSni() throws Exception {
        server.always("/f", Responses.ok(body));
        try (TlsFront wrong = TlsFront.start(TestCertificates.serverContext(otherHost),
                server.port());
             Http1Transport transport = new Http1Transport(config(null, true))) {
            assertArrayEquals(body, Bodies.get(transport, wrong.uri("localhost", "/f")).body());
            assertEquals(List.of("localhost"), wrong.serverNames());
        }
    }

    @Test
    void tlsToAPlainServerIsAnSslException() throws Exception {
        try (ServerSocket plain = Http1TransportTest.bindLoopback();
             Http1Transport transport = new Http1Transport(trusting(localhost))) {
            // A plain server that answers whatever arrives with plain text, as a misconfigured
            // port does: the bytes are no TLS record.
            Http1TransportTest.RawServer raw = Http1TransportTest.serveRaw(plain, socket -> {
                socket.getOutputStream().write(Http1TransportTest.ascii(
                        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
                socket.getInputStream().read(new byte[4096]);
            });
            assertThrows(SSLException.class, () -> Bodies.get(transport,
                    URI.create("https://127.0.0.1:" + plain.getLocalPort() + "/f")));
            raw.finish();
        }
    }

    @Test
    void closeDelimitedBodiesEndCleanlyWithAndWithoutCloseNotify() throws Exception {
        server.always("/f", Responses.ok(body).closeDelimited());
        try (Http1Transport transport = new Http1Transport(trusting(localhost))) {
            TlsWire withNotify = readCloseDelimited(transport);
            assertTrue(withNotify.closeNotifyReceived());
            assertFalse(withNotify.truncated());
            front.withoutCloseNotify();
            // The documented choice: a close-delimited body has no framing to contradict the end.
            TlsWire cut = readCloseDelimited(transport);
            assertTrue(cut.truncated());
            assertFalse(cut.closeNotifyReceived());
        }
    }

    private TlsWire readCloseDelimited(Http1Transport transport) throws IOException {
        try (Exchange ex = transport.newExchange(ExchangeRequest.get(front.uri("/f")).build())) {
            ex.send();
            assertArrayEquals(body, Bodies.readAll(ex));
            return ((Http1Exchange) ex).connection().tls();
        }
    }

    @Test
    void framedBodiesCutWithoutCloseNotifyAreEofErrors() throws Exception {
        front.withoutCloseNotify();
        server.enqueue("/f", Responses.ok(body).truncatedAfter(100_000),
                Responses.okChunked(body).truncatedAfter(100_000),
                Responses.okChunked(body).truncatedAfter(body.length));
        try (Http1Transport transport = new Http1Transport(trusting(localhost))) {
            for (int i = 0; i < 3; i++) {
                assertThrows(EOFException.class, () -> Bodies.get(transport, front.uri("/f")));
            }
        }
    }

    @Test
    void framedBodiesCutWithCloseNotifyAreEofErrorsToo() throws Exception {
        server.enqueue("/f", Responses.ok(body).truncatedAfter(100_000),
                Responses.okChunked(body).truncatedAfter(body.length));
        try (Http1Transport transport = new Http1Transport(trusting(localhost))) {
            assertThrows(EOFException.class, () -> Bodies.get(transport, front.uri("/f")));
            assertThrows(EOFException.class, () -> Bodies.get(transport, front.uri("/f")));
        }
    }

    @Test
    void aStaleTlsConnectionIsRetried() throws Exception {
        server.enqueue("/f", Responses.ok(body), Responses.emptyReply(), Responses.ok(body));
        try (Http1Transport transport = new Http1Transport(trusting(localhost))) {
            Bodies.get(transport, front.uri("/f"));
            assertArrayEquals(body, Bodies.get(transport, front.uri("/f")).body());
        }
        assertEquals(3, server.requests().size());
        assertEquals(2, front.connectionCount());
    }

    static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
