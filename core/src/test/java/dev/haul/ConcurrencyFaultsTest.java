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
import dev.haul.testing.Response;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many downloads at once, cancellation, one destination claimed twice, a throwing chunk callback
 * and closing the manager mid-flight (catalogue 44–45). The {@link LeakCheck} after each test
 * asserts that threads and file descriptors are back to their baseline.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class ConcurrencyFaultsTest {
    @TempDir Path dir;
    FaultServer server;

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Serves {@code body}, holding each request briefly to see how many run at once. */
    private static final class Gauge {
        final AtomicInteger active = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();

        Response hold(byte[] body) {
            int now = active.incrementAndGet();
            peak.accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            active.decrementAndGet();
            return Responses.ok(body);
        }
    }

    // ---------------------------------------------------------------- 44 many at once

    @Test
    void thirtyTwoParallelDownloadsAreAllIntactWithFourPerHostOrUnbounded() throws Exception {
        byte[] body = TestBodies.random(100_000, 44);
        String sha = TestBodies.sha256Hex(body);
        for (int perHost : new int[] {4, 64}) {
            Gauge gauge = new Gauge();
            server.handle("/f", request -> gauge.hold(body));
            Path sub = Files.createDirectory(dir.resolve("per-host-" + perHost));
            List<Download<Path>> all = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            try (DownloadManager m = fastManager().maxConnectionsPerHost(perHost).build()) {
                for (int i = 0; i < 32; i++) {
                    all.add(m.download(DownloadRequest.builder(server.url("/f?i=" + i))
                            .build(), Destination.file(sub.resolve("out-" + i + ".bin"))));
                    expected.add("out-" + i + ".bin");
                }
                for (Download<Path> d : all) {
                    var r = success(d);
                    assertEquals(sha, TestBodies.sha256Hex(r.body()), r.body().toString());
                }
            }
            if (perHost == 4) {
                assertEquals(4, gauge.peak.get(), "requests in flight at once with 4 per host");
            } else {
                assertTrue(gauge.peak.get() > 4, "unbounded: " + gauge.peak.get() + " at once");
            }
            assertEquals(expected.stream().sorted().toList(), listing(sub));
        }
    }

    @Test
    void cancellingHalfOfSixtyFourLeavesNoDestinationForThemAndTheRestIntact() throws Exception {
        byte[] body = TestBodies.random(256 * 1024, 45);
        server.handle("/f", ServeBytes.of(body).throttle(8 * 1024, 20));
        List<Download<Path>> all = new ArrayList<>();
        Set<Integer> cancelled = new HashSet<>();
        try (DownloadManager m = fastManager().maxConnectionsPerHost(16).build()) {
            for (int i = 0; i < 64; i++) {
                all.add(m.download(DownloadRequest.builder(server.url("/f?i=" + i))
                        .build(), Destination.file(dir.resolve("out-" + i + ".bin"))));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (all.stream().filter(d -> d.progress().bytesDone() > 0).count() < 4 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            long t0 = System.nanoTime();
            for (int i = 1; i < 64; i += 2) {
                if (all.get(i).cancel()) {
                    cancelled.add(i);
                }
            }
            assertTrue(cancelled.size() >= 28, "cancelled " + cancelled.size() + " of 32 (the rest had finished)");
            for (int i : cancelled) {
                var d = all.get(i);
                assertThrows(CancellationException.class, () -> d.result().get(1, TimeUnit.SECONDS));
                assertTrue(d.result().isCancelled());
                assertTrue(d.progress().bytesDone() < body.length, "cancelled #" + i);
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "cancel is immediate");
            for (int i = 0; i < 64; i++) {
                if (!cancelled.contains(i)) {
                    assertArrayEquals(body, Files.readAllBytes(success(all.get(i)).body()), "#" + i);
                }
            }
        }
        Set<String> allowed = new HashSet<>();
        List<String> required = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if (!cancelled.contains(i)) {
                required.add("out-" + i + ".bin");
            } else {
                allowed.add("out-" + i + ".bin.part");
                allowed.add("out-" + i + ".bin.part.meta");
            }
        }
        List<String> names = listing(dir);
        assertTrue(names.containsAll(required), names.toString());
        for (String n : names) {
            if (required.contains(n)) {
                continue;
            }
            assertTrue(allowed.contains(n), "unexpected " + n);
            if (n.endsWith(".part")) {
                // A cancelled download may keep a resumable prefix, never a finished file.
                assertTrue(names.contains(n + ".meta"), n + " without sidecar");
                byte[] part = Files.readAllBytes(dir.resolve(n));
                assertArrayEquals(Arrays.copyOf(body, part.length), part, n);
            } else {
                assertTrue(names.contains(n.substring(0, n.length() - ".meta".length())), n + " without part");
            }
        }
    }

    @Test
    void queuedFileDownloadsHoldNoFileHandles() throws Exception {
        server.always("/slow", Responses.ok(TestBodies.bytes(1000)).headersDelay(60_000));
        try (DownloadManager m = fastManager().maxConcurrentDownloads(1).build()) {
            for (int i = 0; i < 40; i++) {
                m.download(DownloadRequest.builder(server.url("/slow?i=" + i))
                        .build(), Destination.file(dir.resolve("out-" + i + ".bin")));
            }
            assertTrue(server.awaitRequests("/slow", 1, Duration.ofSeconds(5)));
            long open = openFilesUnder(dir);
            assertTrue(open <= 2, open + " files open for 1 running and 39 queued downloads");
        }
    }

    private static long openFilesUnder(Path dir) {
        Map<String, String> fds = new java.util.HashMap<>();
        try (var entries = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path e : entries) {
                try {
                    fds.put(e.toString(), Files.readSymbolicLink(e).toString());
                } catch (java.io.IOException ignored) {
                    // closed meanwhile
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        String prefix = dir.toAbsolutePath().toString();
        return fds.values().stream().filter(t -> t.startsWith(prefix)).count();
    }

    // ---------------------------------------------------------------- 45 one destination twice

    @Test
    void aSecondDownloadToTheSamePathFailsBusyAtOnceAndTheFirstCompletesIntact() throws Exception {
        byte[] body = TestBodies.random(200_000, 46);
        byte[] other = TestBodies.random(200_000, 47);
        server.handle("/first", ServeBytes.of(body).throttle(20_000, 30));
        server.handle("/second", ServeBytes.of(other));
        Path out = dir.resolve("out.bin");
        try (DownloadManager m = fastManager().build()) {
            var first = m.download(DownloadRequest.builder(server.url("/first")).build(), Destination.file(out));
            assertTrue(server.awaitRequests("/first", 1, Duration.ofSeconds(5)));
            for (String path : List.of("/first", "/second")) {
                long t0 = System.nanoTime();
                var second = m.download(DownloadRequest.builder(server.url(path)).build(), Destination.file(out));
                DownloadException e = failure(second);
                assertEquals(Reason.DESTINATION_BUSY, e.reason(), e.toString());
                assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(500), "busy is immediate");
                assertFalse(first.result().isDone(), "the first is still running");
            }
            assertEquals(List.of(), server.requests("/second"));
            assertEquals(1, server.requests("/first").size());
            assertArrayEquals(body, Files.readAllBytes(success(first).body()), "bytes never interleave");
            assertEquals(List.of("out.bin"), listing(dir));
            // The claim ends with the download.
            success(m.download(DownloadRequest.builder(server.url("/second")).build(), Destination.file(out)));
            assertArrayEquals(other, Files.readAllBytes(out));
            assertEquals(List.of("out.bin"), listing(dir));
        }
    }

    /** Another process holding the part's lock is simulated by a lock held in this JVM. */
    @Test
    void aPartLockedByAnotherWriterIsBusyAndLeftAlone() throws Exception {
        server.handle("/f", ServeBytes.of(TestBodies.bytes(10_000)));
        Path out = dir.resolve("out.bin");
        byte[] theirs = "another process is writing this".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("out.bin.part"), theirs);
        Files.write(dir.resolve("out.bin.part.meta"), theirs);
        try (FileChannel ch = FileChannel.open(dir.resolve("out.bin.part"), StandardOpenOption.WRITE);
             FileLock lock = ch.lock();
             DownloadManager m = fastManager().build()) {
            DownloadException e = failure(m.download(DownloadRequest.builder(server.url("/f"))
                    .build(), Destination.file(out)));
            assertEquals(Reason.DESTINATION_BUSY, e.reason(), e.toString());
            assertEquals(List.of(), server.requests());
            assertEquals(List.of("out.bin.part", "out.bin.part.meta"), listing(dir));
            assertArrayEquals(theirs, Files.readAllBytes(dir.resolve("out.bin.part")));
            assertTrue(lock.isValid(), "the other writer still holds its lock");
            assertArrayEquals(theirs, Files.readAllBytes(dir.resolve("out.bin.part.meta")));
        }
    }

    // ---------------------------------------------------------------- 45 callbacks and close

    @Test
    void aThrowingChunkCallbackFailsOnceAndItsConnectionIsDiscarded() throws Exception {
        byte[] body = TestBodies.random(300_000, 48);
        server.handle("/f", ServeBytes.of(body).throttle(30_000, 5));
        try (DownloadManager m = fastManager().build()) {
            AtomicInteger calls = new AtomicInteger();
            DownloadException e = failure(m.download(DownloadRequest.builder(server.url("/f"))
                    .build(), Destination.stream(chunk -> {
                        if (calls.incrementAndGet() == 2) {
                            throw new IllegalStateException("consumer broke");
                        }
                    })));
            assertEquals(Reason.CALLBACK_FAILED, e.reason());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals(2, calls.get(), "no chunk after the throw");
            assertEquals(1, server.requests("/f").size(), "not retried");
            int conn = server.requests("/f").get(0).connectionId();
            assertTrue(server.awaitClientClosed(conn, Duration.ofSeconds(2)), "the connection was discarded");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            success(m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.stream(got::write)));
            assertArrayEquals(body, got.toByteArray());
            assertNotEquals(conn, server.lastRequest("/f").connectionId(), "a fresh connection");
        }
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void closingTheManagerCancelsRunningAndQueuedTransfersCleanly() throws Exception {
        byte[] body = TestBodies.random(1_000_000, 49);
        server.handle("/f", ServeBytes.of(body).throttle(8 * 1024, 20));
        DownloadManager m = fastManager().maxConnectionsPerHost(3).build();
        List<Download<Path>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(m.download(DownloadRequest.builder(server.url("/f?i=" + i))
                    .build(), Destination.file(dir.resolve("out-" + i + ".bin"))));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (all.stream().filter(d -> d.progress().bytesDone() > 0).count() < 3 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        long t0 = System.nanoTime();
        m.close();
        for (Download<?> d : all) {
            // One form of cancellation: a closing manager cancels the future.
            assertThrows(CancellationException.class, () -> d.result().get(1, TimeUnit.SECONDS));
            assertTrue(d.result().isCancelled());
        }
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "close cancels at once");
        assertThrows(IllegalStateException.class, () -> m.download(DownloadRequest.builder(server.url("/f")).build(), Destination.memory()));
        assertTrue(server.requests("/f").size() <= 6);
        for (RecordedRequest r : server.requests("/f")) {
            assertTrue(server.awaitClientClosed(r.connectionId(), Duration.ofSeconds(2)), "connection " + r.connectionId());
        }
        // Cancelled transfers finish their cleanup (a sidecar for a kept part) within a second.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (listing(dir).stream().anyMatch(n -> n.endsWith(".tmp")) && System.nanoTime() < settle) {
            Thread.sleep(10);
        }
        for (String n : listing(dir)) {
            assertTrue(n.endsWith(".part") || n.endsWith(".part.meta"), "no destination file: " + n);
        }
    }

    @Test
    void queuedDownloadsNeverStartOnceTheManagerIsClosed() throws Exception {
        server.handle("/f", ServeBytes.of(TestBodies.bytes(1_000_000)).throttle(8 * 1024, 20));
        DownloadManager m = fastManager().maxConnectionsPerHost(3).build();
        List<Download<Path>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(m.download(DownloadRequest.builder(server.url("/f?i=" + i))
                    .build(), Destination.file(dir.resolve("out-" + i + ".bin"))));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (all.stream().filter(d -> d.progress().bytesDone() > 0).count() < 3 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        m.close();
        for (Download<Path> d : all) {
            assertThrows(CancellationException.class, () -> d.result().get(1, TimeUnit.SECONDS));
        }
        Thread.sleep(200); // a transfer admitted late would send its request now
        assertEquals(3, server.requests("/f").size(), "requests sent after close(): " + server.requests("/f"));
        for (String n : listing(dir)) {
            assertTrue(n.matches("out-[012]\\.bin\\.part(\\.meta)?"), "only running downloads may leave a part: " + n);
        }
    }
}
