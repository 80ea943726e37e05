package dev.haul;

import static dev.haul.Outcomes.failure;
import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.listing;
import static dev.haul.Outcomes.success;
import static org.junit.jupiter.api.Assertions.*;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redirects and credentials (catalogue 46 a–e): two loopback origins on different ports; the
 * tests assert exactly which headers each origin received.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class RedirectSecurityTest {
    static final String AUTH = "Bearer s3cret-token";
    static final String COOKIE = "session=abc123";
    static final String PROXY_AUTH = "Basic cHJveHk6cHc=";

    @TempDir Path dir;
    FaultServer a;
    FaultServer b;
    DownloadManager manager;
    final byte[] body = TestBodies.random(40_000, 46);

    @BeforeEach
    void start() throws Exception {
        a = FaultServer.start();
        b = FaultServer.start();
        b.handle("/target", ServeBytes.of(body));
        a.handle("/target", ServeBytes.of(body));
        manager = fastManager().build();
    }

    @AfterEach
    void stop() {
        manager.close();
        a.close();
        b.close();
    }

    private DownloadRequest.Builder withSecrets(String url) {
        return DownloadRequest.builder(url).header("Authorization", AUTH).header("Cookie", COOKIE)
                .header("Proxy-Authorization", PROXY_AUTH).header("X-Api-Key", "k-123");
    }

    private static TreeSet<String> names(RecordedRequest r) {
        TreeSet<String> names = new TreeSet<>();
        for (String line : r.headerLines()) {
            names.add(line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT));
        }
        names.remove("content-length"); // JDK 17 sends "Content-Length: 0" on a GET, JDK 25 does not
        return names;
    }

    /** What every request carries besides the caller's headers. */
    private static final List<String> BASE = List.of("accept-encoding", "host", "user-agent");

    private static TreeSet<String> base(String... more) {
        TreeSet<String> s = new TreeSet<>(BASE);
        s.addAll(List.of(more));
        return s;
    }

    @Test
    void credentialsAreDroppedWhenTheRedirectChangesThePort() throws Exception {
        a.always("/start", Responses.redirect(302, b.url("/target")));
        Path out = dir.resolve("out.bin");
        var r = success(manager.download(withSecrets(a.url("/start")).build(), Destination.file(out)));
        assertEquals(b.uri("/target"), r.finalUri());
        RecordedRequest first = a.lastRequest("/start");
        assertEquals(AUTH, first.header("Authorization"));
        assertEquals(COOKIE, first.header("Cookie"));
        assertNull(first.header("Proxy-Authorization"), "the JDK client sends Proxy-Authorization only to a proxy");
        assertEquals("k-123", first.header("X-Api-Key"));
        RecordedRequest second = b.lastRequest("/target");
        // Another origin gets none of the caller's headers but the harmless ones: a custom header
        // such as X-Api-Key is as much a secret as Authorization.
        assertEquals(base(), names(second), second.rawHead());
        assertFalse(second.rawHead().contains("k-123"), second.rawHead());
        assertFalse(second.rawHead().contains("s3cret"), second.rawHead());
        assertFalse(second.rawHead().contains("abc123"), second.rawHead());
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
    }

    @Test
    void aSameOriginRedirectKeepsTheCredentials() throws Exception {
        a.always("/start", Responses.redirect(301, "/target"));
        success(manager.download(withSecrets(a.url("/start")).build(), Destination.memory()));
        RecordedRequest second = a.lastRequest("/target");
        assertEquals(AUTH, second.header("Authorization"));
        assertEquals(COOKIE, second.header("Cookie"));
        assertEquals(a.lastRequest("/start").header("Proxy-Authorization"), second.header("Proxy-Authorization"));
        assertEquals(names(a.lastRequest("/start")), names(second));
    }

    @Test
    void keepCredentialsOnRedirectKeepsThemAcrossOrigins() throws Exception {
        a.always("/start", Responses.redirect(307, b.url("/target")));
        success(manager.download(withSecrets(a.url("/start")).keepCredentialsOnRedirect(true).build(), Destination.memory()));
        RecordedRequest second = b.lastRequest("/target");
        assertEquals(AUTH, second.header("Authorization"));
        assertEquals(COOKIE, second.header("Cookie"));
        assertEquals(names(a.lastRequest("/start")), names(second));
    }

    @Test
    void urlUserinfoBecomesBasicAuthForTheFirstOriginOnly() throws Exception {
        a.always("/start", Responses.redirect(302, b.url("/target")));
        String url = "http://alice:pa%3Ass@127.0.0.1:" + a.port() + "/start";
        var r = success(manager.download(DownloadRequest.builder(url).build(), Destination.memory()));
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:pa:ss".getBytes(StandardCharsets.UTF_8));
        assertEquals(basic, a.lastRequest("/start").header("Authorization"));
        RecordedRequest second = b.lastRequest("/target");
        assertEquals(base(), names(second), second.rawHead());
        assertNull(r.finalUri().getUserInfo());
        // A redirect to a Location carrying its own userinfo sends no credentials either.
        a.always("/start2", Responses.redirect(302, "http://mallory:pw@127.0.0.1:" + b.port() + "/target"));
        success(manager.download(DownloadRequest.builder(a.url("/start2")).build(), Destination.memory()));
        assertEquals(base(), names(b.lastRequest("/target")), b.lastRequest("/target").rawHead());
    }

    @Test
    void nonHttpLocationsAreRefusedAndNothingIsStored() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "local secret");
        Path out = dir.resolve("out.bin");
        for (String location : List.of("ftp://127.0.0.1:" + b.port() + "/target", secret.toUri().toString(),
                "gopher://127.0.0.1:" + b.port() + "/", "javascript:alert(1)")) {
            a.always("/start", Responses.redirect(302, location));
            DownloadException e = failure(manager.download(DownloadRequest.builder(a.url("/start"))
                    .build(), Destination.file(out)));
            assertEquals(Reason.POLICY, e.reason(), location + ": " + e);
            assertFalse(e.retryable());
        }
        assertEquals(List.of(), b.requests());
        assertEquals(4, a.requests("/start").size(), "not retried");
        assertEquals(List.of("secret.txt"), listing(dir));
    }

    @Test
    void httpsToHttpIsRefused() throws Exception {
        Path ks = TlsFixture.cachedKeystore("localhost", "ip:127.0.0.1,dns:localhost");
        try (TlsFixture https = new TlsFixture(TlsFixture.serverContext(ks));
             DownloadManager m = fastManager().sslContext(TlsFixture.trusting(ks)).build()) {
            https.handle("/start", ex -> {
                ex.getResponseHeaders().set("Location", b.url("/target"));
                ex.sendResponseHeaders(302, -1);
                ex.close();
            });
            Path out = dir.resolve("out.bin");
            DownloadException e = failure(m.download(withSecrets(https.url("/start")).build(), Destination.file(out)));
            assertEquals(Reason.POLICY, e.reason(), e.toString());
            assertEquals(List.of(), b.requests(), "nothing went out in plain text");
            assertEquals(List.of(), listing(dir));
        }
    }

    @Test
    void moreThanMaxRedirectsIsPolicyAndExactlyMaxSucceeds() throws Exception {
        a.always("/r1", Responses.redirect(302, "/r2")).always("/r2", Responses.redirect(303, "/r3"))
                .always("/r3", Responses.redirect(308, "/target"));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(manager.download(DownloadRequest.builder(a.url("/r1"))
                .maxRedirects(2).build(), Destination.file(out)));
        assertEquals(Reason.POLICY, e.reason());
        assertEquals(List.of(), a.requests("/target"));
        assertEquals(List.of(), listing(dir));
        var r = success(manager.download(DownloadRequest.builder(a.url("/r1"))
                .maxRedirects(3).build(), Destination.file(out)));
        assertEquals(a.uri("/target"), r.finalUri());
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
    }

    @Test
    void relativeLocationsAreResolvedAgainstTheCurrentUrl() throws Exception {
        a.always("/x/y/start", Responses.redirect(302, "../z/next?q=1"));
        a.always("/x/z/next", Responses.redirect(302, "last"));
        a.always("/x/z/last", Responses.redirect(302, "//127.0.0.1:" + b.port() + "/target"));
        var r = success(manager.download(DownloadRequest.builder(a.url("/x/y/start")).build(), Destination.memory()));
        assertArrayEquals(body, r.body());
        assertEquals(b.uri("/target"), r.finalUri());
        assertEquals("/x/z/next?q=1", a.lastRequest("/x/z/next").target());
        assertEquals(1, a.requests("/x/z/last").size());
    }

    @Test
    void aResumeAfterARedirectGoesToTheFinalUrlWithoutTheCredentials() throws Exception {
        ServeBytes serve = ServeBytes.of(body).cutOnRequest(1, 15_000, ServeBytes.Cut.RST);
        b.handle("/file", serve);
        a.always("/start", Responses.redirect(302, b.url("/file")));
        Path out = dir.resolve("out.bin");
        var r = success(manager.download(withSecrets(a.url("/start")).build(), Destination.file(out)));
        assertEquals(b.uri("/file"), r.finalUri());
        assertEquals(URI.create(a.url("/start")), r.uri());
        assertEquals(1, a.requests("/start").size(), "the retry does not go back to the first URL");
        List<RecordedRequest> reqs = b.requests("/file");
        assertEquals(2, reqs.size());
        assertEquals("bytes=15000-", reqs.get(1).header("Range"));
        assertEquals(serve.etag(), reqs.get(1).header("If-Range"));
        for (RecordedRequest req : reqs) {
            assertFalse(req.hasHeader("Authorization"), req.rawHead());
            assertFalse(req.hasHeader("Cookie"), req.rawHead());
            assertFalse(req.hasHeader("Proxy-Authorization"), req.rawHead());
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
    }
}
