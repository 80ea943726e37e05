package dev.haul.internal.http1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.internal.http.Exchange;
import dev.haul.internal.http.ExchangeRequest;
import dev.haul.internal.http.ProxyException;
import dev.haul.internal.http.ProxyRoute;
import dev.haul.internal.http.TransportConfig;
import dev.haul.testing.FaultServer;
import dev.haul.testing.HttpProxyServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.Socks5ProxyServer;
import dev.haul.testing.TestBodies;
import dev.haul.testing.TestCertificates;
import dev.haul.testing.TlsFront;
import java.io.IOException;
import java.net.Authenticator;
import java.net.ConnectException;
import java.net.PasswordAuthentication;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Proxies: absolute-form requests and CONNECT tunnels through an HTTP proxy, with and without
 * credentials and with a 407 answered by the authenticator; SOCKS5 with and without
 * user/password, resolving names remotely or locally. Proxy credentials must reach the proxy
 * only: never the origin (asserted on what the origin received), never an exception message.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class ProxyTransportTest {
    private static final String USER = "proxy-user";
    private static final String PASSWORD = "s3cret-proxy-pass";
    private static final String ORIGIN_NAME = "origin.haul.test";
    private static Path localhostCert;
    private static Path originCert;

    private FaultServer origin;
    private TlsFront tlsOrigin;
    private TlsFront namedTlsOrigin;
    private HttpProxyServer httpProxy;
    private Socks5ProxyServer socks;
    private final byte[] body = TestBodies.random(150_000, 3);

    @BeforeAll
    static void certificates() throws IOException {
        localhostCert = TestCertificates.keystore("localhost", "ip:127.0.0.1,dns:localhost");
        originCert = TestCertificates.keystore(ORIGIN_NAME, "dns:" + ORIGIN_NAME);
    }

    @BeforeEach
    void start() throws Exception {
        origin = FaultServer.start();
        origin.handleAll(request -> Responses.ok(body));
        tlsOrigin = TlsFront.start(TestCertificates.serverContext(localhostCert), origin.port());
        namedTlsOrigin = TlsFront.start(TestCertificates.serverContext(originCert), origin.port());
        httpProxy = HttpProxyServer.start().resolve(ORIGIN_NAME, "127.0.0.1");
        socks = Socks5ProxyServer.start().resolve(ORIGIN_NAME, "127.0.0.1");
    }

    @AfterEach
    void stop() {
        socks.close();
        httpProxy.close();
        namedTlsOrigin.close();
        tlsOrigin.close();
        origin.close();
    }

    private static PasswordAuthentication credentials() {
        return new PasswordAuthentication(USER, PASSWORD.toCharArray());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static Http1Transport transport(ProxyRoute route, Authenticator authenticator)
            throws Exception {
        SSLContext trust = TestCertificates.trusting(localhostCert);
        return new Http1Transport(new TransportConfig(Duration.ofSeconds(5), trust, false,
                uri -> route, authenticator));
    }

    /** A transport trusting the certificate of {@link #ORIGIN_NAME}. */
    private static Http1Transport namedTransport(Function<URI, ProxyRoute> routes)
            throws Exception {
        SSLContext trust = TestCertificates.trusting(originCert);
        return new Http1Transport(new TransportConfig(Duration.ofSeconds(5), trust, false,
                routes, null));
    }

    private ProxyRoute.Http viaHttpProxy(PasswordAuthentication credentials) {
        return new ProxyRoute.Http("127.0.0.1", httpProxy.port(), credentials);
    }

    /** Nothing the origin received carries the proxy's credentials or a Proxy-* header. */
    private void assertOriginSawNoProxyCredentials() {
        assertFalse(origin.requests().isEmpty());
        for (RecordedRequest r : origin.requests()) {
            assertNull(r.header("Proxy-Authorization"), r.rawHead());
            assertFalse(r.rawHead().contains(PASSWORD), r.rawHead());
            assertFalse(r.rawHead().contains(basic(USER, PASSWORD).substring(6)), r.rawHead());
        }
    }

    private static void assertNoSecretIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            assertFalse(m.contains(PASSWORD), m);
            assertFalse(m.contains(basic(USER, PASSWORD).substring(6)), m);
        }
    }

    @Test
    void plainHttpGoesInAbsoluteFormOverOneKeptProxyConnection() throws Exception {
        try (Http1Transport transport = transport(viaHttpProxy(null), null)) {
            URI uri = origin.uri("/file?x=1");
            assertArrayEquals(body, Bodies.get(transport, uri).body());
            assertArrayEquals(body, Bodies.get(transport, uri).body());
        }
        RecordedRequest atProxy = httpProxy.requests().get(0);
        assertEquals("GET http://127.0.0.1:" + origin.port() + "/file?x=1 HTTP/1.1",
                atProxy.requestLine());
        assertEquals("127.0.0.1:" + origin.port(), atProxy.header("Host"));
        assertNull(atProxy.header("Proxy-Authorization"));
        assertEquals("GET /file?x=1 HTTP/1.1", origin.requests().get(0).requestLine());
        assertEquals(1, httpProxy.connectionCount());
        assertEquals(2, httpProxy.requests().size());
    }

    @Test
    void plainHttpCarriesProxyCredentialsToTheProxy() throws Exception {
        httpProxy.requireCredentials(USER, PASSWORD);
        try (Http1Transport transport = transport(viaHttpProxy(credentials()), null)) {
            assertArrayEquals(body, Bodies.get(transport, origin.uri("/f")).body());
        }
        assertEquals(basic(USER, PASSWORD),
                httpProxy.requests().get(0).header("Proxy-Authorization"));
        assertEquals(0, httpProxy.challenges());
        assertOriginSawNoProxyCredentials();
    }

    @Test
    void httpsGoesThroughAConnectTunnelWithTheOriginsSniAndHost() throws Exception {
        try (Http1Transport transport = transport(viaHttpProxy(null), null)) {
            URI uri = tlsOrigin.uri("localhost", "/f");
            assertArrayEquals(body, Bodies.get(transport, uri).body());
            assertArrayEquals(body, Bodies.get(transport, uri).body());
        }
        RecordedRequest connect = httpProxy.requests().get(0);
        String authority = "localhost:" + tlsOrigin.port();
        assertEquals("CONNECT " + authority + " HTTP/1.1", connect.requestLine());
        assertEquals(authority, connect.header("Host"));
        assertEquals(List.of("localhost"), tlsOrigin.serverNames(), "SNI names the origin");
        assertEquals(1, httpProxy.connectionCount(), "the tunnel is pooled");
        assertEquals("GET /f HTTP/1.1", origin.requests().get(0).requestLine());
    }

    @Test
    void connectCarriesCredentialsThatNeverEnterTheTunnel() throws Exception {
        httpProxy.requireCredentials(USER, PASSWORD);
        try (Http1Transport transport = transport(viaHttpProxy(credentials()), null)) {
            assertArrayEquals(body, Bodies.get(transport, tlsOrigin.uri("/f")).body());
        }
        assertEquals(basic(USER, PASSWORD),
                httpProxy.requests().get(0).header("Proxy-Authorization"));
        assertOriginSawNoProxyCredentials();
    }

    @Test
    void aRefusedConnectIsAProxyExceptionAndNeverADirectConnection() throws Exception {
        httpProxy.refuseWith(403);
        try (Http1Transport transport = transport(viaHttpProxy(credentials()), null)) {
            ProxyException e = assertThrows(ProxyException.class,
                    () -> Bodies.get(transport, tlsOrigin.uri("/f")));
            assertEquals(403, e.status());
            assertNoSecretIn(e);
        }
        assertEquals(0, tlsOrigin.connectionCount());
        assertEquals(0, origin.connectionCount());
    }

    /** An authenticator that hands out the credentials and remembers who asked. */
    static final class RecordingAuthenticator extends Authenticator {
        final List<String> asked = new CopyOnWriteArrayList<>();
        final PasswordAuthentication answer;

        RecordingAuthenticator(PasswordAuthentication answer) {
            this.answer = answer;
        }

        @Override
        protected PasswordAuthentication getPasswordAuthentication() {
            asked.add(getRequestorType() + " " + getRequestingHost() + ":" + getRequestingPort()
                    + " " + getRequestingScheme() + " " + getRequestingPrompt());
            return answer;
        }
    }

    @Test
    void a407OnConnectAsksTheAuthenticatorOnceAndRetriesOnANewConnection() throws Exception {
        httpProxy.requireCredentials(USER, PASSWORD);
        RecordingAuthenticator authenticator = new RecordingAuthenticator(credentials());
        try (Http1Transport transport = transport(viaHttpProxy(null), authenticator)) {
            assertArrayEquals(body, Bodies.get(transport, tlsOrigin.uri("/f")).body());
            assertEquals(2, httpProxy.connectionCount());
            try (Exchange ex = transport.newExchange(ExchangeRequest.get(tlsOrigin.uri("/f"))
                    .freshConnection(true).build())) {
                ex.send();
                assertArrayEquals(body, Bodies.readAll(ex));
            }
        }
        assertEquals(List.of("PROXY 127.0.0.1:" + httpProxy.port() + " basic haul-test"),
                authenticator.asked, "asked once; the answer is remembered for the proxy");
        assertEquals(1, httpProxy.challenges());
        assertEquals(3, httpProxy.connectionCount());
        assertOriginSawNoProxyCredentials();
    }

    @Test
    void a407ForPlainHttpAsksTheAuthenticatorToo() throws Exception {
        httpProxy.requireCredentials(USER, PASSWORD);
        RecordingAuthenticator authenticator = new RecordingAuthenticator(credentials());
        try (Http1Transport transport = transport(viaHttpProxy(null), authenticator)) {
            assertArrayEquals(body, Bodies.get(transport, origin.uri("/f")).body());
            assertArrayEquals(body, Bodies.get(transport, origin.uri("/f")).body());
        }
        assertEquals(1, authenticator.asked.size());
        assertEquals(1, httpProxy.challenges());
    }

    @Test
    void a407WithoutAnAnswerIsAProxyExceptionWithoutSecrets() throws Exception {
        httpProxy.requireCredentials(USER, "another password");
        try (Http1Transport noAuthenticator = transport(viaHttpProxy(null), null);
             Http1Transport wrong = transport(viaHttpProxy(credentials()), null);
             Http1Transport declines = transport(viaHttpProxy(null),
                     new RecordingAuthenticator(null))) {
            for (Http1Transport t : List.of(noAuthenticator, wrong, declines)) {
                ProxyException tls = assertThrows(ProxyException.class,
                        () -> Bodies.get(t, tlsOrigin.uri("/f")));
                assertEquals(407, tls.status());
                assertNoSecretIn(tls);
                ProxyException plain = assertThrows(ProxyException.class,
                        () -> Bodies.get(t, origin.uri("/f")));
                assertEquals(407, plain.status());
                assertNoSecretIn(plain);
            }
        }
        assertEquals(0, origin.connectionCount());
    }

    @Test
    void routeCredentialsAreNeverReplacedByTheAuthenticator() throws Exception {
        httpProxy.requireCredentials(USER, "another password");
        RecordingAuthenticator authenticator = new RecordingAuthenticator(credentials());
        try (Http1Transport transport = transport(viaHttpProxy(credentials()), authenticator)) {
            assertThrows(ProxyException.class, () -> Bodies.get(transport, tlsOrigin.uri("/f")));
        }
        assertTrue(authenticator.asked.isEmpty());
    }

    @Test
    void socks5WithRemoteDnsSendsTheNameAndVerifiesTheOrigin() throws Exception {
        ProxyRoute route = new ProxyRoute.Socks5("127.0.0.1", socks.port(), true, null);
        try (Http1Transport transport = namedTransport(uri -> route)) {
            URI https = namedTlsOrigin.uri(ORIGIN_NAME, "/f");
            assertArrayEquals(body, Bodies.get(transport, https).body());
            URI http = URI.create("http://" + ORIGIN_NAME + ":" + origin.port() + "/g");
            assertArrayEquals(body, Bodies.get(transport, http).body());
            assertArrayEquals(body, Bodies.get(transport, http).body());
        }
        Socks5ProxyServer.Request first = socks.requests().get(0);
        assertEquals(3, first.addressType(), "the name went to the proxy");
        assertEquals(ORIGIN_NAME, first.host());
        assertEquals(namedTlsOrigin.port(), first.port());
        assertEquals(List.of(0), first.methods());
        assertEquals(List.of(ORIGIN_NAME), namedTlsOrigin.serverNames());
        assertEquals(ORIGIN_NAME + ":" + origin.port(),
                origin.requests("/g").get(0).header("Host"));
        assertEquals(2, socks.connectionCount(), "one tunnel per origin, reused");
    }

    @Test
    void socks5WithLocalDnsSendsTheAddress() throws Exception {
        ProxyRoute route = new ProxyRoute.Socks5("127.0.0.1", socks.port(), false, null);
        try (Http1Transport transport = transport(route, null)) {
            URI uri = URI.create("http://localhost:" + origin.port() + "/f");
            assertArrayEquals(body, Bodies.get(transport, uri).body());
        }
        Socks5ProxyServer.Request first = socks.requests().get(0);
        assertEquals(1, first.addressType());
        assertEquals("127.0.0.1", first.host());
    }

    @Test
    void socks5WithUserAndPassword() throws Exception {
        socks.requireCredentials(USER, PASSWORD);
        ProxyRoute route = new ProxyRoute.Socks5("127.0.0.1", socks.port(), true, credentials());
        try (Http1Transport transport = transport(route, null)) {
            assertArrayEquals(body, Bodies.get(transport, tlsOrigin.uri("/f")).body());
            assertArrayEquals(body, Bodies.get(transport, origin.uri("/f")).body());
        }
        Socks5ProxyServer.Request first = socks.requests().get(0);
        assertEquals(List.of(0, 2), first.methods());
        assertEquals(USER, first.user());
        assertEquals(PASSWORD, first.password());
        assertOriginSawNoProxyCredentials();
    }

    @Test
    void socks5RefusesWrongOrMissingCredentialsWith407() throws Exception {
        socks.requireCredentials(USER, "another password");
        try (Http1Transport wrong = transport(new ProxyRoute.Socks5("127.0.0.1", socks.port(),
                true, credentials()), null);
             Http1Transport none = transport(new ProxyRoute.Socks5("127.0.0.1", socks.port(),
                     true, null), null)) {
            ProxyException e = assertThrows(ProxyException.class,
                    () -> Bodies.get(wrong, origin.uri("/f")));
            assertEquals(407, e.status());
            assertNoSecretIn(e);
            assertEquals(407, assertThrows(ProxyException.class,
                    () -> Bodies.get(none, origin.uri("/f"))).status());
        }
        assertEquals(0, origin.connectionCount());
    }

    @Test
    void aSocks5ErrorReplyIsANegativeStatus() throws Exception {
        socks.replyWith(5);
        try (Http1Transport transport = transport(new ProxyRoute.Socks5("127.0.0.1",
                socks.port(), false, null), null)) {
            ProxyException e = assertThrows(ProxyException.class,
                    () -> Bodies.get(transport, origin.uri("/f")));
            assertEquals(-5, e.status());
            assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        }
        assertEquals(0, origin.connectionCount());
    }

    @Test
    void aProxyThatIsDownIsAConnectExceptionNeverADirectConnection() throws Exception {
        int deadPort;
        try (ServerSocket s = Http1TransportTest.bindLoopback()) {
            deadPort = s.getLocalPort();
        }
        try (Http1Transport http =
                     transport(new ProxyRoute.Http("127.0.0.1", deadPort, null), null);
             Http1Transport socks5 = transport(new ProxyRoute.Socks5("127.0.0.1", deadPort, true,
                     null), null)) {
            assertThrows(ConnectException.class, () -> Bodies.get(http, origin.uri("/f")));
            assertThrows(ConnectException.class, () -> Bodies.get(http, tlsOrigin.uri("/f")));
            assertThrows(ConnectException.class, () -> Bodies.get(socks5, origin.uri("/f")));
        }
        assertEquals(0, origin.connectionCount());
        assertEquals(0, tlsOrigin.connectionCount());
    }

    @Test
    void routesArePooledApart() throws Exception {
        ProxyRoute viaSocks = new ProxyRoute.Socks5("127.0.0.1", socks.port(), false, null);
        try (Http1Transport transport = namedTransport(uri -> uri.getPath().startsWith("/direct")
                ? ProxyRoute.DIRECT : viaSocks)) {
            Bodies.get(transport, origin.uri("/direct"));
            Bodies.get(transport, origin.uri("/socks"));
            Bodies.get(transport, origin.uri("/direct"));
            Bodies.get(transport, origin.uri("/socks"));
        }
        assertEquals(1, socks.connectionCount());
        assertEquals(2, origin.connectionCount());
    }

    @Test
    void connectNamesAnIpv6OriginInBrackets() {
        PoolKey key = new PoolKey(true, "[::1]", 8443, ProxyRoute.DIRECT);
        assertEquals("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
                new String(RequestWriter.connect(key, null), StandardCharsets.ISO_8859_1));
    }
}
