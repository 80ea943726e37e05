package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadManager;
import dev.haul.testing.FaultServer;
import dev.haul.testing.HttpProxyServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.Socks5ProxyServer;
import dev.haul.testing.TestBodies;
import dev.haul.testing.TestCertificates;
import dev.haul.testing.TlsFront;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxies (flags and curl's environment variables, http and https, SOCKS5), {@code --http2},
 * {@code --cacert} and {@code --limit-rate}, against real loopback servers and proxies.
 */
@ExtendWith(LeakCheck.class)
@Timeout(30)
class NetworkFlagsTest {

    @TempDir
    Path dir;

    private FaultServer server;
    private final byte[] body = TestBodies.random(120_000, 7);

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        server.handle("/f.bin", ServeBytes.of(body));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static boolean jdkTransport() {
        return "jdk".equals(System.getProperty("haul.transport"));
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private Path out() {
        return dir.resolve("f.bin");
    }

    private void assertNoSecret(CliRun run, String... secrets) {
        for (String s : secrets) {
            assertFalse(run.stderr().contains(s), "'" + s + "' shown: " + run);
        }
    }

    // ---------------------------------------------------------------- HTTP proxies

    @Test
    void aProxyFlagCarriesItsCredentialsToTheProxyOnly() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("pu", "p:w")) {
            CliRun run = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(),
                    "--proxy", "http://pu:p%3Aw@" + proxy.address());

            assertEquals(0, run.code(), run::toString);
            assertArrayEquals(body, Files.readAllBytes(out()));
            RecordedRequest atProxy = proxy.requests().get(proxy.requests().size() - 1);
            assertEquals("GET " + server.url("/f.bin") + " HTTP/1.1", atProxy.requestLine());
            assertEquals(basic("pu", "p:w"), atProxy.header("Proxy-Authorization"));
            assertNull(server.lastRequest("/f.bin").header("Proxy-Authorization"), "never to the origin");
            assertNull(server.lastRequest("/f.bin").header("Authorization"));
            assertNoSecret(run, "p%3Aw", "p:w");
        }
    }

    @Test
    void httpsGoesThroughConnectWithTheProxyFromTheEnvironment() throws Exception {
        Path keystore = TestCertificates.keystore("127.0.0.1", "ip:127.0.0.1,dns:localhost");
        Path pem = Pem.certificateOf(keystore, dir.resolve("ca.pem"));
        try (TlsFront tls = TlsFront.start(TestCertificates.serverContext(keystore), server.port());
             HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("eu", "e-pw")) {
            // http_proxy must not apply to https; https_proxy does.
            Map<String, String> env = Map.of("https_proxy", "http://eu:e-pw@" + proxy.address(),
                    "http_proxy", "http://127.0.0.1:9");
            CliRun run = CliRun.withEnv(env, "get", tls.uri("/f.bin").toString(), "-o", out().toString(),
                    "--cacert", pem.toString());

            assertEquals(0, run.code(), run::toString);
            assertArrayEquals(body, Files.readAllBytes(out()));
            RecordedRequest connect = proxy.requests().get(0);
            assertEquals("CONNECT 127.0.0.1:" + tls.port() + " HTTP/1.1", connect.requestLine());
            assertEquals(basic("eu", "e-pw"), connect.header("Proxy-Authorization"));
            assertEquals(1, proxy.requests().size(), "the GET went inside the tunnel, not to the proxy");
            assertNull(server.lastRequest("/f.bin").header("Proxy-Authorization"), "never to the origin");
            assertNoSecret(run, "e-pw");
        }
    }

    @Test
    void upperCaseHttpProxyIsNeverReadButAllProxyIs() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start()) {
            CliRun direct = CliRun.withEnv(Map.of("HTTP_PROXY", "http://" + proxy.address()),
                    "get", server.url("/f.bin"), "-o", out().toString(), "-q");
            assertEquals(0, direct.code(), direct::toString);
            assertEquals(List.of(), proxy.requests(), "HTTP_PROXY is ignored, as curl does (httpoxy)");

            CliRun viaAll = CliRun.withEnv(Map.of("ALL_PROXY", "http://" + proxy.address()),
                    "get", server.url("/f.bin"), "-o", out().toString(), "-q");
            assertEquals(0, viaAll.code(), viaAll::toString);
            assertEquals(1, proxy.requests().size(), "ALL_PROXY applies to http");
        }
    }

    @Test
    void noProxyFromTheEnvironmentAndTheFlag() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start()) {
            Map<String, String> env = Map.of("http_proxy", "http://" + proxy.address(), "no_proxy", "localhost, 127.0.0.1");

            CliRun bypassed = CliRun.withEnv(env, "get", server.url("/f.bin"), "-o", out().toString(), "-q");
            assertEquals(0, bypassed.code(), bypassed::toString);
            assertEquals(0, proxy.requests().size(), "127.0.0.1 is in no_proxy");

            CliRun ignored = CliRun.withEnv(env, "get", server.url("/f.bin"), "-o", out().toString(), "-q",
                    "--noproxy", "");
            assertEquals(0, ignored.code(), ignored::toString);
            assertEquals(1, proxy.requests().size(), "--noproxy '' switches no_proxy off");

            CliRun cidr = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(), "-q",
                    "--proxy", "http://" + proxy.address(), "--noproxy", "example.com,127.0.0.0/8");
            assertEquals(0, cidr.code(), cidr::toString);
            assertEquals(1, proxy.requests().size(), "a CIDR range in --noproxy");

            CliRun none = CliRun.withEnv(env, "get", server.url("/f.bin"), "-o", out().toString(), "-q",
                    "--noproxy", "", "--proxy", "");
            assertEquals(0, none.code(), none::toString);
            assertEquals(1, proxy.requests().size(), "--proxy '' means no proxy at all");
        }
    }

    @Test
    void aProxyThatRefusesIsANetworkFailureAndNothingGoesDirect() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("u", "right")) {
            CliRun run = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(), "--retries", "0",
                    "--proxy", "http://u:wrong-secret@" + proxy.address());

            assertEquals(ExitCode.NETWORK.code, run.code(), run::toString);
            assertEquals(1, run.errors().size(), run::toString);
            assertTrue(run.errors().get(0).contains("407"), run::toString);
            assertEquals(List.of(), server.requests(), "never a direct connection");
            assertFalse(Files.exists(out()));
            assertNoSecret(run, "wrong-secret");
        }
    }

    @Test
    void aProxyUrlHaulCannotUseIsAUsageErrorWithoutItsCredentials() {
        for (String bad : new String[] {"socks4://u:hunter2@127.0.0.1:1080", "https://u:hunter2@127.0.0.1:443",
            "http://u:hunter2@127.0.0.1:99999", "ftp://u:hunter2@host"}) {
            CliRun run = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(), "--proxy", bad);
            assertEquals(ExitCode.USAGE.code, run.code(), bad + ": " + run);
            assertEquals(1, run.stderrLines().size(), run::toString);
            assertTrue(run.stderr().contains("--proxy"), run::toString);
            assertNoSecret(run, "hunter2");
        }
        assertEquals(List.of(), server.requests());
    }

    @Test
    void anUnusableProxyInTheEnvironmentFailsTheDownloadNamingTheVariableNeverGoingDirect() throws Exception {
        CliRun run = CliRun.withEnv(Map.of("http_proxy", "socks4://u:hunter2@127.0.0.1:1080"),
                "get", server.url("/f.bin"), "-o", out().toString(), "--retries", "0");

        assertTrue(run.code() == ExitCode.NETWORK.code || run.code() == ExitCode.USAGE.code, run::toString);
        assertTrue(run.stderr().contains("http_proxy"), run::toString);
        assertNoSecret(run, "hunter2");
        assertEquals(List.of(), server.requests(), "never a direct connection");
        assertFalse(Files.exists(out()));
    }

    // ---------------------------------------------------------------- SOCKS5

    @Test
    void socks5hLetsTheProxyResolveTheNameAndAuthenticates() throws Exception {
        try (Socks5ProxyServer socks = Socks5ProxyServer.start().requireCredentials("su", "s-pw")
                .resolve("origin.test", "127.0.0.1")) {
            String url = "http://origin.test:" + server.port() + "/f.bin";
            CliRun run = CliRun.of("get", url, "-o", out().toString(), "--retries", "0",
                    "--proxy", "socks5h://su:s-pw@127.0.0.1:" + socks.port());

            assertNoSecret(run, "s-pw");
            if (jdkTransport()) {
                // The JDK client has no SOCKS: the download fails, and never goes direct.
                assertEquals(ExitCode.NETWORK.code, run.code(), run::toString);
                assertTrue(run.stderr().contains("SOCKS"), run::toString);
                assertEquals(List.of(), server.requests());
                return;
            }
            assertEquals(0, run.code(), run::toString);
            assertArrayEquals(body, Files.readAllBytes(out()));
            Socks5ProxyServer.Request r = socks.requests().get(0);
            assertEquals("origin.test", r.host(), "the proxy resolved the name");
            assertEquals("su", r.user());
            assertEquals("origin.test:" + server.port(), server.lastRequest("/f.bin").header("Host"));
        }
    }

    @Test
    void http2WithASocksProxyIsRefusedClearly() throws Exception {
        try (Socks5ProxyServer socks = Socks5ProxyServer.start()) {
            String socksUrl = "socks5h://127.0.0.1:" + socks.port();
            CliRun flag = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(), "--http2", "--proxy", socksUrl);
            assertEquals(ExitCode.USAGE.code, flag.code(), flag::toString);
            assertTrue(flag.stderr().contains("--http2") && flag.stderr().contains("SOCKS"), flag::toString);

            // From the environment the proxy is known per URL only: the download fails (exit 4).
            CliRun env = CliRun.withEnv(Map.of("all_proxy", socksUrl), "get", server.url("/f.bin"),
                    "-o", out().toString(), "--http2", "--retries", "0");
            assertEquals(ExitCode.NETWORK.code, env.code(), env::toString);
            assertTrue(env.stderr().contains("SOCKS"), env::toString);
            assertTrue(env.stderr().contains("--http2"), "says which flag to drop: " + env);

            assertEquals(List.of(), server.requests(), "never a direct connection");
            assertEquals(List.of(), socks.requests());
            assertFalse(Files.exists(out()));
        }
    }

    // ---------------------------------------------------------------- HTTP/2, --cacert

    @Test
    void http2DownloadsOverTlsWithTheGivenCertificateAuthority() throws Exception {
        Path keystore = TestCertificates.keystore("127.0.0.1", "ip:127.0.0.1,dns:localhost");
        Path pem = Pem.certificateOf(keystore, dir.resolve("ca.pem"));
        try (TlsFront tls = TlsFront.start(TestCertificates.serverContext(keystore), server.port())) {
            CliRun untrusted = CliRun.of("get", tls.uri("/f.bin").toString(), "-o", out().toString(), "--http2",
                    "--retries", "0");
            assertEquals(ExitCode.SECURITY.code, untrusted.code(), "the JDK's CAs do not know it: " + untrusted);

            // The test server speaks HTTP/1.1 only: ALPN settles on it, as with any such server.
            CliRun run = CliRun.of("get", tls.uri("/f.bin").toString(), "-o", out().toString(), "--http2",
                    "--cacert", pem.toString());
            assertEquals(0, run.code(), run::toString);
            assertArrayEquals(body, Files.readAllBytes(out()));
        }
    }

    @Test
    void anUnusableCaFileIsAUsageError() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        for (Path p : new Path[] {junk, dir.resolve("missing.pem")}) {
            CliRun run = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(), "--cacert", p.toString());
            assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
            assertEquals(1, run.stderrLines().size(), run::toString);
            assertTrue(run.stderr().contains("--cacert " + p), run::toString);
        }
        assertEquals(List.of(), server.requests());
    }

    // ---------------------------------------------------------------- --limit-rate

    @Test
    void limitRateIsOneLimitForTheWholeRunAndIsApplied() throws Exception {
        byte[] big = TestBodies.random(256 * 1024, 3);
        server.handle("/a.bin", ServeBytes.of(big));
        server.handle("/b.bin", ServeBytes.of(big));
        AtomicReference<Long> limit = new AtomicReference<>();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main main = new Main(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                new PrintStream(err, true, StandardCharsets.UTF_8), Terminal.NONE, Map.of(), null);
        main.managerObserver = (DownloadManager m) -> limit.set(m.maxBytesPerSecond());
        long start = System.nanoTime();

        int code = main.run("get", server.url("/a.bin"), server.url("/b.bin"), "-d", dir.toString(),
                "--limit-rate", "512K");

        long tookMs = (System.nanoTime() - start) / 1_000_000;
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr);
        assertEquals(512 * 1024, limit.get(), "the library holds the run's limit");
        assertTrue(stderr.contains("at most 512 KiB/s for all downloads of this run together"), stderr);
        assertArrayEquals(big, Files.readAllBytes(dir.resolve("a.bin")));
        assertArrayEquals(big, Files.readAllBytes(dir.resolve("b.bin")));
        // A one-sided check that the limit is shared, not per download: 512 KiB at 512 KiB/s cannot
        // take less than 1 s minus the 0.1 s burst, however fast the machine. (Accuracy: bench/.)
        assertTrue(tookMs >= 800, "512 KiB under a shared 512 KiB/s limit took only " + tookMs + " ms");
    }

    @Test
    void limitRateValuesCurlWouldRefuseAreUsageErrors() {
        for (String bad : new String[] {"-1", "1KB", "1 K", "abc", "", "0.5", "1e3", "2MiB", "1M/s", "99999999999999P"}) {
            CliRun run = CliRun.of("get", server.url("/f.bin"), "-o", out().toString(), "--limit-rate", bad);
            assertEquals(ExitCode.USAGE.code, run.code(), "'" + bad + "': " + run);
            assertEquals(1, run.stderrLines().size(), run::toString);
            assertTrue(run.stderr().contains("--limit-rate"), run::toString);
        }
        assertEquals(List.of(), server.requests());
    }
}
