package dev.haul;

import static dev.haul.DownloadException.Reason.CONNECT;
import static dev.haul.DownloadException.Reason.DEADLINE;
import static dev.haul.DownloadException.Reason.NETWORK;
import static dev.haul.DownloadException.Reason.PROTOCOL;
import static dev.haul.DownloadException.Reason.STALLED;
import static dev.haul.DownloadException.Reason.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.testing.FaultProxy;
import dev.haul.testing.FakeTime;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.Script;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Catalogue A1, items 1–12: the network breaks under a download. Every test runs against a real
 * loopback server and checks what the caller saw, what the server was asked, and what is left
 * beside the destination file. TLS (item 13) lives in part B.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class NetworkFaultsTest extends LoopbackFaultTest {
    private static final int SIZE = 200_000;
    private static final int CUT = 50_000;

    final byte[] body = TestBodies.random(SIZE, 7);

    // ------------------------------------------------------------------ 1. connection refused

    // 1
    @TestFactory
    Stream<DynamicTest> refusedConnectionFailsWithConnectAfterEveryRetryAndCreatesNoFile() {
        return everyMode(mode -> {
            int port;
            try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = closed.getLocalPort();
            }
            RetryLog log = new RetryLog();
            Outcome o = mode.run(manager(retries(2)),
                    DownloadRequest.builder("http://127.0.0.1:" + port + "/f").listener(log), out);

            DownloadException e = o.assertFailure(CONNECT);
            assertEquals(-1, e.statusCode());
            assertTrue(e.retryable());
            assertEquals(List.of(CONNECT, CONNECT), log.reasons(), "one retry per policy retry, then give up");
            assertEquals(List.of(2, 3), log.retries().stream().map(RetryLog.Retry::nextAttempt).toList());
            o.assertStreamed(new byte[0]);
            o.assertListing();
        });
    }

    // ------------------------------------------------------------------ 2. no response at all

    // 2
    @TestFactory
    Stream<DynamicTest> requestReadButNeverAnsweredTimesOutAfterTheResponseTimeout() {
        return everyMode(mode -> {
            server.always("/f", Responses.noResponse());
            RetryLog log = new RetryLog();
            Outcome o = mode.run(manager(retries(1), Duration.ofMillis(200), Duration.ofSeconds(5)),
                    get("/f").listener(log), out);

            DownloadException e = o.assertFailure(TIMEOUT);
            assertTrue(e.retryable());
            assertEquals(List.of(TIMEOUT), log.reasons());
            assertEquals(2, server.requests("/f").size(), "the first attempt and one retry");
            assertTrue(o.elapsedMillis() >= 400, "two attempts of 200 ms each, took " + o.elapsedMillis());
            assertTrue(o.elapsedMillis() < 3_000, "the response timeout fires on time, took " + o.elapsedMillis());
            o.assertListing();
        });
    }

    // ------------------------------------------------------------------ 3. closed before the first byte

    // 3
    @TestFactory
    Stream<DynamicTest> disconnectBeforeTheFirstResponseByteIsRetriedThenFailsTyped() {
        return everyMode(mode -> {
            server.always("/f", Responses.emptyReply());
            RetryLog log = new RetryLog();
            Outcome o = mode.run(manager(retries(2)), get("/f").listener(log), out);

            DownloadException e = o.assertFailure(NETWORK);
            assertTrue(e.retryable());
            assertEquals(List.of(NETWORK, NETWORK), log.reasons(), "three attempts");
            // The JDK client itself retries a GET once on a new connection after an empty reply
            // (curl t1079's CURLE_GOT_NOTHING), so each attempt may reach the server twice; never more.
            int requests = server.requests("/f").size();
            assertTrue(requests >= 3 && requests <= 6, "1 or 2 requests per attempt: " + server.requests("/f"));
            assertEquals(requests, server.connectionCount(), "every request on a fresh connection");
            o.assertListing();
        });
    }

    // 3
    @Test
    void resetBeforeTheFirstResponseByteIsRetriedThenFailsTyped() throws Exception {
        server.always("/f", Responses.resetBeforeResponse());
        RetryLog log = new RetryLog();
        Outcome o = DownloadMode.FILE.run(manager(retries(1)), get("/f").listener(log), out);

        o.assertFailure(NETWORK);
        assertEquals(List.of(NETWORK), log.reasons(), "two attempts");
        int requests = server.requests("/f").size();
        assertTrue(requests >= 2 && requests <= 4, "1 or 2 requests per attempt: " + server.requests("/f"));
        assertEquals(requests, server.connectionCount());
        o.assertListing();
    }

    // 3
    @Test
    void disconnectBeforeTheFirstByteThenSuccessDeliversTheBody() throws Exception {
        server.enqueue("/f", Responses.emptyReply());
        server.handle("/f", ServeBytes.of(body));
        Outcome o = DownloadMode.FILE.run(manager(retries(2)), get("/f"), out);

        o.assertBody(body);
        assertEquals(List.of("-|-", "-|-"), rangeHeaders("/f"), "nothing was received, so nothing to resume");
    }

    // ------------------------------------------------------------------ 4. stale keep-alive

    // 4
    @TestFactory
    Stream<DynamicTest> pooledConnectionClosedByTheServerWhileIdleIsReplacedSilently() {
        return everyMode(mode -> {
            byte[] first = TestBodies.bytes(1000);
            // Keep-alive answer, then the server closes the idle connection a little later (curl t160).
            server.enqueue("/a", Script.builder()
                    .head("HTTP/1.1 200 OK", "Content-Length: " + first.length).body(first)
                    .sleep(30).fin().build());
            server.handle("/b", ServeBytes.of(body));
            DownloadManager m = manager(RetryPolicy.NONE);

            DownloadMode.MEMORY.run(m, get("/a"), dir.resolve("a.bin")).assertBody(first);
            Thread.sleep(150); // the FIN has reached the pooled connection
            var r = mode.run(m, get("/b"), out).assertBody(body);

            assertEquals(1, r.attempts(), "a stale pooled connection is not a failed attempt");
            assertEquals(2, server.connectionCount());
            assertEquals(1, server.requests("/b").size());
            assertEquals(1, server.requests("/b").get(0).connectionId());
        });
    }

    // 4
    @TestFactory
    Stream<DynamicTest> pooledConnectionThatDiesOnTheNextRequestIsRetriedOnAFreshOneWithCorrectBytes() {
        return everyMode(mode -> {
            byte[] first = TestBodies.bytes(1000);
            // A second request on a reused connection is read and then the connection is closed
            // without a byte: the server had timed the connection out at that very moment.
            server.handleAll(request -> request.connectionSequence() > 0 ? Responses.emptyReply()
                    : request.path().equals("/a") ? Responses.ok(first) : ServeBytes.of(body).respond(request));
            DownloadManager m = manager(retries(2));

            DownloadMode.MEMORY.run(m, get("/a"), dir.resolve("a.bin")).assertBody(first);
            mode.run(m, get("/b"), out).assertBody(body);

            List<RecordedRequest> requests = server.requests();
            assertEquals(0, requests.get(0).connectionId());
            assertEquals(0, requests.get(1).connectionId(), "the second download tried the pooled connection");
            RecordedRequest last = requests.get(requests.size() - 1);
            assertEquals("/b", last.path());
            assertEquals(0, last.connectionSequence(), "and then a fresh connection");
            assertNull(last.header("Range"), "no body byte had arrived, so no Range");
        });
    }

    // ------------------------------------------------------------------ 5. RST in the body

    // 5
    @TestFactory
    Stream<DynamicTest> resetMidBodyResumesWithRangeAndIfRange() {
        return everyMode(mode -> {
            ServeBytes serve = ServeBytes.of(body).cutOnRequest(1, CUT, ServeBytes.Cut.RST);
            server.handle("/f", serve);
            RetryLog log = new RetryLog();
            Outcome o = mode.run(manager(retries(2)), get("/f").listener(log), out);

            var r = o.assertBody(body);
            assertEquals(List.of(NETWORK), log.reasons());
            long resumedAt = log.resumeOffsets().get(0);
            assertTrue(resumedAt > 0 && resumedAt <= CUT, "resumes from the bytes received: " + resumedAt);
            assertEquals(List.of("-|-", "bytes=" + resumedAt + "-|" + serve.etag()), rangeHeaders("/f"));
            assertEquals(2, r.attempts());
            assertEquals(206, r.statusCode());
            assertEquals(resumedAt, r.resumedFrom());
        });
    }

    // 5
    @Test
    void resetMidBodyAfterTheBytesWereReadResumesFromExactlyThatByte() throws Exception {
        // The RST follows a pause, so every byte before it has been read: the resume offset is exact.
        ServeBytes serve = ServeBytes.of(body);
        server.enqueue("/f", Script.builder()
                .head("HTTP/1.1 200 OK", "Content-Length: " + SIZE, "ETag: " + serve.etag(),
                        "Last-Modified: " + ServeBytes.DEFAULT_LAST_MODIFIED)
                .body(Arrays.copyOf(body, CUT)).sleep(100).rst().build());
        server.handle("/f", serve);
        RetryLog log = new RetryLog();
        Outcome o = DownloadMode.FILE.run(manager(retries(2)), get("/f").listener(log), out);

        var r = o.assertBody(body);
        assertEquals(List.of("-|-", "bytes=" + CUT + "-|" + serve.etag()), rangeHeaders("/f"));
        assertEquals(List.of((long) CUT), log.resumeOffsets());
        assertEquals(CUT, r.resumedFrom());
        assertEquals(2, r.attempts());
    }

    // ------------------------------------------------------------------ 6. FIN before Content-Length

    // 6
    @TestFactory
    Stream<DynamicTest> finBeforeContentLengthResumesWhenRetriesAllow() {
        return everyMode(mode -> {
            ServeBytes serve = ServeBytes.of(body).cutOnRequest(1, CUT, ServeBytes.Cut.FIN);
            server.handle("/f", serve);
            RetryLog log = new RetryLog();
            Outcome o = mode.run(manager(retries(2)), get("/f").listener(log), out);

            var r = o.assertBody(body);
            assertEquals(List.of(NETWORK), log.reasons());
            assertEquals(List.of("-|-", "bytes=" + CUT + "-|" + serve.etag()), rangeHeaders("/f"));
            assertEquals(CUT, r.resumedFrom());
            assertEquals(206, r.statusCode());
        });
    }

    // 6
    @TestFactory
    Stream<DynamicTest> finBeforeContentLengthWithoutRetriesFailsWithNetworkAndKeepsTheResumablePart() {
        return everyMode(mode -> {
            server.handle("/f", ServeBytes.of(body).cutOnRequest(1, CUT, ServeBytes.Cut.FIN));
            Outcome o = mode.run(manager(RetryPolicy.NONE), get("/f"), out);

            o.assertFailure(NETWORK);
            assertEquals(1, server.requests("/f").size());
            o.assertStreamed(Arrays.copyOf(body, CUT));
            o.assertListing("out.bin.part", "out.bin.part.meta");
            if (mode == DownloadMode.FILE) {
                assertArrayEquals(Arrays.copyOf(body, CUT), Outcome.read(Outcome.part(out)));
            }
        });
    }

    // 6
    @Test
    void rerunAfterATruncatedBodyResumesFromThePartFileAndCompletes() throws Exception {
        ServeBytes serve = ServeBytes.of(body).cutOnRequest(1, CUT, ServeBytes.Cut.FIN);
        server.handle("/f", serve);
        DownloadMode.FILE.run(manager(RetryPolicy.NONE), get("/f"), out).assertFailure(NETWORK);

        Outcome again = DownloadMode.FILE.run(manager(RetryPolicy.NONE), get("/f"), out);

        var r = again.assertBody(body);
        assertEquals(List.of("-|-", "bytes=" + CUT + "-|" + serve.etag()), rangeHeaders("/f"));
        assertEquals(1, r.attempts());
        assertEquals(206, r.statusCode());
        assertEquals(TestBodies.sha256Hex(body), TestBodies.sha256Hex(out));
    }

    // 6
    @Test
    void rerunThatResumesFromThePartFileReportsTheResumeOffset() throws Exception {
        server.handle("/f", ServeBytes.of(body).cutOnRequest(1, CUT, ServeBytes.Cut.FIN));
        DownloadMode.FILE.run(manager(RetryPolicy.NONE), get("/f"), out).assertFailure(NETWORK);

        var r = DownloadMode.FILE.run(manager(RetryPolicy.NONE), get("/f"), out).assertBody(body);

        assertEquals(CUT, r.resumedFrom(), "the only attempt asked for bytes=" + CUT + "- and got them");
    }

    // 6
    @TestFactory
    Stream<DynamicTest> declaredSeventyFiveBytesButFiveThenCloseIsNeverSuccess() {
        return everyMode(mode -> {
            // curl t376: Content-Length 75, five bytes, close.
            server.always("/f", Responses.raw("HTTP/1.1 200 OK\r\nContent-Length: 75\r\n\r\nhello"));
            Outcome o = mode.run(manager(RetryPolicy.NONE), get("/f"), out);

            o.assertFailure(NETWORK);
            assertEquals(1, server.requests("/f").size());
            o.assertStreamed("hello".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            o.assertListing(); // no validator: nothing to resume from later
        });
    }

    // 6
    @Test
    void truncatedStreamWhoseResumeIsAnsweredWithTheWholeBodyFailsCannotResume() throws Exception {
        server.always("/f", Responses.raw("HTTP/1.1 200 OK\r\nContent-Length: 75\r\n\r\nhello"));
        Outcome o = DownloadMode.STREAM.run(manager(retries(2)), get("/f"), out);

        o.assertFailure(DownloadException.Reason.CANNOT_RESUME);
        o.assertStreamed("hello".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(List.of("-|-", "bytes=5-|-"), rangeHeaders("/f"), "the known length allowed a resume");
    }

    // 6, 14
    @ParameterizedTest
    @EnumSource(value = DownloadMode.class, names = {"MEMORY", "FILE"})
    void truncatedBodyThatRestartsAndIsCutAgainGivesUpAfterTheRetryBudget(DownloadMode mode) throws Exception {
        // curl t376's server, every time: Content-Length 75, five bytes, close; Range is ignored.
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        server.handle("/f", request -> answered.incrementAndGet() > 20 ? Responses.status(410) // stop a runaway
                : Responses.raw("HTTP/1.1 200 OK\r\nContent-Length: 75\r\n\r\nhello"));
        Outcome o = mode.run(manager(retries(2)), get("/f"), out);

        o.assertFailure(NETWORK);
        int requests = server.requests("/f").size();
        assertTrue(requests <= 4, "re-reading the same five bytes is no progress; requests: " + requests);
        o.assertListing();
    }

    // ------------------------------------------------------------------ 7. chunked, cut before the last chunk

    // 7
    @TestFactory
    Stream<DynamicTest> chunkedBodyCutBeforeTheLastChunkIsNeverSuccess() {
        return everyMode(mode -> {
            server.always("/f", Responses.okChunked(body, 4096).truncatedAfter(CUT));
            Outcome o = mode.run(manager(RetryPolicy.NONE), get("/f"), out);

            o.assertFailure(NETWORK, PROTOCOL);
            o.assertStreamed(Arrays.copyOf(body, CUT));
            o.assertListing(); // no validator: the part cannot be trusted later
        });
    }

    // 7
    @TestFactory
    Stream<DynamicTest> chunkedBodyWithEveryByteButNoTerminatorIsNeverSuccess() {
        return everyMode(mode -> {
            server.always("/f", Responses.okChunked(body, 4096).truncatedAfter(SIZE));
            Outcome o = mode.run(manager(RetryPolicy.NONE), get("/f"), out);

            o.assertFailure(NETWORK, PROTOCOL);
        });
    }

    // 7
    @TestFactory
    Stream<DynamicTest> chunkedBodyCutWithAStrongEtagResumesWithRangeAndIfRange() {
        return everyMode(mode -> {
            ServeBytes serve = ServeBytes.of(body);
            server.enqueue("/f", Responses.okChunked(body, 4096).withHeader("ETag", serve.etag()).truncatedAfter(CUT));
            server.handle("/f", serve);
            RetryLog log = new RetryLog();
            Outcome o = mode.run(manager(retries(2)), get("/f").listener(log), out);

            var r = o.assertBody(body);
            assertEquals(List.of("-|-", "bytes=" + CUT + "-|" + serve.etag()), rangeHeaders("/f"));
            assertEquals(CUT, r.resumedFrom());
        });
    }

    // 7
    @TestFactory
    Stream<DynamicTest> chunkedBodyCutWithoutAnyValidatorRestartsFromZeroOrRefusesToSpliceAStream() {
        return everyMode(mode -> {
            server.enqueue("/f", Responses.okChunked(body, 4096).truncatedAfter(CUT));
            server.always("/f", Responses.okChunked(body, 4096));
            Outcome o = mode.run(manager(retries(2)), get("/f"), out);

            if (mode == DownloadMode.STREAM) {
                o.assertFailure(DownloadException.Reason.CANNOT_RESUME);
                o.assertStreamed(Arrays.copyOf(body, CUT));
                assertEquals(1, server.requests("/f").size());
            } else {
                var r = o.assertBody(body);
                assertEquals(List.of("-|-", "-|-"), rangeHeaders("/f"), "nothing proves a resume: start over");
                assertEquals(0, r.resumedFrom());
            }
        });
    }

    // ------------------------------------------------------------------ 8. stall in the body

    // 8
    @TestFactory
    Stream<DynamicTest> stallMidBodyAbortsAfterTheStallTimeoutAndResumes() {
        return everyMode(mode -> {
            ServeBytes serve = ServeBytes.of(body).stallOnRequest(1, CUT);
            server.handle("/f", serve);
            RetryLog log = new RetryLog();
            FakeTime time = new FakeTime();
            DownloadMode.Started started = mode.start(manager(retries(2), Duration.ofSeconds(5),
                    Duration.ofMillis(200), time), get("/f").listener(log), out);
            awaitBytes(started.download(), CUT);

            time.advance(Duration.ofMillis(199));
            assertEquals(List.of(), log.reasons(), "no stall before the stall timeout");
            time.advance(Duration.ofMillis(1));
            // The stall fired: the attempt ends and its retry is scheduled after a backoff of <= 20 ms.
            time.awaitTask(delay -> delay <= 20_000_000L, 1, Duration.ofSeconds(5));
            assertEquals(List.of(STALLED), log.reasons());
            time.advance(Duration.ofMillis(20));
            Outcome o = DownloadMode.await(started, out);

            var r = o.assertBody(body);
            assertEquals(List.of("-|-", "bytes=" + CUT + "-|" + serve.etag()), rangeHeaders("/f"));
            assertEquals(CUT, r.resumedFrom());
            assertTrue(server.awaitClientClosed(0, Duration.ofSeconds(2)), "the stalled connection was dropped");
        });
    }

    // 8
    @TestFactory
    Stream<DynamicTest> stallMidBodyWithoutRetriesFailsStalledOnTime() {
        return everyMode(mode -> {
            server.handle("/f", ServeBytes.of(body).stallOnRequest(1, CUT));
            FakeTime time = new FakeTime();
            DownloadMode.Started started = mode.start(manager(RetryPolicy.NONE, Duration.ofSeconds(5),
                    Duration.ofMillis(200), time), get("/f"), out);
            awaitBytes(started.download(), CUT);
            time.advance(Duration.ofMillis(199));
            assertFalse(started.download().result().isDone(), "no stall before the stall timeout");
            time.advance(Duration.ofMillis(1));
            Outcome o = DownloadMode.await(started, out);

            o.assertFailure(STALLED);
            o.assertStreamed(Arrays.copyOf(body, CUT));
            o.assertListing("out.bin.part", "out.bin.part.meta");
            if (mode == DownloadMode.FILE) {
                assertArrayEquals(Arrays.copyOf(body, CUT), Outcome.read(Outcome.part(out)));
            }
        });
    }

    // ------------------------------------------------------------------ 9. slow but alive

    // 9
    @TestFactory
    Stream<DynamicTest> trickleSlowerOverallThanTheStallTimeoutIsNoStall() {
        return everyMode(mode -> {
            byte[] small = TestBodies.bytes(200);
            // 100 writes of 2 bytes, 6 ms apart: ~0.6 s in all, never 200 ms without a byte.
            server.always("/f", Responses.ok(small).throttled(2, 6));
            List<Long> seen = new CopyOnWriteArrayList<>();
            RetryLog log = new RetryLog();
            DownloadRequest.Builder request = get("/f").listener(new DownloadListener() {
                @Override
                public void onProgress(Download<?> d, Progress progress) {
                    seen.add(progress.bytesDone());
                }

                @Override
                public void onRetry(Download<?> d, DownloadException cause, int nextAttempt, Duration delay,
                                    long resumeFrom) {
                    log.onRetry(d, cause, nextAttempt, delay, resumeFrom);
                }
            });
            Outcome o = mode.run(manager(retries(2), Duration.ofSeconds(5), Duration.ofMillis(200)), request, out);

            var r = o.assertBody(small);
            assertTrue(o.elapsedMillis() >= 400, "the trickle really was slow: " + o.elapsedMillis() + " ms");
            assertEquals(List.of(), log.reasons(), "no false stall");
            assertEquals(1, r.attempts());
            assertEquals(1, server.requests("/f").size());
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i) >= seen.get(i - 1), "progress is monotonic: " + seen);
            }
            assertFalse(seen.isEmpty());
            assertEquals(small.length, seen.get(seen.size() - 1));
        });
    }

    // 9
    @Test
    void trickleIsStoppedOnlyByAnExplicitDeadline() throws Exception {
        server.always("/f", Responses.ok(TestBodies.bytes(200)).throttled(2, 10));
        Outcome o = DownloadMode.FILE.run(manager(retries(2), Duration.ofSeconds(5), Duration.ofMillis(200)),
                get("/f").deadline(Duration.ofMillis(300)), out);

        o.assertFailure(DEADLINE);
        assertTrue(o.elapsedMillis() >= 300 && o.elapsedMillis() < 1_500, "took " + o.elapsedMillis() + " ms");
        assertEquals(1, server.requests("/f").size());
        // The aborted attempt cleans up once it has stopped writing: "within a second" (Download).
        awaitListing(List.of());
        o.assertListing();
    }

    // ------------------------------------------------------------------ 10. slow headers versus slow body

    // 10
    @TestFactory
    Stream<DynamicTest> slowHeadersTimeOutWhileASlowBodyStallsEachAtItsOwnTimeout() {
        return Stream.of(
                fresh("slow headers fail with TIMEOUT at the response timeout", () -> {
                    server.always("/f", Responses.ok(body).headersDelay(3_000));
                    Outcome o = DownloadMode.MEMORY.run(
                            manager(RetryPolicy.NONE, Duration.ofMillis(250), Duration.ofSeconds(5)), get("/f"), out);

                    o.assertFailure(TIMEOUT);
                    assertTrue(o.elapsedMillis() >= 250 && o.elapsedMillis() < 1_500, "took " + o.elapsedMillis() + " ms");
                }),
                fresh("a body stalled from its first byte fails with STALLED at the stall timeout", () -> {
                    server.handle("/f", ServeBytes.of(body).stallOnRequest(1, 0));
                    Outcome o = DownloadMode.MEMORY.run(
                            manager(RetryPolicy.NONE, Duration.ofSeconds(5), Duration.ofMillis(250)), get("/f"), out);

                    o.assertFailure(STALLED);
                    assertTrue(o.elapsedMillis() >= 250 && o.elapsedMillis() < 1_500, "took " + o.elapsedMillis() + " ms");
                }),
                fresh("the response timeout does not cover a slow body", () -> {
                    byte[] small = TestBodies.bytes(100);
                    server.always("/f", Responses.ok(small).throttled(1, 6)); // ~0.6 s of body
                    Outcome o = DownloadMode.MEMORY.run(
                            manager(RetryPolicy.NONE, Duration.ofMillis(150), Duration.ofSeconds(5)), get("/f"), out);

                    o.assertBody(small);
                    assertTrue(o.elapsedMillis() >= 300, "the body outlasted the response timeout: " + o.elapsedMillis());
                }));
    }

    // ------------------------------------------------------------------ 11. FIN delayed after the body

    // 11
    @TestFactory
    Stream<DynamicTest> delayedCloseAfterACompleteBodyDoesNotDelayCompletion() {
        return everyMode(mode -> {
            server.always("/f", Responses.ok(body).closeAfter());
            proxy = FaultProxy.start(server.port()).slowClose(600);
            Outcome o = mode.run(manager(RetryPolicy.NONE), DownloadRequest.builder(proxy.url("/f")), out);

            o.assertBody(body);
            assertTrue(o.elapsedMillis() < 400, "completes at Content-Length, took " + o.elapsedMillis() + " ms");
        });
    }

    // 11
    @Test
    void delayedCloseAfterTheLastChunkDoesNotDelayCompletion() throws Exception {
        server.always("/f", Responses.okChunked(body, 8192).closeAfter());
        proxy = FaultProxy.start(server.port()).slowClose(600);
        Outcome o = DownloadMode.FILE.run(manager(RetryPolicy.NONE), DownloadRequest.builder(proxy.url("/f")), out);

        o.assertBody(body);
        assertTrue(o.elapsedMillis() < 400, "completes at the 0 chunk, took " + o.elapsedMillis() + " ms");
    }

    // ------------------------------------------------------------------ 12. garbage instead of HTTP

    // 12
    @ParameterizedTest
    @CsvSource({"random,FILE", "ssh,MEMORY", "banana,STREAM", "blank,FILE"})
    void garbageInsteadOfHttpFailsTypedWithBoundedAttemptsAndNothingOnDisk(String garbage, DownloadMode mode)
            throws Exception {
        server.always("/f", Script.builder().write(garbage(garbage)).fin().build());
        Outcome o = mode.run(manager(retries(2)), get("/f"), out);

        o.assertFailure(PROTOCOL, NETWORK);
        int made = server.requests("/f").size();
        // NETWORK is retried (1 + 2 attempts, each maybe retried once by the JDK); PROTOCOL is not.
        int most = o.failure().reason() == PROTOCOL ? 1 : 6;
        assertTrue(made >= 1 && made <= most, o.failure().reason() + ": at most " + most + " requests, made " + made);
        o.assertStreamed(new byte[0]);
        o.assertListing();
    }

    // 12
    // The JDK 17 client never closes the socket of a response it cannot parse (bad status line,
    // bad Content-Length) and has no close(): only on JDK 21+, where the session's client is closed,
    // can these sockets be released. CI runs this on JDK 25.
    @EnabledForJreRange(min = JRE.JAVA_21)
    @Test
    void garbageResponsesLeaveNoSocketOpen() throws Exception {
        server.always("/f", Script.builder().write(garbage("banana")).fin().build());
        int before = LeakCheck.openFdCount();
        for (int i = 0; i < 4; i++) {
            try (DownloadManager m = DownloadManager.builder().retryPolicy(RetryPolicy.NONE).build()) {
                DownloadMode.MEMORY.run(m, get("/f"), out).assertFailure(PROTOCOL, NETWORK);
            }
        }
        server.close();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (LeakCheck.openFdCount() > before && System.nanoTime() < until) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(LeakCheck.openFdCount() <= before, "sockets left open: " + (LeakCheck.openFdCount() - before));
    }

    private static byte[] garbage(String kind) {
        String text = switch (kind) {
            case "random" -> null;
            case "ssh" -> "SSH-2.0-OpenSSH_9.2p1\r\n";
            case "banana" -> "HTTP/1.1 banana\r\n\r\n";
            case "blank" -> "\r\n\r\n\r\n";
            default -> throw new IllegalArgumentException(kind);
        };
        return text == null ? TestBodies.random(4096, 12) : text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
