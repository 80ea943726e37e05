package dev.haul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadException.Reason;
import dev.haul.SegmentsTest.Mode;
import dev.haul.testing.FakeTime;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.SilentServer;
import dev.haul.testing.TestBodies;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mirrors: another URL takes over at once when one fails; several serve one body together only
 * when proven to hold the same bytes (the same strong ETag, or the same total with an expected
 * SHA-256 that decides); a mirror that serves other bytes never leaves a mix; credentials stay
 * with their origin.
 */
@ExtendWith(LeakCheck.class)
@Timeout(60)
class MirrorsTest {
    static final int SIZE = SegmentsTest.SIZE;
    static final String ETAG = SegmentsTest.ETAG;

    @TempDir
    Path dir;
    FaultServer a;
    FaultServer b;
    final byte[] body = TestBodies.random(SIZE, 31);
    final String sha = TestBodies.sha256Hex(body);

    @BeforeEach
    void start() throws Exception {
        a = FaultServer.start();
        b = FaultServer.start();
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    static DownloadManager manager() {
        return DownloadManager.builder()
                .retryPolicy(RetryPolicy.ofRetries(2).withBackoff(Duration.ofMillis(5),
                        Duration.ofMillis(20)))
                .responseTimeout(Duration.ofSeconds(10)).stallTimeout(Duration.ofSeconds(10))
                .splitThreshold(1024 * 1024).build();
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- failover

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDeadOrMissingFirstUrlFailsOverToTheMirrorAtOnce(Mode mode) throws Exception {
        a.always("/f", Responses.notFound());
        b.handle("/f", ServeBytes.of(body).etag(ETAG));
        String refused = "http://127.0.0.1:" + closedPort() + "/f";
        List<String> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
        DownloadRequest r = DownloadRequest.builder(refused).mirror(a.url("/f"))
                .mirror(b.url("/f")).listener(new DownloadListener() {
                    @Override
                    public void onSourceChanged(Download<?> d, DownloadException cause,
                            java.net.URI from, java.net.URI to) {
                        changes.add(from + " -> " + to + " " + cause.reason());
                    }
                }).build();
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, dir.resolve("out")));
        }
        assertEquals(List.of(refused + " -> " + a.url("/f") + " CONNECT",
                a.url("/f") + " -> " + b.url("/f") + " HTTP_STATUS"), changes,
                "each failover is reported with both sources");
        assertEquals(1, a.requests("/f").size(), "the 404 mirror was asked once");
        assertEquals(1, b.requests("/f").size(), "the good mirror served it whole");
        if (mode == Mode.FILE) {
            assertEquals(List.of("out"), Outcomes.listing(dir));
        }
    }

    @Test
    void everySourceFailingEndsWithATypedFailureAndNoFile() throws Exception {
        a.always("/f", Responses.notFound());
        b.always("/f", Responses.status(500));
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/f")).build();
        try (DownloadManager m = manager()) {
            Download<Path> d = m.download(r, Destination.file(dir.resolve("out")));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> d.result().get(30, TimeUnit.SECONDS));
            DownloadException failure = (DownloadException) e.getCause();
            assertTrue(failure.reason() == Reason.HTTP_STATUS
                    || failure.reason() == Reason.HTTP_TRANSIENT, failure.toString());
        }
        assertEquals(List.of(), Outcomes.listing(dir));
        // each source once per round: 3 rounds (two retries) at most
        assertTrue(a.requests("/f").size() <= 3 && b.requests("/f").size() <= 3,
                a.requests("/f").size() + " and " + b.requests("/f").size());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aCutBodyContinuesOnAMirrorWithTheSameETagFromTheByteReached(Mode mode)
            throws Exception {
        long cut = 3 * 1024 * 1024;
        a.handle("/f", ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST));
        b.handle("/mirror/f", ServeBytes.of(body).etag(ETAG));
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/mirror/f"))
                .build();
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, dir.resolve("out")));
        }
        RecordedRequest resumed = b.requests("/mirror/f").get(0);
        String range = resumed.header("Range");
        assertTrue(range != null && range.startsWith("bytes=") && !range.equals("bytes=0-"),
                "the mirror is asked for the rest: " + range);
        assertEquals(ETAG, resumed.header("If-Range"), "validated with the first URL's ETag");
        assertEquals(1, b.requests("/mirror/f").size());
    }

    @Test
    void aMirrorWithAnotherETagAndNoDigestStartsTheBodyOverRatherThanSplicingIt()
            throws Exception {
        long cut = 3 * 1024 * 1024;
        a.handle("/f", ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST));
        b.handle("/f", ServeBytes.of(body).etag("\"other\""));
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/f")).build();
        Path out = dir.resolve("out");
        try (DownloadManager m = manager()) {
            DownloadResult<Path> res = m.download(r, Destination.file(out)).result()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(0, res.resumedFrom(), "nothing of the first URL's bytes was kept");
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(ETAG, b.requests("/f").get(0).header("If-Range"));
    }

    @Test
    void withAnExpectedDigestAMirrorWithAnotherETagContinuesByTheTotal() throws Exception {
        long cut = 3 * 1024 * 1024;
        a.handle("/f", ServeBytes.of(body).etag(ETAG).cutOnRequest(1, cut,
                ServeBytes.Cut.RST));
        b.handle("/f", ServeBytes.of(body).etag("\"other\""));
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/f"))
                .expectedSha256(sha).build();
        Path out = dir.resolve("out");
        try (DownloadManager m = manager()) {
            DownloadResult<Path> res = m.download(r, Destination.file(out)).result()
                    .get(30, TimeUnit.SECONDS);
            assertTrue(res.resumedFrom() > 0, "the mirror continued the bytes held");
            assertEquals(sha, res.sha256().orElseThrow());
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        RecordedRequest resumed = b.requests("/f").get(0);
        assertTrue(resumed.header("Range").matches("bytes=[1-9]\\d*-"), resumed.header("Range"));
        assertNull(resumed.header("If-Range"), "another server's ETag proves nothing there");
        assertEquals(1, b.requests("/f").size());
    }

    @Test
    void aBlackHoledFirstUrlCostsSecondsNotTheResponseTimeout() throws Exception {
        FakeTime time = new FakeTime();
        b.handle("/f", ServeBytes.of(body).etag(ETAG));
        try (SilentServer silent = SilentServer.start();
                DownloadManager m = DownloadManager.builder().timeSource(time)
                        .responseTimeout(Duration.ofSeconds(30)).build()) {
            DownloadRequest r = DownloadRequest.builder("http://127.0.0.1:" + silent.port() + "/f")
                    .mirror(b.url("/f")).build();
            Download<byte[]> d = m.download(r, Destination.memory());
            // the head wait of the black hole is the mirror grace, not the 30 s timeout
            time.awaitTask(delay -> delay == Duration.ofSeconds(5).toNanos(), 1,
                    Duration.ofSeconds(10));
            time.advance(Duration.ofSeconds(5));
            assertArrayEquals(body, d.result().get(30, TimeUnit.SECONDS).body());
        }
        assertEquals(1, b.requests("/f").size());
    }

    // ---------------------------------------------------------------- several sources at once

    @ParameterizedTest
    @EnumSource(Mode.class)
    void mirrorsWithTheSameETagServeRangesOfOneBodyTogether(Mode mode) throws Exception {
        a.handle("/f", SegmentsTest.serving(body, ETAG));
        b.handle("/f", SegmentsTest.serving(body, ETAG));
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/f"))
                .connections(Connections.fixed(4)).build();
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, dir.resolve("out")));
        }
        assertFalse(b.requests("/f").isEmpty(), "the mirror served ranges too");
        for (RecordedRequest q : b.requests("/f")) {
            assertTrue(q.header("Range").matches("bytes=\\d+-\\d+"), "an exact range: " + q);
            assertEquals(ETAG, q.header("If-Range"), "validated with the anchor's ETag: " + q);
        }
        if (mode == Mode.FILE) {
            assertEquals(List.of("out"), Outcomes.listing(dir));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aMirrorWithOtherBytesAndAnotherETagIsNeverJoinedWithoutADigest(Mode mode)
            throws Exception {
        byte[] other = TestBodies.random(SIZE, 99);
        a.handle("/f", SegmentsTest.serving(body, ETAG));
        b.handle("/f", SegmentsTest.serving(other, "\"other\""));
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/f"))
                .connections(Connections.fixed(4)).build();
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, dir.resolve("out")));
        }
        assertTrue(b.requests("/f").size() <= 1, "asked once, found different, dropped: "
                + b.requests("/f").size());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aMirrorWithOtherBytesOfTheSameSizeIsCaughtByTheDigestAndNeverLeavesAMix(Mode mode)
            throws Exception {
        byte[] other = TestBodies.random(SIZE, 77);
        a.handle("/f", SegmentsTest.serving(body, ETAG));
        b.handle("/f", SegmentsTest.serving(other, "\"liar\""));
        List<DownloadException> retries = new java.util.concurrent.CopyOnWriteArrayList<>();
        DownloadRequest r = DownloadRequest.builder(a.url("/f")).mirror(b.url("/f"))
                .connections(Connections.fixed(4)).expectedSha256(sha)
                .listener(new DownloadListener() {
                    @Override
                    public void onRetry(Download<?> d, DownloadException cause, int next,
                            Duration delay, long from) {
                        retries.add(cause);
                    }
                }).build();
        Path out = dir.resolve("out");
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, r, out));
        }
        if (mode == Mode.STREAM) {
            // a stream's callback has every byte at once: a digest cannot vouch for a join there
            assertTrue(b.requests("/f").size() <= 1, "never joined: " + b.requests("/f").size());
            return;
        }
        assertFalse(b.requests("/f").isEmpty(), "the mirror was joined on the digest's word");
        assertTrue(retries.stream().anyMatch(e -> e.reason() == Reason.INTEGRITY),
                "the mixed body failed its digest and was fetched again: " + retries);
        if (mode == Mode.FILE) {
            assertEquals(List.of("out"), Outcomes.listing(dir));
        }
    }

    // ---------------------------------------------------------------- credentials

    @Test
    void credentialsGoOnlyToTheSameOriginOrToAMirrorTrustedWithThem() throws Exception {
        FaultServer c = FaultServer.start();
        try (c) {
            byte[] small = TestBodies.random(1000, 5);
            a.handle("/f", (RecordedRequest q) -> Responses.status(503));
            a.handle("/same", (RecordedRequest q) -> Responses.status(503));
            b.handle("/f", (RecordedRequest q) -> Responses.status(503));
            c.handle("/f", ServeBytes.of(small));
            DownloadRequest r = DownloadRequest.builder(
                    a.url("/f").replace("http://", "http://user:secret@"))
                    .header("Authorization", "Bearer token").header("Cookie", "s=1")
                    .header("X-Api-Key", "k").header("Accept", "*/*")
                    .mirror(a.url("/same")).mirror(b.url("/f"))
                    .mirror(Mirror.of(c.url("/f")).withCredentials())
                    .retryPolicy(RetryPolicy.NONE).build();
            try (DownloadManager m = manager()) {
                assertArrayEquals(small, m.download(r, Destination.memory()).result()
                        .get(30, TimeUnit.SECONDS).body());
            }
            RecordedRequest same = a.requests("/same").get(0);
            assertEquals("Bearer token", same.header("Authorization"));
            assertEquals("k", same.header("X-Api-Key"));
            RecordedRequest other = b.requests("/f").get(0);
            assertNull(other.header("Authorization"), "no credentials to another origin");
            assertNull(other.header("Cookie"));
            assertNull(other.header("X-Api-Key"));
            assertEquals("*/*", other.header("Accept"));
            RecordedRequest trusted = c.requests("/f").get(0);
            assertEquals("Bearer token", trusted.header("Authorization"));
            assertEquals("s=1", trusted.header("Cookie"));
        }
    }

    @Test
    void aMirrorsOwnUserInfoGoesToThatMirrorOnly() throws Exception {
        byte[] small = TestBodies.random(1000, 6);
        a.handle("/f", (RecordedRequest q) -> Responses.status(503));
        b.handle("/f", ServeBytes.of(small));
        DownloadRequest r = DownloadRequest.builder(a.url("/f"))
                .mirror(b.url("/f").replace("http://", "http://m:pw@"))
                .retryPolicy(RetryPolicy.NONE).build();
        try (DownloadManager m = manager()) {
            m.download(r, Destination.memory()).result().get(30, TimeUnit.SECONDS);
        }
        assertNull(a.requests("/f").get(0).header("Authorization"));
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("m:pw".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), b.requests("/f").get(0)
                .header("Authorization"));
        assertFalse(b.requests("/f").get(0).target().contains("pw"));
    }

    @Test
    void aBadMirrorUrlIsRefusedWhenTheRequestIsBuilt() {
        DownloadRequest.Builder builder = DownloadRequest.builder("http://127.0.0.1/f");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.mirror("ftp://mirror.example/f"));
        assertTrue(e.getMessage().contains("http or https"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.mirror("not a url"));
        DownloadRequest r = builder.mirror("http://127.0.0.1/f").mirror("http://m.example/f")
                .mirror("http://m.example/f").build();
        assertEquals(List.of(Mirror.of("http://m.example/f")), r.mirrors(),
                "the request's own URL and duplicates are dropped");
    }
}
