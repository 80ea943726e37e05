package dev.haul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadException.Reason;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Reply;
import dev.haul.testing.Response;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several connections per file: a download is split only when its first response proves it safe,
 * every range is asked with If-Range and accepted only as an exact 206, and whatever a server does
 * to one range — a 200, a shifted or short range, a changed total, a new file, a 416, a drop, a
 * refusal — the outcome is the exact file or a typed failure with no file: never a mix.
 */
@ExtendWith(LeakCheck.class)
@Timeout(60)
class SegmentsTest {
    static final int SIZE = 8 * 1024 * 1024;
    static final String ETAG = "\"v1\"";

    @TempDir
    Path dir;
    FaultServer server;
    final byte[] body = TestBodies.random(SIZE, 21);

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Serves {@code content} with ranges and an ETag, slowly enough that connections overlap. */
    static ServeBytes serving(byte[] content, String etag) {
        return ServeBytes.of(content).etag(etag).throttle(64 * 1024, 2);
    }

    static DownloadManager manager() {
        return DownloadManager.builder()
                .retryPolicy(RetryPolicy.ofRetries(3).withBackoff(Duration.ofMillis(5), Duration.ofMillis(20)))
                .responseTimeout(Duration.ofSeconds(5)).stallTimeout(Duration.ofSeconds(5))
                .splitThreshold(1024 * 1024).build();
    }

    static DownloadRequest request(String url, Connections connections) {
        return DownloadRequest.builder(url).connections(connections).build();
    }

    /** Where the bytes go, and what came out. */
    enum Mode {
        FILE, MEMORY, STREAM;

