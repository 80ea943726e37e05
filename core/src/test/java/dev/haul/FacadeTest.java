package dev.haul;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import dev.haul.testing.LeakCheck;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The seed's static facade, against a real loopback server. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheck.class)
class FacadeTest {
    @TempDir Path dir;
    TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        DownloadManager.closeSession().get(10, TimeUnit.SECONDS);
        assertFalse(DownloadManager.isSessionActive());
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 16384, 16385, 300_000})
    void memoryModeReturnsTheBody(int size) throws Exception {
        byte[] body = Bodies.of(size);
        server.serve("/fixed", body, false).serve("/chunked", body, true);
        assertArrayEquals(body, await(DownloadManager.downloadUrl(server.url("/fixed"))));
        assertArrayEquals(body, await(DownloadManager.downloadUrl(server.url("/chunked"))));
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 16384, 300_000})
    void fileModeWritesTheFileAndNothingElse(int size) throws Exception {
        byte[] body = Bodies.of(size);
        server.serve("/fixed", body, false).serve("/chunked", body, true);
        Path a = dir.resolve("a.bin");
        Path b = dir.resolve("b.bin");
        assertTrue(await(DownloadManager.downloadUrl(server.url("/fixed"), a, DownloadOptions.defaults())));
        assertTrue(await(DownloadManager.downloadUrl(server.url("/chunked"), b, DownloadOptions.defaults())));
        assertArrayEquals(body, Files.readAllBytes(a));
        assertArrayEquals(body, Files.readAllBytes(b));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("a.bin", "b.bin"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 16384, 300_000})
    void streamModeDeliversEveryByteInOrder(int size) throws Exception {
        byte[] body = Bodies.of(size);
        server.serve("/chunked", body, true);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        List<Integer> chunkSizes = new ArrayList<>();
        assertTrue(await(DownloadManager.downloadUrl(server.url("/chunked"), chunk -> {
            chunkSizes.add(chunk.length);
            got.write(chunk);
        }, DownloadOptions.defaults())));
        assertArrayEquals(body, got.toByteArray());
        assertTrue(chunkSizes.stream().allMatch(n -> n > 0 && n <= 1024 * 1024), chunkSizes::toString);
    }

    @ParameterizedTest(name = "HTTP {0}")
    @ValueSource(ints = {400, 403, 404, 410, 500, 503})
    void httpErrorsGiveNullOrFalseAndNoFile(int status) throws Exception {
        server.status("/e", status);
        DownloadOptions fast = DownloadOptions.builder()
                .retryPolicy(RetryPolicy.ofRetries(1).withBackoff(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5)))
                .build();
        assertNull(await(DownloadManager.downloadUrl(server.url("/e"), fast)));
        Path out = dir.resolve("out.bin");
        assertFalse(await(DownloadManager.downloadUrl(server.url("/e"), out, fast)));
        assertFalse(await(DownloadManager.downloadUrl(server.url("/e"), chunk -> fail("no chunk expected"), fast)));
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing may be left in the directory");
        }
    }

    @Test
    void missingDirectoryIsAFailureNotACreatedDirectory() throws Exception {
        server.serve("/a", Bodies.of(10), false);
        Path out = dir.resolve("missing/sub/out.bin");
        assertFalse(await(DownloadManager.downloadUrl(server.url("/a"), out, DownloadOptions.defaults())));
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void fileAndChunkCallbackTogetherIsAUsageError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                DownloadManager.downloadUrl(server.url("/a"), dir.resolve("x"), chunk -> { }, DownloadOptions.defaults()));
        assertTrue(e.getMessage().contains("outfile") && e.getMessage().contains("chunkCallback"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void invalidUrlsGiveNullNotAnException() throws Exception {
        assertNull(await(DownloadManager.downloadUrl("not a url")));
        assertNull(await(DownloadManager.downloadUrl("ftp://example.com/file")));
        assertFalse(await(DownloadManager.downloadUrl("file:///etc/passwd", dir.resolve("p"), DownloadOptions.defaults())));
        assertFalse(Files.exists(dir.resolve("p")));
    }

    @Test
    void progressWithContentLength() throws Exception {
        server.serveSlowly("/a", Bodies.of(500_000), 50_000, 5); // arriving in pieces, as on a real link
        List<Integer> seen = new CopyOnWriteArrayList<>();
        assertNotNull(await(DownloadManager.downloadUrl(server.url("/a"),
                DownloadOptions.builder().progressCallback(seen::add).build())));
        assertProgressContract(seen, true);
        assertTrue(seen.size() > 3, "expected several steps, got " + seen);
    }

    @Test
    void progressWithoutContentLengthUsesTheGuessAndStopsAt99() throws Exception {
        server.serve("/c", Bodies.of(500_000), true);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        assertNotNull(await(DownloadManager.downloadUrl(server.url("/c"),
                DownloadOptions.builder().progressCallback(seen::add).build())));
        assertProgressContract(seen, true);
        assertEquals(99, seen.get(seen.size() - 2), "with a guess the value waits at 99: " + seen);
    }

    @Test
    void progressUsesTotalSizeWhenGiven() throws Exception {
        server.serve("/c", Bodies.of(400_000), true);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        assertNotNull(await(DownloadManager.downloadUrl(server.url("/c"),
                DownloadOptions.builder().totalSize(800_000).progressCallback(seen::add).build())));
        assertProgressContract(seen, true);
        // Half the announced size arrived before completion: the last step before 100 is about 50.
        int beforeDone = seen.get(seen.size() - 2);
        assertTrue(beforeDone >= 45 && beforeDone <= 50, seen.toString());
    }

    @Test
    void noHundredPercentOnFailure() throws Exception {
        server.status("/e", 404);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        assertNull(await(DownloadManager.downloadUrl(server.url("/e"),
                DownloadOptions.builder().progressCallback(seen::add).build())));
        assertFalse(seen.contains(100), seen.toString());
    }

    static void assertProgressContract(List<Integer> seen, boolean success) {
        assertFalse(seen.isEmpty());
        for (int i = 0; i < seen.size(); i++) {
            int p = seen.get(i);
            assertTrue(p >= 0 && p <= 100, "out of range: " + seen);
            if (i > 0) {
                assertTrue(p > seen.get(i - 1), "must increase and change each time: " + seen);
            }
        }
        assertEquals(success ? 1 : 0, seen.stream().filter(p -> p == 100).count(), seen.toString());
        if (success) {
            assertEquals(100, seen.get(seen.size() - 1));
        }
    }

    @Test
    void headersAreSentAndUserAgentDefaults() throws Exception {
        server.serve("/a", Bodies.of(10), false);
        await(DownloadManager.downloadUrl(server.url("/a"), DownloadOptions.builder()
                .headers(Map.of("Accept", "application/json", "X-Token", "t1")).build()));
        assertEquals("application/json", server.lastHeader("Accept"));
        assertEquals("t1", server.lastHeader("X-Token"));
        assertTrue(server.lastHeader("User-Agent").startsWith("haul/"), server.lastHeader("User-Agent"));
        await(DownloadManager.downloadUrl(server.url("/a"), DownloadOptions.builder()
                .headers(Map.of("User-Agent", "MicroPythonOS/0.3.3")).build()));
        assertEquals("MicroPythonOS/0.3.3", server.lastHeader("User-Agent"));
    }

    @Test
    void seedsManualResumeContinuesTheFile() throws Exception {
        byte[] body = Bodies.of(200_000);
        server.serveRanges("/r", body, "\"v1\"");
        Path out = dir.resolve("partial.bin");
        Files.write(out, java.util.Arrays.copyOf(body, 70_000));
        long have = Files.size(out);
        assertTrue(await(DownloadManager.downloadUrl(server.url("/r"), out,
                DownloadOptions.builder().headers(Map.of("Range", "bytes=" + have + "-")).build())));
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals("bytes=70000-", server.lastHeader("Range"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no .part or sidecar left behind");
        }
    }

    @Test
    void sessionIsLazyReusedAndRecreatedAfterClose() throws Exception {
        server.serve("/a", Bodies.of(1000), false);
        DownloadManager.closeSession().get(5, TimeUnit.SECONDS);
        assertFalse(DownloadManager.isSessionActive());
        await(DownloadManager.downloadUrl(server.url("/a")));
        assertTrue(DownloadManager.isSessionActive());
        for (int i = 0; i < 5; i++) {
            await(DownloadManager.downloadUrl(server.url("/a")));
        }
        assertEquals(1, server.connections(), "back-to-back downloads reuse one keep-alive connection");
        DownloadManager.closeSession().get(5, TimeUnit.SECONDS);
        assertFalse(DownloadManager.isSessionActive());
        await(DownloadManager.downloadUrl(server.url("/a")));
        assertTrue(DownloadManager.isSessionActive());
        assertEquals(2, server.connections(), "a new session opens a new connection");
    }
}
