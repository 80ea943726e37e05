package dev.haul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadException.Reason;
import dev.haul.SegmentsTest.Mode;
import dev.haul.testing.FaultServer;
import dev.haul.testing.Handler;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Response;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Signed URLs that expire: the refresh hook is called once per expiry (whichever connection sees
 * it first), the download continues from the bytes it has, validated; and a rerun whose URL
 * differs only in its query string continues the part, while another URL continues it only on
 * the word of an expected SHA-256.
 */
@ExtendWith(LeakCheck.class)
@Timeout(60)
class ExpiringUrlsTest {
    static final int SIZE = SegmentsTest.SIZE;
    static final String ETAG = SegmentsTest.ETAG;

    @TempDir
    Path dir;
    FaultServer server;
    final byte[] body = TestBodies.random(SIZE, 41);

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Serves a body only to signatures still valid ({@code ?sig=...}); others get 403. */
    static final class Signed implements Handler {
        final Set<String> valid = ConcurrentHashMap.newKeySet();
        final ServeBytes bytes;
        final AtomicInteger served = new AtomicInteger();
        /** After this many answered requests the first signature expires (0: never). */
        volatile int expireAfter;
        /** 403s are held until this many expired requests arrived (at most 5 s). */
        final java.util.concurrent.CountDownLatch expiredSeen;

        Signed(ServeBytes bytes, int holdExpired, String... sigs) {
            this.bytes = bytes;
            this.expiredSeen = new java.util.concurrent.CountDownLatch(holdExpired);
            valid.addAll(List.of(sigs));
        }

        Signed(ServeBytes bytes, String... sigs) {
            this(bytes, 0, sigs);
        }

        @Override
        public Response respond(RecordedRequest r) {
            String sig = sig(r);
            if (!valid.contains(sig)) {
                expiredSeen.countDown();
                try {
                    // several connections hold an expired URL at once
                    expiredSeen.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Responses.status(403);
            }
            if (expireAfter > 0 && served.incrementAndGet() >= expireAfter) {
                valid.remove("1");
            }
            return bytes.respond(r);
        }

        static String sig(RecordedRequest r) {
            String t = r.target();
            int i = t.indexOf("sig=");
            return i < 0 ? "" : t.substring(i + 4);
        }
    }

    static DownloadManager manager() {
        return DownloadManager.builder()
                .retryPolicy(RetryPolicy.ofRetries(2).withBackoff(Duration.ofMillis(5),
                        Duration.ofMillis(20)))
                .responseTimeout(Duration.ofSeconds(10)).stallTimeout(Duration.ofSeconds(10))
                .splitThreshold(1024 * 1024).build();
    }

    /** A hook that gives {@code ?sig=2} and records each call. */
    static final class Hook implements UrlRefresher {
        final List<Expired> calls = new CopyOnWriteArrayList<>();
        final String fresh;

        Hook(String fresh) {
            this.fresh = fresh;
        }

