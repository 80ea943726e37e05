package dev.haul;

import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.listing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.FakeTime;
import dev.haul.testing.FaultServer;
import dev.haul.testing.HttpProxyServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.Socks5ProxyServer;
import dev.haul.testing.TestBodies;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network plumbing of the library: bandwidth limits on the manager's clock, host politeness
 * after Retry-After, proxies from a URL, netrc credentials, the cookie jar, conditional requests
 * and file times.
 */
@ExtendWith(LeakCheck.class)
@Timeout(60)
class PlumbingTest {
    @TempDir
    Path dir;
    private FaultServer server;
    private final byte[] body = TestBodies.random(200_000, 17);

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        server.handle("/f", ServeBytes.of(body));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- idle connections

    @Test
    void withNoIdleConnectionsKeptEachConnectionClosesAsItsResponseEnds() throws Exception {
        try (DownloadManager m = DownloadManager.builder().transport(Transport.HAUL)
                .maxIdleConnectionsPerHost(0).build()) {
            for (int i = 0; i < 3; i++) {
                byte[] got = m.download(DownloadRequest.builder(server.url("/f")).build(),
                        Destination.memory()).result().get(10, TimeUnit.SECONDS).body();
                assertArrayEquals(body, got);
                int connection = server.requests("/f").get(i).connectionId();
                // closed by the client while the manager stays open: an open connection is one
                // in use, which is what a fleet's per-host count counts
                assertTrue(server.awaitClientClosed(connection, Duration.ofSeconds(5)),
                        "connection " + connection + " closed after its response");
            }
            assertEquals(3, server.connectionCount());
        }
        try (DownloadManager m = DownloadManager.builder().transport(Transport.HAUL).build()) {
            for (int i = 0; i < 3; i++) {
                m.download(DownloadRequest.builder(server.url("/f")).build(),
                        Destination.memory()).result().get(10, TimeUnit.SECONDS);
            }
            assertEquals(4, server.connectionCount(), "by default one kept-alive connection serves all");
        }
        assertThrows(IllegalArgumentException.class,
                () -> DownloadManager.builder().maxIdleConnectionsPerHost(-1));
    }

    // ---------------------------------------------------------------- bandwidth limits