        byte[] run(DownloadManager m, DownloadRequest r, Path file) throws Exception {
            switch (this) {
                case FILE -> {
                    m.download(r, Destination.file(file)).result().get(30, TimeUnit.SECONDS);
                    return Files.readAllBytes(file);
                }
                case MEMORY -> {
                    return m.download(r, Destination.memory()).result().get(30, TimeUnit.SECONDS).body();
                }
                default -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    m.download(r, Destination.stream(out::write)).result().get(30, TimeUnit.SECONDS);
                    return out.toByteArray();
                }
            }
        }
    }

    /** The Range and If-Range of every request: the first opens, the others are exact and validated. */
    void assertEveryRangeValidated(String path, String etag) {
        List<RecordedRequest> rs = server.requests(path);
        assertEquals("bytes=0-", rs.get(0).header("Range"), "the first request proves ranges are served");
        for (RecordedRequest r : rs.subList(1, rs.size())) {
            String range = r.header("Range");
            assertNotNull(range, "every later request asks for a range: " + r);
            assertTrue(range.matches("bytes=\\d+-\\d+"), "an exact range: " + range);
            assertEquals(etag, r.header("If-Range"), "validated with If-Range: " + r);
        }
    }

    /**
     * S3 answers {@code Range: bytes=0-} on a zero-byte object with 416, and some servers refuse
     * open ranges outright: the download asks once more without Range, and gets the body, empty
     * or not, with no retry spent and nothing else left on disk.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFirstRangeRefusedWith416IsAskedAgainWithoutRange(Mode mode) throws Exception {
        byte[] small = "not split".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte[] content : new byte[][] {new byte[0], small}) {
            String path = "/r" + content.length;
            server.handle(path, request -> request.header("Range") != null
                    ? Responses.rangeNotSatisfiable(content.length)
                    : Responses.ok(content));
            Path file = dir.resolve("out" + content.length);
            try (DownloadManager m = DownloadManager.builder().retryPolicy(RetryPolicy.ofRetries(0))
                    .build()) {
                assertArrayEquals(content, mode.run(m, request(server.url(path),
                        Connections.adaptive(8)), file), mode + " " + content.length);
            }
            List<RecordedRequest> rs = server.requests(path);
            assertEquals(2, rs.size(), rs::toString);
            assertEquals("bytes=0-", rs.get(0).header("Range"));
            assertNull(rs.get(1).header("Range"));
        }
        if (mode == Mode.FILE) {
            assertEquals(List.of("out0", "out9"), Outcomes.listing(dir));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aLargeBodyIsSplitOverSeveralConnectionsAndArrivesExact(Mode mode) throws Exception {
        server.handle("/f", serving(body, ETAG));
        try (DownloadManager m = manager()) {
            byte[] got = mode.run(m, request(server.url("/f"), Connections.fixed(4)), dir.resolve("out"));
            assertArrayEquals(body, got);
        }
        assertEveryRangeValidated("/f", ETAG);
        assertTrue(server.requests("/f").size() >= 4, "split: " + server.requests("/f").size() + " requests");
        assertTrue(server.connectionCount() >= 2, "over several connections: " + server.connectionCount());
        if (mode == Mode.FILE) {
            assertEquals(List.of("out"), Outcomes.listing(dir));
        }
    }

    @Test
    void aSmallBodyOrOneWithoutAValidatorIsNeverSplit() throws Exception {
        byte[] small = TestBodies.random(512 * 1024, 3);
        server.handle("/small", serving(small, ETAG));
        server.handle("/novalidator", ServeBytes.of(body).etag(null).lastModified((String) null));
        try (DownloadManager m = manager()) {
            assertArrayEquals(small, Mode.MEMORY.run(m, request(server.url("/small"), Connections.fixed(4)), null));
            assertArrayEquals(body, Mode.MEMORY.run(m, request(server.url("/novalidator"), Connections.fixed(4)),
                    null));
        }
        assertEquals(1, server.requests("/small").size());
        assertEquals(1, server.requests("/novalidator").size(), "nothing could vouch for a range");
    }

    @Test
    void adaptiveModeStartsWithOneAndAddsOnlyWhatHelps() throws Exception {
        // An uncapped loopback server: one connection is as fast as several, so few are added.
        server.handle("/fast", ServeBytes.of(body).etag(ETAG));
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, Mode.FILE.run(m, request(server.url("/fast"), Connections.adaptive(8)),
                    dir.resolve("out")));
        }
        assertTrue(server.requests("/fast").size() <= 3, "a fast server needs no crowd: "
                + server.requests("/fast").size());
    }

    // ---------------------------------------------------------------- the segment fault matrix

    /** What a server does to the k-th range request (the opening request is number 1). */
    enum Fault {
        /** Answers 200 with the whole body (same ETag): it ignores ranges on this connection. */
        OK_200,
        /** A 206 whose Content-Range starts one byte later than asked. */
        SHIFTED,
        /** A 206 that names another total length. */
        OTHER_TOTAL,
        /** The file is replaced on the server (new ETag, new bytes) from this request on. */
        REPLACED,
        /** A 206 that ends early (the connection closes mid-range). */
        SHORT,
        /** A 416. */
        RANGE_416,
        /** The connection drops after some bytes, in one segment. */
        DROP,
        /** A 503 with Retry-After 0: the server refuses an extra connection. */
        REFUSED_503
    }

    /** Serves {@code original} with ranges, applying a fault to chosen requests (1-based). */
    static final class Faulty implements dev.haul.testing.Handler {
        final AtomicInteger count = new AtomicInteger();
        final java.util.Map<Integer, Fault> faults;
        final ServeBytes original;
        final ServeBytes replacement;
        final byte[] originalBytes;
        volatile boolean replaced;

        Faulty(byte[] original, byte[] replacement, Fault fault, int k) {
            this(original, replacement, java.util.Map.of(k, fault));
        }

        Faulty(byte[] original, byte[] replacement, java.util.Map<Integer, Fault> faults) {
            this.faults = faults;
            this.originalBytes = original;
            this.original = serving(original, ETAG);
            this.replacement = serving(replacement, "\"v2\"");
        }

        @Override
        public Response respond(RecordedRequest r) {
            int n = count.incrementAndGet();
            Fault fault = faults.get(n);
            if (fault == Fault.REPLACED) {
                replaced = true;
            }
            if (replaced) {
                return replacement.respond(r);
            }
            if (fault == null) {
                return original.respond(r);
            }
            long size = originalBytes.length;
            long[] span = range(r.header("Range"), size);
            return switch (fault) {
                case OK_200 -> Responses.ok(originalBytes).withHeader("ETag", ETAG);
                case SHIFTED -> partial(span[0] + 1, span[1] + 1 < size ? span[1] + 1 : span[1],
                        size);
                case OTHER_TOTAL -> partial(span[0], span[1], size + 1);
                case SHORT -> partial(span[0], span[1], size)
                        .truncatedAfter((span[1] - span[0]) / 2);
                case RANGE_416 -> Responses.rangeNotSatisfiable(size);
                case DROP -> original.respond(r) instanceof Reply reply ? reply.resetAfter(100_000)
                        : original.respond(r);
                case REFUSED_503 -> Responses.status(503, "Retry-After: 0");
                default -> original.respond(r);
            };
        }

        Reply partial(long first, long last, long total) {
            byte[] all = originalBytes;
            long end = Math.min(last, all.length - 1);
            return Reply.of(206, Arrays.copyOfRange(all, (int) first, (int) end + 1))
                    .withHeader("Content-Range", "bytes " + first + "-" + last + "/" + total)
                    .withHeader("ETag", ETAG);
        }

        static long[] range(String header, long size) {
            if (header == null) {
                return new long[] {0, size - 1};
            }
            String spec = header.substring(header.indexOf('=') + 1);
            String[] parts = spec.split("-", -1);
            long first = Long.parseLong(parts[0]);
            long last = parts[1].isEmpty() ? size - 1 : Long.parseLong(parts[1]);
            return new long[] {first, last};
        }
    }

    /** Every fault at request 2 (the first extra connection) and 3, in every destination. */
    static List<Object[]> matrix() {
        List<Object[]> cases = new ArrayList<>();
        for (Fault f : Fault.values()) {
            for (Mode m : Mode.values()) {
                for (int k : new int[] {2, 3}) {
                    cases.add(new Object[] {f, m, k});
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} at request {2}, {1}")
    @org.junit.jupiter.params.provider.MethodSource("matrix")
    void whateverARangeGetsTheResultIsTheExactFileOrATypedFailureWithNoFile(Fault fault, Mode mode, int k)
            throws Exception {
        byte[] replacement = TestBodies.random(SIZE, 99);
        Faulty handler = new Faulty(body, replacement, fault, k);
        server.handle("/f", handler);
        Path out = dir.resolve("out");
        byte[] got = null;
        DownloadException failure = null;
        try (DownloadManager m = manager()) {
            got = mode.run(m, request(server.url("/f"), Connections.fixed(4)), out);
        } catch (ExecutionException e) {
            failure = (DownloadException) e.getCause();
        }
        byte[] expected = handler.replaced ? replacement : body;
        assertTrue(server.requests("/f").size() >= 2, "the download was split: " + server.requests("/f"));
        if (failure == null) {
            assertArrayEquals(expected, got, fault + ": the exact file, never a mix");
            if (mode == Mode.FILE) {
                assertEquals(List.of("out"), Outcomes.listing(dir));
            }
        } else {
            // Only a stream may give up, and only when the file changed after it delivered bytes.
            assertEquals(Mode.STREAM, mode, fault + " in " + mode + " must heal: " + failure);
            assertEquals(Reason.CANNOT_RESUME, failure.reason(), failure.toString());
            assertFalse(Files.exists(out), "no file after a failure");
        }
        for (RecordedRequest r : server.requests("/f").subList(1, server.requests("/f").size())) {
            String range = r.header("Range");
            assertTrue(range != null && range.startsWith("bytes="), "every later request is ranged: " + r);
            if (!range.equals("bytes=0-")) {
                assertNotNull(r.header("If-Range"), "every range is validated: " + r);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aServerThatAllowsTwoConnectionsGetsTwoAndTheFileIsExact(Mode mode) throws Exception {
        ServeBytes s = serving(body, ETAG);
        AtomicInteger most = new AtomicInteger();
        AtomicReference<FaultServer> ref = new AtomicReference<>(server);
        server.handle("/two", r -> {
            int open = ref.get().openConnections();
            most.accumulateAndGet(open, Math::max);
            // a refused connection is closed, as a server short of connections does: left open,
            // the JDK client keeps it in its pool and the server counts it against the client
            return open > 2 ? Responses.status(503, "Retry-After: 0").closeAfter() : s.respond(r);
        });
        try (DownloadManager m = manager()) {
            assertArrayEquals(body, mode.run(m, request(server.url("/two"), Connections.fixed(6)),
                    dir.resolve("out")));
        } catch (ExecutionException e) {
            throw new AssertionError("requests: " + server.requests("/two").stream()
                    .map(r -> r.header("Range") + "@" + r.connectionId()).toList(), e);
        }
    }

    @Test
    void anInterruptedSplitDownloadContinuesEveryRangeOnTheNextRun() throws Exception {
        Faulty cut = new Faulty(body, body, Fault.DROP, 1);
        server.handle("/f", r -> {
            int n = cut.count.incrementAndGet();
            ServeBytes s = serving(body, ETAG);
            Reply reply = (Reply) s.respond(r);
            return n <= 4 ? reply.resetAfter(1_500_000) : reply; // every first range breaks
        });
        Path out = dir.resolve("out");
        DownloadRequest once = DownloadRequest.builder(server.url("/f")).connections(Connections.fixed(4))
                .retryPolicy(RetryPolicy.NONE).build();
        try (DownloadManager m = manager()) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> m.download(once, Destination.file(out)).result().get(30, TimeUnit.SECONDS));
            assertEquals(Reason.NETWORK, ((DownloadException) e.getCause()).reason());
            assertTrue(Files.exists(dir.resolve("out.part.meta")), "the ranges done are kept");
            int before = server.requests("/f").size();
            assertArrayEquals(body, Mode.FILE.run(m, request(server.url("/f"), Connections.fixed(4)), out));
            List<RecordedRequest> later = server.requests("/f").subList(before, server.requests("/f").size());
            for (RecordedRequest r : later) {
                assertEquals(ETAG, r.header("If-Range"), "the second run continues, validated: " + r);
            }
        }
        assertEquals(List.of("out"), Outcomes.listing(dir));
    }
}