        @Override
        public URI refresh(Expired expired) {
            calls.add(expired);
            return URI.create(fresh);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aUrlThatExpiresMidBodyIsRefreshedOnceAndTheBodyContinues(Mode mode) throws Exception {
        long cut = 3 * 1024 * 1024;
        Signed signed = new Signed(ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST), "1", "2");
        signed.expireAfter = 1; // the first answer is the last for sig=1
        server.handle("/f", signed);
        Hook hook = new Hook(server.url("/f?sig=2"));
        DownloadRequest r = DownloadRequest.builder(server.url("/f?sig=1")).urlRefresher(hook)
                .build();
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, dir.resolve("out")));
        }
        assertEquals(1, hook.calls.size(), "one expiry, one call");
        assertEquals(403, hook.calls.get(0).status());
        assertTrue(hook.calls.get(0).url().toString().endsWith("/f?sig=1"));
        List<RecordedRequest> rs = server.requests("/f");
        assertEquals(3, rs.size(), "cut, expired, continued: " + rs);
        RecordedRequest resumed = rs.get(2);
        assertTrue(resumed.target().endsWith("sig=2"));
        assertTrue(resumed.header("Range").matches("bytes=[1-9]\\d*-"), resumed.header("Range"));
        assertEquals(ETAG, resumed.header("If-Range"), "the fresh URL's bytes are validated");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anExpiryThatEveryConnectionSeesIsRefreshedOnceForAll(Mode mode) throws Exception {
        // The opening request is the last sig=1 serves; the three extra connections' first
        // ranges all meet the expiry, and their 403s are answered only once all three asked.
        Signed signed = new Signed(SegmentsTest.serving(body, ETAG), 3, "1", "2");
        signed.expireAfter = 1;
        server.handle("/f", signed);
        Hook hook = new Hook(server.url("/f?sig=2"));
        DownloadRequest r = DownloadRequest.builder(server.url("/f?sig=1")).urlRefresher(hook)
                .connections(Connections.fixed(4)).build();
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, dir.resolve("out")));
        }
        assertEquals(1, hook.calls.size(), "called once, whichever connection saw it first: "
                + hook.calls);
        assertEquals(0, signed.expiredSeen.getCount(), "three connections met the expiry");
        for (RecordedRequest q : server.requests("/f")) {
            if (q.target().endsWith("sig=2")) {
                assertEquals(ETAG, q.header("If-Range"), q.toString());
            }
        }
        assertTrue(server.requests("/f").stream().anyMatch(q -> q.target().endsWith("sig=2")));
    }

    @Test
    void aFreshUrlThatFailsAtOnceEndsTheDownloadInsteadOfLooping() throws Exception {
        Signed signed = new Signed(ServeBytes.of(body).etag(ETAG)); // nothing is valid
        server.handle("/f", signed);
        Hook hook = new Hook(server.url("/f?sig=3"));
        DownloadRequest r = DownloadRequest.builder(server.url("/f?sig=1")).urlRefresher(hook)
                .build();
        Path out = dir.resolve("out");
        try (DownloadManager m = manager()) {
            DownloadException e = failure(m.download(r, Destination.file(out)));
            assertEquals(Reason.HTTP_STATUS, e.reason());
            assertEquals(403, e.statusCode());
        }
        assertEquals(1, hook.calls.size());
        assertEquals(List.of(), Outcomes.listing(dir));
    }

    @Test
    void aHookWithNoFreshUrlOrOneThatThrowsEndsTheDownloadTyped() throws Exception {
        server.handle("/f", new Signed(ServeBytes.of(body).etag(ETAG)));
        Path out = dir.resolve("out");
        try (DownloadManager m = manager()) {
            DownloadRequest none = DownloadRequest.builder(server.url("/f?sig=1"))
                    .urlRefresher(expired -> null).build();
            assertEquals(Reason.HTTP_STATUS, failure(m.download(none, Destination.file(out)))
                    .reason());
            DownloadRequest throwing = DownloadRequest.builder(server.url("/f?sig=1"))
                    .urlRefresher(expired -> {
                        throw new IllegalStateException("signer down");
                    }).build();
            DownloadException e = failure(m.download(throwing, Destination.file(out)));
            assertEquals(Reason.CALLBACK_FAILED, e.reason());
            assertTrue(e.getMessage().contains("signer down"), e.getMessage());
            DownloadRequest ftp = DownloadRequest.builder(server.url("/f?sig=1"))
                    .urlRefresher(expired -> URI.create("ftp://x/f")).build();
            assertEquals(Reason.POLICY, failure(m.download(ftp, Destination.file(out))).reason());
        }
        assertEquals(List.of(), Outcomes.listing(dir));
    }

    static DownloadException failure(Download<?> d) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> d.result().get(30, TimeUnit.SECONDS));
        return (DownloadException) e.getCause();
    }

    // ---------------------------------------------------------------- reruns

    /** Leaves a part of {@code url}'s body cut after {@code cut} bytes, with its sidecar. */
    void leavePart(DownloadRequest.Builder request, Path out) throws Exception {
        try (DownloadManager m = manager()) {
            failure(m.download(request.retryPolicy(RetryPolicy.NONE).build(),
                    Destination.file(out)));
        }
        assertTrue(Files.size(out.resolveSibling("out.part")) > 0, "a part is left");
    }

    @Test
    void aRerunWithOnlyTheQueryChangedContinuesThePartValidated() throws Exception {
        long cut = 4 * 1024 * 1024;
        server.handle("/f", new Signed(ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST), "1", "2"));
        Path out = dir.resolve("out");
        leavePart(DownloadRequest.builder(server.url("/f?sig=1")), out);
        try (DownloadManager m = manager()) {
            DownloadResult<Path> res = m.download(DownloadRequest.builder(server.url("/f?sig=2"))
                    .build(), Destination.file(out)).result().get(30, TimeUnit.SECONDS);
            assertTrue(res.resumedFrom() > 0, "continued, not started over");
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        RecordedRequest second = server.requests("/f").get(1);
        assertTrue(second.header("Range").matches("bytes=[1-9]\\d*-"), second.header("Range"));
        assertEquals(ETAG, second.header("If-Range"));
        assertEquals(List.of("out"), Outcomes.listing(dir));
    }

    @Test
    void aRerunFromAnotherPathStartsOverWithoutADigest() throws Exception {
        long cut = 4 * 1024 * 1024;
        server.handle("/f", ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST));
        server.handle("/g", ServeBytes.of(body).etag(ETAG));
        Path out = dir.resolve("out");
        leavePart(DownloadRequest.builder(server.url("/f")), out);
        try (DownloadManager m = manager()) {
            DownloadResult<Path> res = m.download(DownloadRequest.builder(server.url("/g"))
                    .build(), Destination.file(out)).result().get(30, TimeUnit.SECONDS);
            assertEquals(0, res.resumedFrom());
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        assertNull(server.requests("/g").get(0).header("Range"));
    }

    @Test
    void aRerunFromAnotherHostContinuesOnTheDigestsWord() throws Exception {
        long cut = 4 * 1024 * 1024;
        String sha = TestBodies.sha256Hex(body);
        server.handle("/f", ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST));
        Path out = dir.resolve("out");
        leavePart(DownloadRequest.builder(server.url("/f")).expectedSha256(sha), out);
        try (FaultServer other = FaultServer.start()) {
            other.handle("/copy", ServeBytes.of(body).etag("\"elsewhere\""));
            try (DownloadManager m = manager()) {
                DownloadResult<Path> res = m.download(DownloadRequest.builder(other.url("/copy"))
                        .expectedSha256(sha).build(), Destination.file(out)).result()
                        .get(30, TimeUnit.SECONDS);
                assertTrue(res.resumedFrom() > 0);
            }
            RecordedRequest q = other.requests("/copy").get(0);
            assertTrue(q.header("Range").matches("bytes=[1-9]\\d*-"), q.header("Range"));
            assertNull(q.header("If-Range"), "the first host's ETag proves nothing here");
        }
        assertArrayEquals(body, Files.readAllBytes(out));
    }

    @Test
    void aRerunFromAnotherHostWithOtherBytesFailsItsDigestAndLeavesNoMix() throws Exception {
        long cut = 4 * 1024 * 1024;
        String sha = TestBodies.sha256Hex(body);
        server.handle("/f", ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST));
        Path out = dir.resolve("out");
        leavePart(DownloadRequest.builder(server.url("/f")).expectedSha256(sha), out);
        byte[] other = TestBodies.random(SIZE, 42);
        try (FaultServer liar = FaultServer.start()) {
            liar.handle("/copy", ServeBytes.of(other).etag("\"x\""));
            try (DownloadManager m = manager()) {
                DownloadException e = failure(m.download(DownloadRequest.builder(
                        liar.url("/copy")).expectedSha256(sha).build(), Destination.file(out)));
                assertEquals(Reason.INTEGRITY, e.reason());
            }
            // the joined body failed, then the whole body from the one source failed: no loop
            assertEquals(2, liar.requests("/copy").size());
            assertNull(liar.requests("/copy").get(1).header("Range"), "fetched again whole");
        }
        assertFalse(Files.exists(out), "no file claims to be the body");
    }
}