    /**
     * Waits (real time, bounded) until every running download waits for its limit: each then has
     * two tasks on the clock, its stall check and its throttle wake (before its response there is
     * only the response timeout, so time never moves before the headers arrived).
     */
    private static void awaitThrottled(FakeTime time, Download<?>... downloads) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until) {
            long running = java.util.Arrays.stream(downloads).filter(d -> !d.result().isDone()).count();
            if (running == 0 || time.pending() >= 2 * running) {
                return;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the downloads neither finished nor waited for their limit: "
                + time.pendingDelays());
    }

    /** Advances the fake clock in 10 ms steps until the download ends; checks the limit at every step. */
    private static long driveUnderLimit(FakeTime time, Download<?> d, long bytesPerSecond, long burstAndRead)
            throws InterruptedException {
        long steps = 0;
        while (!d.result().isDone() && steps < 100_000) {
            awaitThrottled(time, d); // the transfer took what this moment allows
            time.advance(Duration.ofMillis(10));
            steps++;
            long allowed = bytesPerSecond * steps / 100 + burstAndRead;
            assertTrue(d.progress().bytesDone() <= allowed, "at " + steps * 10 + " ms: "
                    + d.progress().bytesDone() + " bytes > " + allowed);
        }
        return steps * 10;
    }

    @Test
    void aDownloadsLimitHoldsOnTheManagersClockAndIsNeverAStall() throws Exception {
        FakeTime time = new FakeTime();
        try (DownloadManager m = fastManager().timeSource(time).responseTimeout(Duration.ofMinutes(1))
                .stallTimeout(Duration.ofMillis(200)).build()) {
            Download<byte[]> d = m.download(DownloadRequest.builder(server.url("/f"))
                    .maxBytesPerSecond(100_000).build(), Destination.memory());
            // 200 kB at 100 kB/s: about 2 s of the manager's clock, with a stall timeout of 200 ms.
            long tookMs = driveUnderLimit(time, d, 100_000, 10_000 + 10_000);
            assertArrayEquals(body, d.result().get(5, TimeUnit.SECONDS).body(), "no stall, all bytes");
            assertTrue(tookMs >= 1_700 && tookMs <= 2_200, "took " + tookMs + " ms of the clock");
        }
    }

    @Test
    void aLimitChangedMidwayTakesEffect() throws Exception {
        FakeTime time = new FakeTime();
        try (DownloadManager m = fastManager().timeSource(time).responseTimeout(Duration.ofMinutes(1))
                .stallTimeout(Duration.ofMinutes(1)).build()) {
            Download<byte[]> d = m.download(DownloadRequest.builder(server.url("/f"))
                    .maxBytesPerSecond(10_000).build(), Destination.memory());
            for (int i = 0; i < 100; i++) { // one second at 10 kB/s
                awaitThrottled(time, d);
                time.advance(Duration.ofMillis(10));
            }
            assertTrue(d.progress().bytesDone() <= 10_000 + 2_048, "slow: " + d.progress().bytesDone());
            d.setMaxBytesPerSecond(0); // no limit: the rest comes at once
            time.advance(Duration.ofSeconds(2)); // the wait handed out at the old rate runs out
            assertArrayEquals(body, d.result().get(5, TimeUnit.SECONDS).body());
            assertEquals(0, d.maxBytesPerSecond());
        }
    }

    @Test
    void theManagersLimitIsSharedByItsDownloads() throws Exception {
        FakeTime time = new FakeTime();
        try (DownloadManager m = fastManager().timeSource(time).maxBytesPerSecond(100_000)
                .responseTimeout(Duration.ofMinutes(1)).stallTimeout(Duration.ofMinutes(1)).build()) {
            Download<byte[]> a = m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory());
            Download<byte[]> b = m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory());
            long steps = 0;
            while (!(a.result().isDone() && b.result().isDone()) && steps < 10_000) {
                awaitThrottled(time, a, b);
                time.advance(Duration.ofMillis(10));
                steps++;
                long both = a.progress().bytesDone() + b.progress().bytesDone();
                assertTrue(both <= 100_000 * steps / 100 + 30_000, "at " + steps * 10 + " ms: " + both);
            }
            assertArrayEquals(body, a.result().get(5, TimeUnit.SECONDS).body());
            assertArrayEquals(body, b.result().get(5, TimeUnit.SECONDS).body());
            assertTrue(steps * 10 >= 3_500, "400 kB at 100 kB/s shared took " + steps * 10 + " ms");
            assertEquals(100_000, m.maxBytesPerSecond());
        }
    }

    // ---------------------------------------------------------------- host politeness

    @Test
    void retryAfterFromAHostPausesEveryDownloadToThatHost() throws Exception {
        server.enqueue("/busy", Responses.status(503, "Retry-After: 5"));
        server.handle("/busy", ServeBytes.of(body));
        FakeTime time = new FakeTime();
        try (DownloadManager m = fastManager().timeSource(time)
                .retryPolicy(RetryPolicy.ofRetries(2).withMaxRetryAfter(Duration.ofMinutes(1))).build()) {
            Download<byte[]> first = m.download(DownloadRequest.builder(server.url("/busy")).build(),
                    Destination.memory());
            time.awaitTask(delay -> delay >= 5_000_000_000L, 1, Duration.ofSeconds(5));
            Download<byte[]> second = m.download(DownloadRequest.builder(server.url("/f")).build(),
                    Destination.memory());
            time.awaitTask(delay -> delay >= 4_000_000_000L, 2, Duration.ofSeconds(5));
            assertEquals(0, server.requests("/f").size(), "the second download waits for the host too");
            time.advance(Duration.ofSeconds(5));
            assertArrayEquals(body, first.result().get(5, TimeUnit.SECONDS).body());
            assertArrayEquals(body, second.result().get(5, TimeUnit.SECONDS).body());
            assertEquals(1, server.requests("/f").size());
        }
    }

    // ---------------------------------------------------------------- proxies

    @Test
    void anHttpProxyFromAUrlGetsTheCredentialsAndTheOriginNever() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("pu", "p:w");
             DownloadManager m = fastManager().proxy("http://pu:p%3Aw@" + proxy.address()).build()) {
            assertArrayEquals(body, m.download(DownloadRequest.builder(server.url("/f")).build(),
                    Destination.memory()).result().get(10, TimeUnit.SECONDS).body());
            RecordedRequest atProxy = proxy.requests().get(proxy.requests().size() - 1);
            assertEquals(basic("pu", "p:w"), atProxy.header("Proxy-Authorization"));
            assertNull(server.lastRequest("/f").header("Proxy-Authorization"), "never to the origin");
        }
    }

    @Test
    void noProxyHostsAreReachedDirectly() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start();
             DownloadManager m = fastManager().proxy("http://" + proxy.address()).noProxy("localhost,127.0.0.1")
                     .build()) {
            m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            assertEquals(List.of(), proxy.requests(), "127.0.0.1 is in no_proxy");
        }
    }

    @Test
    void theEnvironmentCanBeGivenAsAMapWithCurlsRules() throws Exception {
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("eu", "epw")) {
            String viaEnv = "http://eu:epw@" + proxy.address();
            // http_proxy (lower case) applies to http; HTTP_PROXY is never read (httpoxy).
            try (DownloadManager m = fastManager().proxyFromEnvironment(java.util.Map.of("http_proxy", viaEnv))
                    .build()) {
                m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                        .result().get(10, TimeUnit.SECONDS);
            }
            assertEquals(1, proxy.requests().size());
            assertEquals(basic("eu", "epw"), proxy.requests().get(0).header("Proxy-Authorization"));
            assertNull(server.lastRequest("/f").header("Proxy-Authorization"), "never to the origin");
            try (DownloadManager m = fastManager().proxyFromEnvironment(java.util.Map.of("HTTP_PROXY", viaEnv))
                    .build()) {
                m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                        .result().get(10, TimeUnit.SECONDS);
            }
            try (DownloadManager m = fastManager().proxyFromEnvironment(java.util.Map.of("http_proxy", viaEnv,
                    "no_proxy", "", "NO_PROXY", "127.0.0.0/8")).build()) {
                m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                        .result().get(10, TimeUnit.SECONDS);
            }
            assertEquals(1, proxy.requests().size(), "HTTP_PROXY ignored; an empty no_proxy lets NO_PROXY through");
        }
    }

    @Test
    void aSocks5hProxyResolvesTheNameAndAuthenticates() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("jdk".equals(System.getProperty("haul.transport")),
                "the JDK client cannot use SOCKS: aTransportThatCannotUseTheProxyRefuses... covers it");
        try (Socks5ProxyServer socks = Socks5ProxyServer.start().requireCredentials("su", "spw")
                .resolve("origin.test", "127.0.0.1");
             DownloadManager m = fastManager().proxy("socks5h://su:spw@127.0.0.1:" + socks.port()).build()) {
            String url = "http://origin.test:" + server.port() + "/f";
            assertArrayEquals(body, m.download(DownloadRequest.builder(url).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS).body());
            Socks5ProxyServer.Request r = socks.requests().get(0);
            assertEquals("origin.test", r.host(), "the proxy resolved the name");
            assertEquals("su", r.user());
        }
    }

    @Test
    void aTransportThatCannotUseTheProxyRefusesInsteadOfConnectingDirectly() throws Exception {
        try (Socks5ProxyServer socks = Socks5ProxyServer.start();
             DownloadManager m = fastManager().transport(Transport.JDK)
                     .proxy("socks5://127.0.0.1:" + socks.port()).build()) {
            DownloadException e = Outcomes.failure(m.download(DownloadRequest.builder(server.url("/f")).build(),
                    Destination.memory()));
            assertEquals(Reason.PROXY, e.reason(), e.toString());
            assertEquals(0, server.requests("/f").size(), "never a direct connection");
        }
    }

    /**
     * A proxy variable that cannot be used is the user's mistake to be told about, as curl does:
     * a proxy failure naming the variable (never its credentials), no request anywhere, nothing
     * on disk; never an "unexpected failure", never a direct connection.
     */
    @Test
    void anUnusableProxyInTheEnvironmentIsAProxyFailureNamingTheVariable() throws Exception {
        Path out = dir.resolve("never.bin");
        try (DownloadManager m = fastManager().proxyFromEnvironment(java.util.Map.of("http_proxy",
                "socks4://su:s3cret@127.0.0.1:1080")).build()) {
            DownloadException e = Outcomes.failure(m.download(
                    DownloadRequest.builder(server.url("/f")).build(), Destination.file(out)));
            assertEquals(Reason.PROXY, e.reason(), e.toString());
            assertTrue(e.getMessage().contains("http_proxy"), e.getMessage());
            assertFalse(e.toString().contains("s3cret"), e.toString());
        }
        assertEquals(0, server.requests("/f").size(), "never a direct connection");
        assertEquals(List.of(), listing(dir), "nothing on disk");
    }

    /** A proxy's 407 is the proxy's answer on either transport: PROXY, never the origin's 407. */
    @Test
    void aProxyThatWantsCredentialsFailsAsProxyOnBothTransports() throws Exception {
        for (Transport transport : new Transport[] {Transport.HAUL, Transport.JDK}) {
            Path out = dir.resolve("p-" + transport + ".bin");
            try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("pu", "pw");
                 DownloadManager m = fastManager().transport(transport)
                         .proxy("http://" + proxy.address()).build()) {
                DownloadException e = Outcomes.failure(m.download(
                        DownloadRequest.builder(server.url("/f")).build(), Destination.file(out)));
                assertEquals(Reason.PROXY, e.reason(), transport + ": " + e);
                assertEquals(407, e.statusCode(), transport + ": " + e);
                assertTrue(proxy.challenges() >= 1, transport + ": the proxy was asked");
            }
            assertEquals(0, server.requests("/f").size(), transport + ": the origin never reached");
            assertEquals(List.of(), listing(dir), transport + ": nothing on disk");
        }
    }

    /**
     * The JDK client drops Basic credentials from a tunnel's CONNECT unless the JVM says
     * otherwise; with credentials for an https URL the JDK transport refuses before the proxy
     * sees anything, naming the system property that would allow it.
     */
    @Test
    void theJdkTransportRefusesProxyCredentialsItWouldDropFromAnHttpsTunnel() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getProperty("jdk.http.auth.tunneling.disabledSchemes") == null,
                "the JVM was told to allow Basic for tunnels");
        try (HttpProxyServer proxy = HttpProxyServer.start().requireCredentials("pu", "pw");
             DownloadManager m = fastManager().transport(Transport.JDK)
                     .proxy("http://pu:pw@" + proxy.address()).build()) {
            DownloadException e = Outcomes.failure(m.download(DownloadRequest.builder(
                    "https://127.0.0.1:" + server.port() + "/f").build(), Destination.memory()));
            assertEquals(Reason.PROXY, e.reason(), e.toString());
            assertTrue(e.getMessage().contains("-Djdk.http.auth.tunneling.disabledSchemes="),
                    e.getMessage());
            assertFalse(e.toString().contains("pw@"), e.toString());
            assertEquals(List.of(), proxy.requests(), "refused before the proxy saw anything");
        }
    }

    @Test
    void aBadProxyUrlIsRefusedWhenConfigured() {
        assertThrows(IllegalArgumentException.class, () -> DownloadManager.builder().proxy("https://p:443"));
        assertThrows(IllegalArgumentException.class, () -> DownloadManager.builder().proxy("socks4://p:1080"));
    }

    // ---------------------------------------------------------------- netrc

    @Test
    void netrcCredentialsGoToTheirHostOnly() throws Exception {
        Path netrc = dir.resolve("netrc");
        Files.writeString(netrc, "machine other.example login x password y\n"
                + "machine 127.0.0.1 login alice password s3cret\n");
        server.always("/away", Responses.redirect(302, "http://localhost:" + server.port() + "/f"));
        try (DownloadManager m = fastManager().netrc(netrc).build()) {
            m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            assertEquals(basic("alice", "s3cret"), server.lastRequest("/f").header("Authorization"));
            // A request with its own Authorization keeps it.
            m.download(DownloadRequest.builder(server.url("/f")).header("Authorization", "Bearer t").build(),
                    Destination.memory()).result().get(10, TimeUnit.SECONDS);
            assertEquals("Bearer t", server.lastRequest("/f").header("Authorization"));
            // Redirected to another host (localhost) that the netrc does not name: no credentials.
            m.download(DownloadRequest.builder(server.url("/away")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            assertNull(server.lastRequest("/f").header("Authorization"));
        }
    }

    @Test
    void anUnreadableNetrcIsAClearErrorWithoutThePassword() throws Exception {
        Path netrc = dir.resolve("netrc");
        Files.writeString(netrc, "machine h login u password \"hunter2\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DownloadManager.builder().netrc(netrc).build());
        assertTrue(e.getMessage().contains("netrc"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), "no secret in the message: " + e.getMessage());
    }

    // ---------------------------------------------------------------- cookies

    @Test
    void theCookieJarSendsWhatMatchesAndKeepsWhatIsSet() throws Exception {
        Path file = dir.resolve("cookies.txt");
        long future = Instant.now().plus(Duration.ofDays(30)).getEpochSecond();
        Files.writeString(file, "# Netscape HTTP Cookie File\n"
                + "127.0.0.1\tFALSE\t/\tFALSE\t" + future + "\tsession\tabc\n"
                + "127.0.0.1\tFALSE\t/\tTRUE\t" + future + "\tsecure\tonly-https\n"
                + "other.example\tFALSE\t/\tFALSE\t" + future + "\tforeign\tno\n"
                + "127.0.0.1\tFALSE\t/\tFALSE\t1\texpired\told\n");
        CookieJar jar = CookieJar.load(file);
        server.always("/set", Responses.ok("x").withHeader("Set-Cookie", "fresh=1; Path=/")
                .withHeader("Set-Cookie", "evil=1; Domain=other.example"));
        try (DownloadManager m = fastManager().cookieJar(jar).build()) {
            m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            assertEquals("session=abc", server.lastRequest("/f").header("Cookie"),
                    "not the Secure one over http, not another site's, not an expired one");
            m.download(DownloadRequest.builder(server.url("/set")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            String sent = server.lastRequest("/f").header("Cookie");
            assertTrue(sent.contains("fresh=1") && sent.contains("session=abc"), sent);
            assertFalse(sent.contains("evil"), "a Set-Cookie for another site is refused: " + sent);
        }
        jar.save(file);
        String saved = Files.readString(file);
        assertTrue(saved.contains("fresh") && saved.contains("session") && !saved.contains("expired"), saved);
    }

    // ---------------------------------------------------------------- conditional requests, file time

    @Test
    void aConditionalRequestLeavesAnUnchangedFileAloneAndReplacesAChangedOne() throws Exception {
        Path out = dir.resolve("out.bin");
        byte[] old = "old".getBytes(StandardCharsets.UTF_8);
        Files.write(out, old);
        ServeBytes current = ServeBytes.of(body).etag("\"v2\"");
        server.handle("/c", request -> "\"v2\"".equals(request.header("If-None-Match"))
                ? Responses.status(304, "ETag: \"v2\"") : current.respond(request));
        try (DownloadManager m = fastManager().build()) {
            DownloadResult<Path> same = m.download(DownloadRequest.builder(server.url("/c")).ifNoneMatch("\"v2\"")
                    .build(), Destination.file(out)).result().get(10, TimeUnit.SECONDS);
            assertTrue(same.notModified());
            assertEquals(304, same.statusCode());
            assertArrayEquals(old, Files.readAllBytes(out), "left alone");
            assertEquals(List.of("out.bin"), listing(dir));

            DownloadResult<Path> changed = m.download(DownloadRequest.builder(server.url("/c")).ifNoneMatch("\"v1\"")
                    .build(), Destination.file(out)).result().get(10, TimeUnit.SECONDS);
            assertFalse(changed.notModified());
            assertArrayEquals(body, Files.readAllBytes(out), "replaced");
            assertEquals("\"v1\"", server.lastRequest("/c").header("If-None-Match"));
        }
    }

    @Test
    void ifModifiedSinceIsSentAsAnHttpDateAndA304IsASuccessForMemoryToo() throws Exception {
        server.always("/m", Responses.status(304));
        try (DownloadManager m = fastManager().build()) {
            DownloadResult<byte[]> r = m.download(DownloadRequest.builder(server.url("/m"))
                    .ifModifiedSince(Instant.parse("2025-07-01T00:00:00Z")).build(), Destination.memory())
                    .result().get(10, TimeUnit.SECONDS);
            assertTrue(r.notModified());
            assertEquals(0, r.body().length);
            assertEquals("Tue, 01 Jul 2025 00:00:00 GMT", server.lastRequest("/m").header("If-Modified-Since"));
        }
    }

    /**
     * A server that reads If-Modified-Since as strictly as nginx: only an IMF-fixdate (two-digit
     * day) counts, anything else is ignored and the whole body sent. On the 1st to the 9th of a
     * month, RFC 1123's one-digit day used to get a 200 where a 304 was due.
     */
    @Test
    void ifModifiedSinceHasATwoDigitDaySoAStrictServerAnswers304OnTheFirstNineDays() throws Exception {
        java.time.format.DateTimeFormatter strict = java.time.format.DateTimeFormatter
                .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US)
                .withZone(java.time.ZoneOffset.UTC);
        byte[] old = "old copy".getBytes(StandardCharsets.UTF_8);
        try (DownloadManager m = fastManager().build()) {
            for (int day : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 31}) {
                Instant modified = Instant.parse(String.format("2025-07-%02dT12:34:56Z", day));
                String lastModified = strict.format(modified);
                ServeBytes full = ServeBytes.of(body).lastModified(lastModified);
                server.handle("/d", request -> {
                    String since = request.header("If-Modified-Since");
                    Instant parsed = null;
                    try {
                        parsed = since == null ? null : Instant.from(strict.parse(since));
                    } catch (java.time.format.DateTimeParseException e) {
                        // not an IMF-fixdate: ignored, as nginx does
                    }
                    return parsed != null && !modified.isAfter(parsed)
                            ? Responses.status(304, "Last-Modified: " + lastModified)
                            : full.respond(request);
                });
                Path out = dir.resolve("day" + day + ".bin");
                Files.write(out, old);

                DownloadResult<Path> r = m.download(DownloadRequest.builder(server.url("/d"))
                        .ifModifiedSince(modified).build(), Destination.file(out))
                        .result().get(10, TimeUnit.SECONDS);

                String sent = server.lastRequest("/d").header("If-Modified-Since");
                assertEquals(String.format("%s, %02d Jul 2025 12:34:56 GMT",
                        modified.atZone(java.time.ZoneOffset.UTC).getDayOfWeek()
                                .getDisplayName(java.time.format.TextStyle.SHORT, java.util.Locale.US),
                        day), sent);
                assertTrue(r.notModified(), "day " + day + ": " + sent + " answered " + r.statusCode());
                assertEquals(304, r.statusCode());
                assertArrayEquals(old, Files.readAllBytes(out), "day " + day + ": the file is left alone");
            }
        }
        assertEquals(List.of("day1.bin", "day10.bin", "day2.bin", "day3.bin", "day31.bin", "day4.bin",
                "day5.bin", "day6.bin", "day7.bin", "day8.bin", "day9.bin"), listing(dir), "no .part left");
    }

    @Test
    void anUnsolicited304IsStillAProtocolError() throws Exception {
        server.always("/u", Responses.status(304));
        try (DownloadManager m = fastManager().build()) {
            DownloadException e = Outcomes.failure(m.download(DownloadRequest.builder(server.url("/u")).build(),
                    Destination.memory()));
            assertEquals(Reason.PROTOCOL, e.reason());
        }
    }

    @Test
    void remoteTimeSetsTheFilesTimeFromLastModified() throws Exception {
        Path out = dir.resolve("t.bin");
        try (DownloadManager m = fastManager().build()) {
            m.download(DownloadRequest.builder(server.url("/f")).remoteTime(true).build(), Destination.file(out))
                    .result().get(10, TimeUnit.SECONDS);
        }
        assertEquals(FileTime.from(Instant.parse("2025-07-01T00:00:00Z")), Files.getLastModifiedTime(out),
                "ServeBytes sends Last-Modified: " + ServeBytes.DEFAULT_LAST_MODIFIED);
    }
}
