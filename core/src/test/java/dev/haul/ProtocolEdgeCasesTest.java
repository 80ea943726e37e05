package dev.haul;

import static dev.haul.Outcomes.failure;
import static dev.haul.Outcomes.fastManager;
import static dev.haul.Outcomes.fastRetries;
import static dev.haul.Outcomes.listing;
import static dev.haul.Outcomes.success;
import static org.junit.jupiter.api.Assertions.*;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.Script;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server misbehaviour and HTTP edge cases (catalogue 25–36, S-c, S-d) against the raw-socket
 * {@link FaultServer}: each test asserts what the caller saw, what the server was asked, and what
 * is on disk afterwards.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class ProtocolEdgeCasesTest {
    @TempDir Path dir;
    FaultServer server;
    DownloadManager manager;

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        manager = fastManager().build();
    }

    @AfterEach
    void stop() {
        manager.close();
        server.close();
    }

    private Download<Path> toFile(String path, Path out) {
        return manager.download(DownloadRequest.builder(server.url(path)).build(), Destination.file(out));
    }

    private static String sha(byte[] b) {
        return TestBodies.sha256Hex(b);
    }

    // ---------------------------------------------------------------- 25 redirect loop

    @Test
    void redirectLoopFailsWithPolicyAfterTwentyRedirectsAndLeavesNothing() throws Exception {
        server.always("/loop", Responses.redirect(302, "/loop"));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(toFile("/loop", out));
        assertEquals(Reason.POLICY, e.reason(), e.toString());
        assertEquals(21, server.requests("/loop").size(), "the first request and 20 redirects, then stop");
        assertEquals(List.of(), listing(dir));
        // A loop between two paths, with a lower limit.
        server.always("/a", Responses.redirect(301, "/b")).always("/b", Responses.redirect(307, "/a"));
        DownloadException two = failure(manager.download(DownloadRequest.builder(server.url("/a")).maxRedirects(3).build(), Destination.memory()));
        assertEquals(Reason.POLICY, two.reason());
        assertEquals(4, server.requests("/a").size() + server.requests("/b").size());
        assertFalse(two.retryable());
    }


    // ---------------------------------------------------------------- 26 3xx body

    @Test
    void redirectBodyIsNotCountedInCapProgressOrChecksum() throws Exception {
        byte[] target = "12345".getBytes(StandardCharsets.US_ASCII);
        server.enqueue("/r", Responses.status(301, "abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII))
                .withHeader("Location", "/t"));
        server.always("/t", Responses.ok(target));
        List<Progress> events = new CopyOnWriteArrayList<>();
        List<Integer> percents = new CopyOnWriteArrayList<>();
        var r = success(manager.download(DownloadRequest.builder(server.url("/r"))
                .maxMemoryBytes(5).expectedSize(5).expectedSha256(sha(target))
                .listener(new DownloadListener() {
                    @Override
                    public void onProgress(Download<?> d, Progress p) {
                        events.add(p);
                    }
                })
                .progressCallback(percents::add).build(), Destination.memory()));
        assertArrayEquals(target, r.body());
        assertEquals(5, r.size());
        assertEquals(sha(target), r.sha256().orElseThrow());
        assertEquals(server.uri("/t"), r.finalUri());
        assertEquals(200, r.statusCode());
        assertFalse(events.isEmpty());
        for (Progress p : events) {
            assertTrue(p.bytesDone() <= 5, "progress counted the redirect body: " + p);
        }
        assertEquals(5, events.get(events.size() - 1).bytesDone());
        assertEquals(100, percents.get(percents.size() - 1));
        assertTrue(percents.stream().allMatch(p -> p <= 100), percents.toString());
    }

    @Test
    void largeRedirectBodyIsDroppedAndNeverStored() throws Exception {
        byte[] junk = TestBodies.random(200_000, 7);
        byte[] target = TestBodies.bytes(1000);
        server.enqueue("/r", Responses.status(302, junk).withHeader("Location", "/t"));
        server.always("/t", Responses.ok(target));
        Path out = dir.resolve("out.bin");
        var r = success(toFile("/r", out));
        assertEquals(1000, r.size());
        assertArrayEquals(target, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
    }

    // ---------------------------------------------------------------- 27 checksum mismatch

    @Test
    void checksumMismatchInFileModeLeavesNoDestinationAndNoPart() throws Exception {
        byte[] body = TestBodies.bytes(50_000);
        server.handle("/f", ServeBytes.of(body));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/f"))
                .expectedSha256(sha(new byte[1])).build(), Destination.file(out)));
        assertEquals(Reason.INTEGRITY, e.reason());
        assertEquals(1, server.requests("/f").size(), "an integrity failure is not retried");
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void checksumMismatchThroughTheFacadeIsNull() throws Exception {
        server.always("/f", Responses.ok(TestBodies.bytes(3000)));
        try {
            byte[] got = DownloadManager.downloadUrl(server.url("/f"), DownloadOptions.builder()
                    .expectedSha256(sha(new byte[1])).retryPolicy(fastRetries(2)).build()).get(10, TimeUnit.SECONDS);
            assertNull(got);
            assertEquals(1, server.requests("/f").size());
        } finally {
            DownloadManager.closeSession().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void checksumMismatchInStreamOrMemoryModeIsIntegrity() throws Exception {
        byte[] body = TestBodies.bytes(3000);
        server.always("/f", Responses.okChunked(body, 1000));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/f"))
                .expectedSha256(sha(new byte[1])).build(), Destination.stream(got::write)));
        assertEquals(Reason.INTEGRITY, e.reason());
        assertArrayEquals(body, got.toByteArray(), "chunks delivered are the server's, once each");
        assertEquals(1, server.requests("/f").size());
        DownloadException memory = failure(manager.download(DownloadRequest.builder(server.url("/f"))
                .expectedSha256(sha(new byte[1])).build(), Destination.memory()));
        assertEquals(Reason.INTEGRITY, memory.reason());
        assertEquals(2, server.requests("/f").size());
    }

    @Test
    void checksumCoversTheResumedPrefix() throws Exception {
        byte[] body = TestBodies.random(60_000, 1);
        ServeBytes serve = ServeBytes.of(body).cutOnRequest(1, 20_000, ServeBytes.Cut.RST);
        server.handle("/f", serve);
        Path out = dir.resolve("out.bin");
        var r = success(manager.download(DownloadRequest.builder(server.url("/f"))
                .expectedSha256(sha(body)).build(), Destination.file(out)));
        assertEquals(sha(body), r.sha256().orElseThrow());
        assertEquals(2, r.attempts());
        List<RecordedRequest> reqs = server.requests("/f");
        assertEquals(2, reqs.size());
        assertEquals("bytes=20000-", reqs.get(1).header("Range"));
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
    }

    @Test
    void aLargeBodyHashedAlongsideTheDownloadIsVerifiedInEveryMode() throws Exception {
        byte[] body = TestBodies.random(12 * 1024 * 1024, 3); // past the bytes hashed in line
        server.handle("/f", ServeBytes.of(body));
        Path out = dir.resolve("out.bin");
        for (DownloadMode mode : DownloadMode.values()) {
            ByteArrayOutputStream streamed = new ByteArrayOutputStream();
            DownloadRequest.Builder b = DownloadRequest.builder(server.url("/f")).expectedSha256(sha(body));
            Destination<?> destination = mode == DownloadMode.FILE ? Destination.file(out)
                    : mode == DownloadMode.STREAM ? Destination.stream(streamed::write) : Destination.memory();
            var r = success(manager.download(b.build(), destination));
            assertEquals(sha(body), r.sha256().orElseThrow(), mode.toString());
            if (mode == DownloadMode.MEMORY) {
                assertArrayEquals(body, (byte[]) r.body());
            } else if (mode == DownloadMode.STREAM) {
                assertArrayEquals(body, streamed.toByteArray());
            }
        }
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("out.bin"), listing(dir));
        byte[] wrong = body.clone();
        wrong[wrong.length - 1] ^= 1; // only the last byte differs: it is hashed on the helper thread
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/f"))
                .expectedSha256(sha(wrong)).build(), Destination.file(dir.resolve("bad.bin"))));
        assertEquals(Reason.INTEGRITY, e.reason());
        assertEquals(List.of("out.bin"), listing(dir));
    }

    @Test
    void aLargeBodysChecksumFollowsAResumeAndAStartOver() throws Exception {
        byte[] body = TestBodies.random(12 * 1024 * 1024, 4);
        server.handle("/resume", ServeBytes.of(body).cutOnRequest(1, 8 * 1024 * 1024, ServeBytes.Cut.FIN));
        server.handle("/restart", ServeBytes.of(body).ignoreRange(true).cutOnRequest(1, 8 * 1024 * 1024, ServeBytes.Cut.FIN));
        for (String path : List.of("/resume", "/restart")) {
            var r = success(manager.download(DownloadRequest.builder(server.url(path))
                    .expectedSha256(sha(body)).build(), Destination.memory()));
            assertEquals(2, r.attempts(), path);
            assertEquals(path.equals("/resume") ? 8 * 1024 * 1024 : 0, r.resumedFrom(), path);
            assertEquals(sha(body), r.sha256().orElseThrow(), path);
            assertArrayEquals(body, r.body(), path);
        }
        assertEquals("bytes=8388608-", server.lastRequest("/resume").header("Range"));
        assertEquals("bytes=8388608-", server.lastRequest("/restart").header("Range"));
    }

    @Test
    void aCorruptedResumedPrefixIsCaughtByTheChecksumAndThePartIsDeleted() throws Exception {
        byte[] body = TestBodies.random(60_000, 2);
        server.handle("/f", ServeBytes.of(body).cutOnRequest(1, 20_000, ServeBytes.Cut.FIN));
        Path out = dir.resolve("out.bin");
        DownloadRequest req = DownloadRequest.builder(server.url("/f"))
                .expectedSha256(sha(body)).retryPolicy(RetryPolicy.NONE).build();
        assertEquals(Reason.NETWORK, failure(manager.download(req, Destination.file(out))).reason());
        assertEquals(List.of("out.bin.part", "out.bin.part.meta"), listing(dir));
        // Flip one byte of the kept prefix, as a bad disk would.
        byte[] part = Files.readAllBytes(dir.resolve("out.bin.part"));
        assertArrayEquals(Arrays.copyOf(body, 20_000), part);
        part[5] ^= 1;
        Files.write(dir.resolve("out.bin.part"), part);
        DownloadException e = failure(manager.download(req, Destination.file(out)));
        assertEquals(Reason.INTEGRITY, e.reason());
        assertEquals("bytes=20000-", server.lastRequest("/f").header("Range"), "the second run resumed");
        assertEquals(List.of(), listing(dir));
    }

    // ---------------------------------------------------------------- 28 expected size

    @Test
    void expectedSizeDisagreeingWithAChunkedBodyIsIntegrityAndNotRetried() throws Exception {
        expectedSizeMismatches("/chunked", Responses.okChunked(TestBodies.bytes(100), 30));
    }

    /** Refused from the headers; the leak check also sees that each refused socket is closed. */
    @Test
    void expectedSizeDisagreeingWithContentLengthIsIntegrityAndNotRetried() throws Exception {
        expectedSizeMismatches("/cl", Responses.ok(TestBodies.bytes(100)));
    }

    private void expectedSizeMismatches(String path, dev.haul.testing.Reply reply) throws Exception {
        server.always(path, reply);
        Path out = dir.resolve("out.bin");
        for (int expected : new int[] {0, 50, 99, 101, 150}) {
            int before = server.requests(path).size();
            DownloadException e = failure(manager.download(DownloadRequest.builder(server.url(path))
                    .expectedSize(expected).build(), Destination.file(out)));
            assertEquals(Reason.INTEGRITY, e.reason(), path + " expected " + expected);
            assertEquals(before + 1, server.requests(path).size(), "not retried");
            assertEquals(List.of(), listing(dir), path + " expected " + expected);
        }
    }

    // ---------------------------------------------------------------- 29 unsolicited 304

    @Test
    void unsolicited304IsATypedFinalFailureAndStoresNothing() throws Exception {
        server.always("/f", Responses.status(304, "ETag: \"x\""));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(toFile("/f", out));
        assertFalse(e.retryable(), e.toString());
        assertEquals(304, e.statusCode());
        assertEquals(1, server.requests("/f").size());
        assertFalse(server.lastRequest("/f").hasHeader("If-None-Match"));
        assertFalse(server.lastRequest("/f").hasHeader("If-Modified-Since"));
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void unsolicited304IsAProtocolError() throws Exception {
        server.always("/f", Responses.status(304));
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory()));
        assertEquals(Reason.PROTOCOL, e.reason(), "a 304 to an unconditional GET breaks the protocol: " + e);
    }

    @Test
    void aRedirectWithoutLocationIsAProtocolErrorAndWritesNothing() throws Exception {
        server.always("/f", Responses.status(302));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(toFile("/f", out));
        assertEquals(Reason.PROTOCOL, e.reason(), e.toString());
        assertEquals(302, e.statusCode());
        assertEquals(1, server.requests("/f").size(), "a protocol error is not retried");
        assertEquals(List.of(), listing(dir));
    }

    // ---------------------------------------------------------------- 30 zero length

    @Test
    void zeroLengthBodyIsAnEmptySuccessInEveryMode() throws Exception {
        zeroLength(false);
        Files.delete(dir.resolve("empty.bin"));
        zeroLength(true);
    }

    private void zeroLength(boolean chunked) throws Exception {
        server.always("/e", chunked ? Responses.okChunked(new byte[0]) : Responses.ok(new byte[0]));
        Path out = dir.resolve("empty.bin");
        var f = success(toFile("/e", out));
        assertEquals(0, f.size());
        assertEquals(0, Files.size(out));
        assertEquals(List.of("empty.bin"), listing(dir));
        var m = success(manager.download(DownloadRequest.builder(server.url("/e"))
                .expectedSize(0).expectedSha256(sha(new byte[0])).build(), Destination.memory()));
        assertNotNull(m.body());
        assertEquals(0, m.body().length);
        List<byte[]> chunks = new CopyOnWriteArrayList<>();
        success(manager.download(DownloadRequest.builder(server.url("/e")).build(), Destination.stream(chunks::add)));
        assertEquals(0, chunks.stream().mapToInt(c -> c.length).sum());
    }

    // ---------------------------------------------------------------- 31 chunked framing

    @Test
    void chunkExtensionsAndTrailersAreIgnored() throws Exception {
        server.always("/c", Script.builder()
                .head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Trailer: X-Checksum")
                .write("5;heresatest=moooo\r\nhello\r\n6 ; a=b;c=\"d;e\"\r\n world\r\n0;last\r\n"
                        + "X-Checksum: abc\r\nX-Other: 1\r\n\r\n")
                .keepAlive().build());
        byte[] expected = "hello world".getBytes(StandardCharsets.US_ASCII);
        var r = success(manager.download(DownloadRequest.builder(server.url("/c"))
                .expectedSha256(sha(expected)).build(), Destination.memory()));
        assertArrayEquals(expected, r.body());
        Path out = dir.resolve("c.txt");
        success(toFile("/c", out));
        assertArrayEquals(expected, Files.readAllBytes(out));
        assertEquals(List.of("c.txt"), listing(dir));
        byte[] body = TestBodies.bytes(20_000);
        server.always("/t", Responses.okChunked(body, 3000).withTrailer("X-Sum", "1").withTrailer("Expires", "0"));
        assertArrayEquals(body, success(manager.download(DownloadRequest.builder(server.url("/t")).build(), Destination.memory())).body());
    }

    /**
     * The JDK client frames by Content-Length when both headers are present, so the engine must
     * either refuse such a response or get chunked framing: never store the chunk framing.
     */
    @Test
    void chunkedWinsOverContentLengthOrTheResponseIsRefused() throws Exception {
        String wire = "b\r\nhello world\r\n0\r\n\r\n";
        server.always("/c", Script.builder()
                .head("HTTP/1.1 200 OK", "Content-Length: " + wire.length(), "Transfer-Encoding: chunked")
                .write(wire).keepAlive().build());
        byte[] expected = "hello world".getBytes(StandardCharsets.US_ASCII);
        Path out = dir.resolve("c.txt");
        var d = toFile("/c", out);
        try {
            var r = d.result().get(10, TimeUnit.SECONDS);
            assertEquals(11, r.size());
            assertArrayEquals(expected, Files.readAllBytes(out), "chunk framing stored as the body");
            assertEquals(List.of("c.txt"), listing(dir));
        } catch (java.util.concurrent.ExecutionException e) {
            assertEquals(Reason.PROTOCOL, ((DownloadException) e.getCause()).reason(), e.toString());
            assertEquals(List.of(), listing(dir));
        }
    }

    @Test
    void contentLengthWithChunkedThatNeverCompletesEndsWithinTheRetryBudget() throws Exception {
        server.always("/c", Script.builder()
                .head("HTTP/1.1 200 OK", "Content-Length: 123456", "Transfer-Encoding: chunked")
                .write("b\r\nhello world\r\n0\r\n\r\n").fin().build());
        Path out = dir.resolve("c.txt");
        DownloadException e = failure(toFile("/c", out));
        assertTrue(server.requests("/c").size() <= 3, server.requests("/c").size() + " requests with 2 retries");
        assertTrue(e.reason() == Reason.PROTOCOL || e.reason() == Reason.NETWORK, e.toString());
        assertEquals(List.of(), listing(dir));
    }

    /** I2: a cut that forces a restart from byte 0 is not progress, so it spends the budget. */
    @Test
    void attemptsThatRestartFromZeroDoNotRenewTheRetryBudget() throws Exception {
        byte[] body = TestBodies.bytes(10_000);
        ServeBytes serve = ServeBytes.of(body).etag(null).lastModified((String) null).contentLength(false);
        for (int k = 1; k <= 50; k++) {
            serve.cutOnRequest(k, 1000, ServeBytes.Cut.RST);
        }
        server.handle("/f", serve);
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(toFile("/f", out));
        assertEquals(Reason.NETWORK, e.reason());
        assertEquals(3, server.requests("/f").size(), "the first attempt and 2 retries");
        for (RecordedRequest r : server.requests("/f")) {
            assertFalse(r.hasHeader("Range"), "nothing proves a resume: each attempt starts at 0");
        }
        assertEquals(List.of(), listing(dir));
    }

    // ---------------------------------------------------------------- 32 head cut short

    @Test
    void headersWithoutTheFinalCrlfThenCloseAreAnErrorNotASuccess() throws Exception {
        for (int length : new int[] {0, 5}) {
            String path = "/h" + length;
            server.always(path, Script.builder()
                    .write("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n").fin().build());
            Path out = dir.resolve("out.bin");
            DownloadException e = failure(toFile(path, out));
            assertTrue(e.reason() == Reason.NETWORK || e.reason() == Reason.PROTOCOL, e.toString());
            assertTrue(server.requests(path).size() <= 3, "retries stay within the policy");
            assertEquals(List.of(), listing(dir));
        }
    }

    // ---------------------------------------------------------------- 33 multipart 206

    @Test
    void multipartByterangesAnsweringASingleRangeIsRejectedAndNeverStored() throws Exception {
        byte[] body = TestBodies.bytes(5000);
        server.enqueue("/m", Responses.ok(body).withHeader("ETag", "\"v1\"").truncatedAfter(1000));
        String boundary = "THIS_STRING_SEPARATES";
        String multipart = "--" + boundary + "\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Range: bytes 1000-4999/5000\r\n\r\n"
                + new String(Arrays.copyOfRange(body, 1000, 5000), StandardCharsets.ISO_8859_1)
                + "\r\n--" + boundary + "--\r\n";
        server.always("/m", Responses.status(206, multipart.getBytes(StandardCharsets.ISO_8859_1))
                .withHeader("Content-Type", "multipart/byteranges; boundary=" + boundary)
                .withHeader("ETag", "\"v1\""));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(toFile("/m", out));
        assertEquals(Reason.PROTOCOL, e.reason(), e.toString());
        List<RecordedRequest> reqs = server.requests("/m");
        assertEquals(2, reqs.size());
        assertEquals("bytes=1000-", reqs.get(1).header("Range"));
        assertEquals("\"v1\"", reqs.get(1).header("If-Range"));
        assertFalse(Files.exists(out));
        // Only the verified prefix is kept, for a later resume; no MIME boundary ever reached it.
        assertEquals(List.of("out.bin.part", "out.bin.part.meta"), listing(dir));
        assertArrayEquals(Arrays.copyOf(body, 1000), Files.readAllBytes(dir.resolve("out.bin.part")));
    }

    @Test
    void multipart206InMemoryIsRejected() throws Exception {
        byte[] body = TestBodies.bytes(5000);
        server.enqueue("/m", Responses.ok(body).withHeader("ETag", "\"v1\"").truncatedAfter(1000));
        server.always("/m", Responses.status(206, "--B\r\n\r\nxx\r\n--B--\r\n".getBytes(StandardCharsets.US_ASCII))
                .withHeader("Content-Type", "multipart/byteranges; boundary=B"));
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/m")).build(), Destination.memory()));
        assertEquals(Reason.PROTOCOL, e.reason());
    }

    @Test
    void a206ToARequestWithoutRangeIsRejected() throws Exception {
        byte[] body = TestBodies.bytes(100);
        server.always("/p", Responses.partial(body, 0));
        Path out = dir.resolve("out.bin");
        DownloadException e = failure(toFile("/p", out));
        assertEquals(Reason.PROTOCOL, e.reason());
        assertFalse(server.lastRequest("/p").hasHeader("Range"));
        assertEquals(List.of(), listing(dir));
    }

    // ---------------------------------------------------------------- 34 no HEAD

    @Test
    void onlyGetsAreSentIncludingOnResume() throws Exception {
        byte[] body = TestBodies.bytes(40_000);
        server.handle("/f", ServeBytes.of(body).cutOnRequest(1, 10_000, ServeBytes.Cut.FIN));
        server.handle("/head-hates", request -> "HEAD".equals(request.method())
                ? Responses.status(405) : Responses.ok(body));
        Path out = dir.resolve("out.bin");
        success(toFile("/f", out));
        success(manager.download(DownloadRequest.builder(server.url("/head-hates")).build(), Destination.memory()));
        assertEquals(3, server.requests().size());
        for (RecordedRequest r : server.requests()) {
            assertEquals("GET", r.method(), r.toString());
        }
        assertArrayEquals(body, Files.readAllBytes(out));
    }

    // ---------------------------------------------------------------- 35 HTTP/1.0 close-delimited

    @Test
    void http10CloseDelimitedBodyIsASuccessWithAnUnknownTotal() throws Exception {
        byte[] body = TestBodies.bytes(70_000);
        server.handle("/old", ServeBytes.of(body).http10());
        List<Progress> events = new CopyOnWriteArrayList<>();
        Path out = dir.resolve("old.bin");
        var r = success(manager.download(DownloadRequest.builder(server.url("/old"))
                .listener(new DownloadListener() {
                    @Override
                    public void onProgress(Download<?> d, Progress p) {
                        events.add(p);
                    }
                }).build(), Destination.file(out)));
        assertEquals(body.length, r.size());
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals(List.of("old.bin"), listing(dir));
        assertFalse(events.isEmpty());
        for (Progress p : events) {
            assertEquals(-1, p.totalBytes(), p.toString());
            assertEquals(Progress.TotalSource.UNKNOWN, p.totalSource());
        }
        assertEquals(body.length, events.get(events.size() - 1).bytesDone());
        assertArrayEquals(body, success(manager.download(DownloadRequest.builder(server.url("/old")).build(), Destination.memory())).body());
    }

    @Test
    void truncatedCloseDelimitedBodyIsCaughtByTheExpectedSizeOrTheChecksum() throws Exception {
        byte[] body = TestBodies.bytes(1000);
        server.always("/old", Responses.ok(Arrays.copyOf(body, 600)).withVersion("HTTP/1.0").closeDelimited());
        Path out = dir.resolve("old.bin");
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/old"))
                .expectedSize(1000).build(), Destination.file(out)));
        assertEquals(Reason.INTEGRITY, e.reason());
        assertEquals(1, server.requests("/old").size());
        assertEquals(List.of(), listing(dir));
        DownloadException sha = failure(manager.download(DownloadRequest.builder(server.url("/old"))
                .expectedSha256(sha(body)).build(), Destination.file(out)));
        assertEquals(Reason.INTEGRITY, sha.reason());
        assertEquals(2, server.requests("/old").size());
        assertEquals(List.of(), listing(dir));
    }

    // ---------------------------------------------------------------- 36 oversized headers

    @Test
    void oversizedResponseHeadersAreATypedBoundedFailure() throws Exception {
        StringBuilder lines = new StringBuilder();
        String filler = "x".repeat(1000);
        for (int i = 0; lines.length() < 4 * 1024 * 1024; i++) {
            lines.append("X-Big-").append(i).append(": ").append(filler).append("\r\n");
        }
        byte[] block = lines.toString().getBytes(StandardCharsets.US_ASCII);
        Script.Builder script = Script.builder().write("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 8; i++) {
            script.write(block); // 32 MiB of headers in all, never ended
        }
        server.always("/big", script.write("Content-Length: 1\r\n\r\nx").fin().build());
        Path out = dir.resolve("out.bin");
        long t0 = System.nanoTime();
        DownloadException e = failure(toFile("/big", out));
        assertTrue(e.reason() == Reason.PROTOCOL || e.reason() == Reason.NETWORK, e.toString());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8), "gave up in time");
        assertEquals(Reason.PROTOCOL, e.reason(), "the JDK bounds a head at 384 KiB (jdk.http.maxHeaderSize)");
        assertEquals(1, server.requests("/big").size(), "not retried");
        for (RecordedRequest r : server.requests("/big")) {
            // The server is blocked writing: the client stopped reading at its bound.
            assertTrue(server.bytesWritten(r.connectionId()) < 8L * block.length,
                    "the client read all " + server.bytesWritten(r.connectionId()) + " bytes of headers");
        }
        assertEquals(List.of(), listing(dir));
    }

    // ---------------------------------------------------------------- S-c encodings

    @Test
    void identityIsAskedForAndAnEncodedBodyIsStoredAsSent() throws Exception {
        byte[] plain = new byte[1_000_000]; // a small bomb: 1 MB of zeros
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(plain);
        }
        byte[] wire = gz.toByteArray();
        server.always("/gz", Responses.ok(wire).withHeader("Content-Encoding", "gzip"));
        var r = success(manager.download(DownloadRequest.builder(server.url("/gz"))
                .maxMemoryBytes(wire.length).build(), Destination.memory()));
        assertArrayEquals(wire, r.body(), "the bytes are stored as sent, never inflated");
        assertEquals("identity", server.lastRequest("/gz").header("Accept-Encoding"));
    }

    // ---------------------------------------------------------------- S-d memory cap

    @Test
    void contentLengthAboveTheMemoryCapFailsBeforeTheBody() throws Exception {
        server.always("/big", Responses.ok(TestBodies.bytes(100_000)).stallAfter(0));
        long t0 = System.nanoTime();
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/big"))
                .maxMemoryBytes(1000).stallTimeout(Duration.ofSeconds(20)).build(), Destination.memory()));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "failed from the headers, not a stall");
        assertEquals(1, server.requests("/big").size());
        assertEquals(0, server.bodyBytesWritten(0));
    }

    /** I4: a response refused from its headers must not keep its socket open. */
    @Test
    void aResponseRefusedFromItsHeadersDropsItsConnection() throws Exception {
        server.always("/big", Responses.ok(TestBodies.bytes(100_000)).stallAfter(0));
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/big"))
                .maxMemoryBytes(1000).build(), Destination.memory()));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(server.awaitClientClosed(0, Duration.ofSeconds(3)), "the client kept the refused connection open");
    }

    @Test
    void chunkedBodyCrossingTheMemoryCapFailsMidStream() throws Exception {
        server.always("/big", Responses.okChunked(TestBodies.bytes(100_000), 1000).stallAfter(6000));
        long t0 = System.nanoTime();
        DownloadException e = failure(manager.download(DownloadRequest.builder(server.url("/big"))
                .maxMemoryBytes(4096).stallTimeout(Duration.ofSeconds(20)).build(), Destination.memory()));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "failed as the cap was crossed");
        assertEquals(1, server.requests("/big").size());
        // The same for a close-delimited body of unknown length.
        server.always("/old", Responses.ok(TestBodies.bytes(100_000)).closeDelimited().stallAfter(6000));
        DownloadException old = failure(manager.download(DownloadRequest.builder(server.url("/old"))
                .maxMemoryBytes(4096).stallTimeout(Duration.ofSeconds(20)).build(), Destination.memory()));
        assertEquals(Reason.TOO_LARGE, old.reason());
        assertEquals(1, server.requests("/old").size());
    }


}
