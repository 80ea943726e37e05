package dev.haul.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Proves the test kit's proxies, TLS front and silent server with plain JDK sockets, so that a
 * failing transport test points at the transport and not at its tools.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class ProxyServersTest {
    private FaultServer origin;

    @BeforeEach
    void start() throws IOException {
        origin = FaultServer.start();
        origin.handleAll(request -> Responses.ok("hello " + request.target()).closeAfter());
    }

    @AfterEach
    void stop() {
        origin.close();
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** Reads until the peer closes. */
    private static String readAll(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void httpProxyForwardsAbsoluteFormWithoutProxyHeaders() throws Exception {
        String auth = "Basic " + Base64.getEncoder().encodeToString("u:p".getBytes());
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("u", "p");
             Socket s = connect(proxy.port())) {
            send(s, "GET http://127.0.0.1:" + origin.port() + "/f?q HTTP/1.1\r\nHost: 127.0.0.1:"
                    + origin.port() + "\r\nProxy-Authorization: " + auth + "\r\n\r\n");
            assertTrue(readAll(s).endsWith("hello /f?q"));
            assertEquals(auth, proxy.requests().get(0).header("Proxy-Authorization"));
        }
        RecordedRequest atOrigin = origin.requests().get(0);
        assertEquals("GET /f?q HTTP/1.1", atOrigin.requestLine());
        assertNull(atOrigin.header("Proxy-Authorization"));
    }

    @Test
    void httpProxyChallengesMissingCredentialsAndRefusesOnRequest() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("u", "p")) {
            try (Socket s = connect(proxy.port())) {
                send(s, "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\n\r\n");
                String answer = readAll(s);
                assertTrue(answer.startsWith("HTTP/1.1 407 "), answer);
                assertTrue(answer.contains("Proxy-Authenticate: Basic realm=\"haul-test\""));
            }
            assertEquals(1, proxy.challenges());
        }
        try (HttpProxyServer proxy = HttpProxyServer.start().refuseWith(403);
             Socket s = connect(proxy.port())) {
            send(s, "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\n\r\n");
            assertTrue(readAll(s).startsWith("HTTP/1.1 403 "));
        }
        assertEquals(0, origin.connectionCount());
    }

    @Test
    void httpProxyTunnelsConnect() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start().resolve("origin.test", "127.0.0.1");
             Socket s = connect(proxy.port())) {
            send(s, "CONNECT origin.test:" + origin.port() + " HTTP/1.1\r\nHost: origin.test:"
                    + origin.port() + "\r\n\r\n");
            assertEquals("HTTP/1.1 200 Connection established\r\n\r\n",
                    readHead(s.getInputStream()));
            send(s, "GET /tunnelled HTTP/1.1\r\nHost: origin.test\r\n\r\n");
            assertTrue(readAll(s).endsWith("hello /tunnelled"));
            assertEquals(1, proxy.connectionCount());
            assertEquals("CONNECT origin.test:" + origin.port() + " HTTP/1.1",
                    proxy.requests().get(0).requestLine());
        }
    }

    @Test
    void socks5ProxyConnectsByNameForTheJdkClient() throws Exception {
        try (Socks5ProxyServer socks =
                     Socks5ProxyServer.start().resolve("origin.test", "127.0.0.1");
             Socket s = new Socket(new Proxy(Proxy.Type.SOCKS,
                     new InetSocketAddress("127.0.0.1", socks.port())))) {
            s.setSoTimeout(5_000);
            s.connect(InetSocketAddress.createUnresolved("origin.test", origin.port()), 5_000);
            send(s, "GET /socks HTTP/1.1\r\nHost: origin.test\r\n\r\n");
            assertTrue(readAll(s).endsWith("hello /socks"));
            Socks5ProxyServer.Request r = socks.requests().get(0);
            assertEquals(3, r.addressType());
            assertEquals("origin.test", r.host());
            assertEquals(origin.port(), r.port());
        }
    }

    @Test
    void socks5ProxyChecksUserAndPassword() throws Exception {
        try (Socks5ProxyServer socks = Socks5ProxyServer.start().requireCredentials("u", "p")) {
            for (String password : List.of("wrong", "p")) {
                try (Socket s = connect(socks.port())) {
                    OutputStream out = s.getOutputStream();
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    out.write(new byte[] {5, 1, 2});
                    assertEquals(5, in.read());
                    assertEquals(2, in.read());
                    out.write(new byte[] {1, 1, 'u', (byte) password.length()});
                    out.write(password.getBytes(StandardCharsets.US_ASCII));
                    assertEquals(1, in.read());
                    assertEquals(password.equals("p") ? 0 : 1, in.read());
                }
            }
            assertEquals("wrong", socks.requests().get(0).password());
        }
    }

    @Test
    void socks5ProxyRepliesWithTheConfiguredError() throws Exception {
        try (Socks5ProxyServer socks = Socks5ProxyServer.start().replyWith(2);
             Socket s = connect(socks.port())) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(new byte[] {5, 1, 0});
            assertEquals(5, in.read());
            assertEquals(0, in.read());
            out.write(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, 0, 80});
            assertEquals(5, in.read());
            assertEquals(2, in.read());
        }
        assertEquals(0, origin.connectionCount());
    }

    @Test
    void tlsFrontRelaysAndRecordsSni() throws Exception {
        Path ks = TestCertificates.keystore("localhost", "ip:127.0.0.1,dns:localhost");
        try (TlsFront front = TlsFront.start(TestCertificates.serverContext(ks), origin.port())) {
            for (boolean closeNotify : new boolean[] {true, false}) {
                if (!closeNotify) {
                    front.withoutCloseNotify();
                }
                try (SSLSocket s = (SSLSocket) TestCertificates.trusting(ks).getSocketFactory()
                        .createSocket("127.0.0.1", front.port())) {
                    SSLParameters params = s.getSSLParameters();
                    params.setServerNames(List.of(new SNIHostName("localhost")));
                    s.setSSLParameters(params);
                    s.setSoTimeout(5_000);
                    send(s, "GET /tls HTTP/1.1\r\nHost: localhost\r\n\r\n");
                    // SSLSocket reads both ends alike; TlsTransportTest tells them apart.
                    assertTrue(readAll(s).endsWith("hello /tls"));
                }
            }
            assertEquals(List.of("localhost", "localhost"), front.serverNames());
        }
    }

    @Test
    void silentServerAcceptsAndSaysNothing() throws Exception {
        try (SilentServer silent = SilentServer.start(); Socket s = connect(silent.port())) {
            assertTrue(silent.awaitConnections(1, Duration.ofSeconds(5)));
            s.setSoTimeout(100);
            send(s, "anything");
            try {
                s.getInputStream().read();
                throw new AssertionError("the silent server spoke");
            } catch (java.net.SocketTimeoutException expected) {
                // silence, as promised
            }
        }
    }
}
