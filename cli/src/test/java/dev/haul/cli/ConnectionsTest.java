package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.Connections;
import dev.haul.Destination;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code -x}, {@code -k} and {@code --mirror}, and mirrors in {@code -i} lists. */
@ExtendWith(LeakCheck.class)
@Timeout(30)
class ConnectionsTest {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    @TempDir
    Path dir;

    private FaultServer server;
    private final byte[] body = TestBodies.random(6 * 1024 * 1024 + 123, 11);

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
        server.handle("/f", ServeBytes.of(body));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static List<String> listing(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path out() {
        return dir.resolve("out.bin");
    }

    /**
     * The closed ranges asked for {@code path} (not the first request's open {@code bytes=0-},
     * which finds out whether the file can be split), each checked to carry If-Range.
     */
    private List<long[]> ranges(String path) {
        return server.requests(path).stream()
                .filter(r -> r.header("Range") != null && !r.header("Range").equals("bytes=0-"))
                .map(r -> {
                    Matcher m = RANGE.matcher(r.header("Range"));
                    assertTrue(m.matches(), r.header("Range"));
                    assertTrue(r.header("If-Range") != null, "every range is validated: " + r);
                    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
                })
                .toList();
    }

    @Test
    void fourConnectionsFetchDisjointRangesThatMakeTheWholeFile() throws Exception {
        // paced, so the download lasts long enough (about a second) for all four to open
        server.handle("/paced", ServeBytes.of(body).throttle(16 * 1024, 10));
        CliRun run = CliRun.of("get", server.url("/paced"), "-o", out().toString(), "-x", "4",
                "-k", "1M");

        assertEquals(0, run.code(), run::toString);
        assertTrue(run.stderr().contains("saved " + out()), run::toString);
        assertFalse(run.stderr().contains("resumed"), "a fresh download, though its ranges came"
                + " as 206s: " + run);
        assertArrayEquals(body, Files.readAllBytes(out()));
        List<long[]> ranges = ranges("/paced");
        assertTrue(ranges.size() >= 3, "split over the connections: " + ranges.size() + " ranges");
        // (requests may overlap: a range handed from a slow connection to another was asked
        // for by both; the bytes are checked above)
        for (long[] r : ranges) {
            assertTrue(r[0] <= r[1] && r[1] < body.length, "inside the body: " + r[0] + "-" + r[1]);
        }
        assertTrue(server.connectionCount() >= 4, server.connectionCount() + " connections");
        assertEquals(List.of("out.bin"), listing(dir), "no .part left");
    }

    @Test
    void oneConnectionIsOneRequest() throws Exception {
        CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-x", "1", "-q");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out()));
        assertEquals(1, server.requests("/f").size());
        assertEquals(List.of(), ranges("/f"));
    }

    @Test
    void aFileBelowTheSplitSizeIsNotSplit() throws Exception {
        CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), "-x", "8",
                "-k", "7M", "-q");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out()));
        assertEquals(1, server.requests("/f").size(), "6 MiB is below -k 7M");
    }

    @Test
    void badConnectionCountsAndSizesAreUsageErrorsThatTouchNothing() throws Exception {
        for (String[] args : new String[][] {{"-x", "0"}, {"-x", "17"}, {"-x", "many"},
            {"-x", ""}, {"-k", "1MB"}, {"-k", "-1"}}) {
            CliRun run = CliRun.of("get", server.url("/f"), "-o", out().toString(), args[0], args[1]);
            assertEquals(ExitCode.USAGE.code, run.code(), String.join(" ", args) + ": " + run);
            assertTrue(run.stderr().contains(args[0]), run::toString);
            assertFalse(run.stderr().contains("Exception"), run::toString);
        }
        assertEquals(0, server.requests().size(), "nothing was asked");
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void aMirrorTakesOverWhenTheFirstUrlFails() throws Exception {
        server.always("/gone", Responses.status(503));
        server.handle("/copy", ServeBytes.of(body));

        CliRun run = CliRun.of("get", server.url("/gone"), "--mirror", server.url("/copy"),
                "-o", out().toString(), "--retries", "0", "-q");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out()));
        assertFalse(server.requests("/copy").isEmpty());
        assertEquals(List.of("out.bin"), listing(dir));

        // not quiet: the failover says what it is, not "retry ... attempt 2"
        CliRun loud = CliRun.of("get", server.url("/gone"), "--mirror", server.url("/copy"),
                "-o", dir.resolve("again.bin").toString(), "--retries", "0");
        assertEquals(0, loud.code(), loud::toString);
        assertTrue(loud.stderr().contains("trying another source, " + server.url("/copy")),
                loud::toString);
        assertFalse(loud.stderr().contains("attempt 2"), loud::toString);
    }

    @Test
    void mirrorsWithTheSameBytesShareTheConnections() throws Exception {
        // paced, so the download lasts long enough (about a second) for the mirror to join
        server.handle("/paced", ServeBytes.of(body).throttle(16 * 1024, 10));
        server.handle("/copy", ServeBytes.of(body).throttle(16 * 1024, 10));

        CliRun run = CliRun.of("get", server.url("/paced"), "--mirror", server.url("/copy"),
                "-o", out().toString(), "-x", "4", "-k", "1M", "-q");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out()));
        assertFalse(ranges("/copy").isEmpty(), "the mirror, proven the same by its ETag, served"
                + " ranges too");
    }

    @Test
    void mirrorsInAnInputListFollowTheUrlAfterTabs() throws Exception {
        server.always("/a-gone", Responses.status(404));
        server.handle("/a-copy", ServeBytes.of(body));
        byte[] small = "second file".getBytes(StandardCharsets.UTF_8);
        server.handle("/b", ServeBytes.of(small));
        Path list = dir.resolve("list.txt");
        Files.writeString(list, server.url("/a-gone") + "\t" + server.url("/a-copy") + "\n"
                + server.url("/b") + "\n");
        Path downloads = dir.resolve("downloads");

        CliRun run = CliRun.of("get", "-i", list.toString(), "-d", downloads.toString(), "-q");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(downloads.resolve("a-gone")),
                "named after the first URL, filled from its mirror");
        assertArrayEquals(small, Files.readAllBytes(downloads.resolve("b")));
    }

    @Test
    void aBadMirrorInAListFailsThatLineOnly() throws Exception {
        Path list = dir.resolve("list.txt");
        Files.writeString(list, server.url("/f") + "\tftp://elsewhere/f\n");
        Path downloads = dir.resolve("downloads");

        CliRun run = CliRun.of("get", "-i", list.toString(), "-d", downloads.toString(), "-q");

        assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
        assertTrue(run.stderr().contains("mirror"), run::toString);
        assertFalse(Files.exists(downloads.resolve("f")));
    }

    @Test
    void mirrorNeedsExactlyOneUrl() {
        CliRun run = CliRun.of("get", server.url("/f"), server.url("/f"), "--mirror",
                server.url("/copy"), "-d", dir.toString());

        assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
        assertTrue(run.stderr().contains("--mirror"), run::toString);
        assertEquals(0, server.requests().size());
    }

    @Test
    void credentialsStayWithTheFirstUrlsHost() throws Exception {
        server.always("/gone", Responses.status(503));
        server.handle("/copy", ServeBytes.of(body));
        String mirror = "http://localhost:" + server.port() + "/copy";

        CliRun run = CliRun.of("get", server.url("/gone"), "--mirror", mirror, "-u", "alice:pw",
                "-o", out().toString(), "--retries", "0", "-q");

        assertEquals(0, run.code(), run::toString);
        assertTrue(server.lastRequest("/gone").header("Authorization") != null);
        for (RecordedRequest r : server.requests("/copy")) {
            assertNull(r.header("Authorization"), "never to another origin: " + r);
        }
    }

    /** Status lines say how many connections a download uses, which explains its speed. */
    @Test
    void progressShowsTheConnectionsInUse() {
        server.handle("/slow", ServeBytes.of(body).throttle(64 * 1024, 20));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressRenderer out = new ProgressRenderer(ProgressRenderer.Mode.LINES, err, 100,
                Duration.ofMillis(40));
        Path file = out();
        DownloadRequest.Builder request = DownloadRequest.builder(server.url("/slow"))
                .connections(Connections.fixed(3)).splitThreshold(1024 * 1024);
        Job job = Job.of(server.url("/slow"), request.build().uri(), "out.bin", file, "out.bin",
                request, Destination.file(file));
        Batch batch = new Batch(List.of(job), 1, out);
        try (DownloadManager manager = DownloadManager.builder().listener(batch).build()) {
            assertEquals(ExitCode.OK, batch.run(manager));
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.matches("(?s).*out\\.bin: .*/s over [23] connections  ETA.*"), text);
    }
}
