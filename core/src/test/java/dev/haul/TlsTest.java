package dev.haul;

import static dev.haul.Outcomes.failure;
import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.listing;
import static dev.haul.Outcomes.success;
import static org.junit.jupiter.api.Assertions.*;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.TestBodies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS verification (catalogue 13, S-b) against an HTTPS server on loopback with self-signed
 * certificates made by keytool: verified by default, off only with {@code insecure(true)}, a
 * private trust store through {@code sslContext}, and host names checked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class TlsTest {
    static Path good;
    static Path wrongHost;

    @TempDir Path dir;
    final byte[] body = TestBodies.random(50_000, 13);

    @BeforeAll
    static void makeCertificates() throws Exception {
        good = TlsFixture.cachedKeystore("localhost", "ip:127.0.0.1,dns:localhost");
        wrongHost = TlsFixture.cachedKeystore("example.invalid", "dns:example.invalid");
    }

    /** A listener that counts retries: a TLS failure must not be retried. */
    static final class RetryCount implements DownloadListener {
        final AtomicInteger retries = new AtomicInteger();

        @Override
        public void onRetry(Download<?> d, DownloadException cause, int nextAttempt, Duration delay,
                            long resumeFrom) {
            retries.incrementAndGet();
        }
    }

    @Test
    void aSelfSignedCertificateFailsByDefaultWithoutRetryOrFile() throws Exception {
        AtomicInteger served = new AtomicInteger();
        try (TlsFixture https = new TlsFixture(TlsFixture.serverContext(good));
             DownloadManager m = fastManager().build()) {
            https.handle("/f", ex -> {
                served.incrementAndGet();
                ex.sendResponseHeaders(200, -1);
                ex.close();
            });
            RetryCount retries = new RetryCount();
            Path out = dir.resolve("out.bin");
            DownloadException e = failure(m.download(DownloadRequest.builder(https.url("/f"))
                    .listener(retries).build(), Destination.file(out)));
            assertEquals(Reason.TLS, e.reason(), e.toString());
            assertFalse(e.retryable());
            assertEquals(0, retries.retries.get());
            assertEquals(0, served.get(), "no request got through");
            assertEquals(List.of(), listing(dir));
        }
    }

    @Test
    void insecureOrATrustingContextAcceptsTheCertificate() throws Exception {
        try (TlsFixture https = new TlsFixture(TlsFixture.serverContext(good)).serve("/f", body)) {
            try (DownloadManager m = fastManager().insecure(true).build()) {
                Path out = dir.resolve("insecure.bin");
                success(m.download(DownloadRequest.builder(https.url("/f")).build(), Destination.file(out)));
                assertArrayEquals(body, Files.readAllBytes(out));
            }
            try (DownloadManager m = fastManager().sslContext(TlsFixture.trusting(good)).build()) {
                Path out = dir.resolve("trusted.bin");
                success(m.download(DownloadRequest.builder(https.url("/f")).build(), Destination.file(out)));
                assertArrayEquals(body, Files.readAllBytes(out));
            }
            assertEquals(List.of("insecure.bin", "trusted.bin"), listing(dir));
        }
        assertNull(System.getProperty("jdk.internal.httpclient.disableHostnameVerification"),
                "host name verification is never turned off JVM-wide");
    }

    @Test
    void aCertificateForAnotherHostFailsEvenWhenTrusted() throws Exception {
        try (TlsFixture https = new TlsFixture(TlsFixture.serverContext(wrongHost)).serve("/f", body);
             DownloadManager m = fastManager().sslContext(TlsFixture.trusting(wrongHost)).build()) {
            RetryCount retries = new RetryCount();
            Path out = dir.resolve("out.bin");
            DownloadException e = failure(m.download(DownloadRequest.builder(https.url("/f"))
                    .listener(retries).build(), Destination.file(out)));
            assertEquals(Reason.TLS, e.reason(), e.toString());
            assertEquals(0, retries.retries.get());
            assertEquals(List.of(), listing(dir));
        }
    }

    /** A server that answers every connection at once with a plain-text HTTP response. */
    @Test
    @SuppressWarnings("try") // plain.close() inside the try on purpose: it ends the accept loop
    void aPlainHttpAnswerToAHandshakeIsATlsFailureNotRetried() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (java.net.ServerSocket plain = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             DownloadManager m = fastManager().build()) {
            Thread t = new Thread(() -> {
                while (!plain.isClosed()) {
                    try (java.net.Socket s = plain.accept()) {
                        connections.incrementAndGet();
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".getBytes());
                        s.shutdownOutput();
                        s.getInputStream().read(new byte[4096]);
                    } catch (java.io.IOException e) {
                        // closed
                    }
                }
            }, "fault-server-plain");
            t.setDaemon(true);
            t.start();
            RetryCount retries = new RetryCount();
            Path out = dir.resolve("out.bin");
            DownloadException e = failure(m.download(DownloadRequest.builder("https://127.0.0.1:" + plain.getLocalPort() + "/f")
                    .listener(retries).build(), Destination.file(out)));
            assertEquals(Reason.TLS, e.reason(), e.toString());
            assertEquals(0, retries.retries.get(), "a failed handshake is not retried");
            if ("jdk".equals(System.getProperty("haul.transport"))) {
                // The JDK client itself opens a second connection now and then (1 run in 9 here)
                // when the first ends mid-handshake; Haul made one attempt (retries == 0).
                assertTrue(connections.get() <= 2, connections.get() + " connections");
            } else {
                assertEquals(1, connections.get());
            }
            assertEquals(List.of(), listing(dir));
            plain.close();
            t.join(2000);
        }
    }
}
