package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.testing.FaultServer;
import dev.haul.testing.LeakCheck;
import dev.haul.testing.RecordedRequest;
import dev.haul.testing.Responses;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Running the same command again: a batch that was cut resumes without duplicates or refetches
 * (the directory's state file), {@code --skip-existing}, {@code -N} (304 and a changed file) and
 * file times from Last-Modified.
 */
@ExtendWith(LeakCheck.class)
@Timeout(30)
class RerunTest {

    @TempDir
    Path dir;

    private FaultServer server;

    @BeforeEach
    void start() throws Exception {
        server = FaultServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Path out() {
        return dir.resolve("out");
    }

    private List<String> listing(Path d) throws IOException {
        try (Stream<Path> files = Files.list(d)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Serves {@code bytes} and answers If-None-Match / If-Modified-Since as a careful server does. */
    private static ServeBytes conditional(FaultServer server, String path, ServeBytes content) {
        server.handle(path, request -> {
            String inm = request.header("If-None-Match");
            String ims = request.header("If-Modified-Since");
            boolean same = inm != null ? inm.equals(content.etag())
                    : ims != null && content.lastModified() != null
                    && !ZonedDateTime.parse(ims, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()
                    .isBefore(ZonedDateTime.parse(content.lastModified(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return same ? Responses.status(304, "ETag: " + content.etag()) : content.respond(request);
        });
        return content;
    }

    @Test
    void aCutBatchRunAgainResumesTheCutFileAndNeverRefetchesOrDuplicatesTheOthers() throws Exception {
        byte[] a = TestBodies.random(40_000, 1);
        byte[] b = TestBodies.random(50_000, 2);
        byte[] c = TestBodies.random(300_000, 3);
        server.handle("/a.bin", ServeBytes.of(a));
        server.handle("/b.bin", ServeBytes.of(b));
        server.handle("/c.bin", ServeBytes.of(c).cutOnRequest(1, 100_000, ServeBytes.Cut.FIN));
        Path list = Files.write(dir.resolve("list.txt"),
                List.of(server.url("/a.bin"), server.url("/c.bin"), server.url("/b.bin")));
        String[] args = {"get", "-i", list.toString(), "-d", out().toString(), "--retries", "0"};

        CliRun first = CliRun.of(args);

        assertEquals(ExitCode.NETWORK.code, first.code(), first::toString);
        assertEquals(List.of(DirectoryState.FILE_NAME, "a.bin", "b.bin", "c.bin.part", "c.bin.part.meta"),
                listing(out()));

        CliRun second = CliRun.of(args);

        assertEquals(0, second.code(), second::toString);
        assertEquals(List.of(DirectoryState.FILE_NAME, "a.bin", "b.bin", "c.bin"), listing(out()), "no NAME.1");
        assertArrayEquals(a, Files.readAllBytes(out().resolve("a.bin")));
        assertArrayEquals(b, Files.readAllBytes(out().resolve("b.bin")));
        assertArrayEquals(c, Files.readAllBytes(out().resolve("c.bin")));
        assertEquals(1, server.requests("/a.bin").size(), "a finished file is not fetched again");
        assertEquals(1, server.requests("/b.bin").size(), "a finished file is not fetched again");
        assertEquals(2, server.requests("/c.bin").size());
        assertEquals("bytes=100000-", server.requests("/c.bin").get(1).header("Range"), "the cut file resumes");
        assertTrue(second.stderr().contains("1 downloaded, 2 already there"), second::toString);
        assertTrue(second.stderr().contains("already there: " + out().resolve("a.bin")), second::toString);

        CliRun third = CliRun.of(args);
        assertEquals(0, third.code(), third::toString);
        assertEquals(4, server.requests().size(), "a third run asks for nothing");
        assertEquals(List.of(DirectoryState.FILE_NAME, "a.bin", "b.bin", "c.bin"), listing(out()));
    }

    @Test
    void aFileSomeoneElsePutThereStillGetsNameDotOneAndThatOneIsRecognisedNextTime() throws Exception {
        server.handle("/r.pdf", ServeBytes.of("new".getBytes(StandardCharsets.UTF_8)));
        Files.createDirectories(out());
        Files.writeString(out().resolve("r.pdf"), "someone else's");
        String[] args = {"get", server.url("/r.pdf"), "-d", out().toString()};

        CliRun first = CliRun.of(args);
        CliRun second = CliRun.of(args);

        assertEquals(0, first.code(), first::toString);
        assertEquals(0, second.code(), second::toString);
        assertEquals("someone else's", Files.readString(out().resolve("r.pdf")));
        assertEquals("new", Files.readString(out().resolve("r.pdf.1")));
        assertEquals(List.of(DirectoryState.FILE_NAME, "r.pdf", "r.pdf.1"), listing(out()));
        assertEquals(1, server.requests("/r.pdf").size());
    }

    @Test
    void aFinishedFileThatWasChangedOrAnotherUrlWithTheSameNameIsNotTakenForDone() throws Exception {
        server.handle("/x/d.txt", ServeBytes.of("from x".getBytes(StandardCharsets.UTF_8)));
        server.handle("/y/d.txt", ServeBytes.of("from y".getBytes(StandardCharsets.UTF_8)));

        assertEquals(0, CliRun.of("get", server.url("/x/d.txt"), "-d", out().toString(), "-q").code());
        CliRun other = CliRun.of("get", server.url("/y/d.txt"), "-d", out().toString(), "-q");
        assertEquals(0, other.code(), other::toString);
        assertEquals("from y", Files.readString(out().resolve("d.txt.1")), "another URL: another file");

        Files.writeString(out().resolve("d.txt"), "edited by hand, longer");
        CliRun edited = CliRun.of("get", server.url("/x/d.txt"), "-d", out().toString(), "-q");
        assertEquals(0, edited.code(), edited::toString);
        assertEquals("edited by hand, longer", Files.readString(out().resolve("d.txt")), "never overwritten");
        assertEquals("from x", Files.readString(out().resolve("d.txt.2")));
        assertEquals(2, server.requests("/x/d.txt").size());
    }

    @Test
    void theStateFileKeepsNoUrlAndSurvivesCorruption() throws Exception {
        server.handle("/t.bin", ServeBytes.of("t".getBytes(StandardCharsets.UTF_8)).etag("\"e1\""));
        String url = server.url("/t.bin?token=hunter2");

        assertEquals(0, CliRun.of("get", url, "-d", out().toString(), "-q").code());
        String state = Files.readString(out().resolve(DirectoryState.FILE_NAME));
        assertTrue(state.startsWith(DirectoryState.HEADER + "\n"), state);
        assertFalse(state.contains("hunter2") || state.contains("127.0.0.1"), "no URL in the state: " + state);
        assertTrue(state.contains(DirectoryState.urlHash(java.net.URI.create(url))), state);
        assertTrue(state.contains("\"e1\""), state);

        // Garbage and a torn last line: the good line still counts, and the file is rewritten clean.
        Files.writeString(out().resolve(DirectoryState.FILE_NAME), state + "junk\tline\n\u0000\u0001\nt.bin\tabc");
        CliRun rerun = CliRun.of("get", url, "-d", out().toString());
        assertEquals(0, rerun.code(), rerun::toString);
        assertEquals(1, server.requests("/t.bin").size(), "still known as finished");

        // Not a state file at all: ignored; the finished file then counts as someone else's.
        Files.writeString(out().resolve(DirectoryState.FILE_NAME), "\u0000\u00ff garbage");
        CliRun garbage = CliRun.of("get", url, "-d", out().toString(), "-q");
        assertEquals(0, garbage.code(), garbage::toString);
        assertEquals(List.of(DirectoryState.FILE_NAME, "t.bin", "t.bin.1"), listing(out()));
        assertTrue(Files.readString(out().resolve(DirectoryState.FILE_NAME)).startsWith(DirectoryState.HEADER + "\n"),
                "rewritten as a state file");

        // A later version's file is left alone, with a warning.
        String later = "haul-state 2\nsomething new\n";
        Files.writeString(out().resolve(DirectoryState.FILE_NAME), later);
        CliRun newer = CliRun.of("get", url, "-d", out().toString(), "-q");
        assertEquals(0, newer.code(), newer::toString);
        assertTrue(newer.stderr().contains("haul: warning: ignoring"), newer::toString);
        assertEquals(later, Files.readString(out().resolve(DirectoryState.FILE_NAME)));
    }

    @Test
    void skipExistingLeavesAnyExistingFileAloneWithoutARequest() throws Exception {
        server.handle("/s.txt", ServeBytes.of("server".getBytes(StandardCharsets.UTF_8)));
        server.handle("/n.txt", ServeBytes.of("new".getBytes(StandardCharsets.UTF_8)));
        Files.createDirectories(out());
        Files.writeString(out().resolve("s.txt"), "mine");
        Path single = Files.writeString(dir.resolve("single.txt"), "mine too");

        CliRun batch = CliRun.of("get", server.url("/s.txt"), server.url("/n.txt"), "-d", out().toString(),
                "--skip-existing");
        CliRun one = CliRun.of("get", server.url("/s.txt"), "-o", single.toString(), "--skip-existing");

        assertEquals(0, batch.code(), batch::toString);
        assertEquals(0, one.code(), one::toString);
        assertEquals("mine", Files.readString(out().resolve("s.txt")));
        assertEquals("mine too", Files.readString(single));
        assertEquals("new", Files.readString(out().resolve("n.txt")));
        assertEquals(List.of(), server.requests("/s.txt"), "no request for an existing file");
        assertEquals(List.of(DirectoryState.FILE_NAME, "n.txt", "s.txt"), listing(out()));
        assertTrue(batch.stderr().contains("1 downloaded, 1 already there"), batch::toString);
        assertTrue(one.stderr().contains("already there: " + single + " (--skip-existing)"), one::toString);
    }

    @Test
    void timestampingKeepsAnUnchangedFileOn304AndReplacesAChangedOneWithItsNewTime() throws Exception {
        ServeBytes content = conditional(server, "/n.bin", ServeBytes.of(TestBodies.random(30_000, 5)));
        byte[] v1 = content.body();
        String[] args = {"get", server.url("/n.bin"), "-d", out().toString(), "-N"};

        CliRun first = CliRun.of(args);
        assertEquals(0, first.code(), first::toString);
        Path file = out().resolve("n.bin");
        assertEquals(Instant.parse("2025-07-01T00:00:00Z"), Files.getLastModifiedTime(file).toInstant());

        CliRun same = CliRun.of(args);
        assertEquals(0, same.code(), same::toString);
        RecordedRequest asked = server.lastRequest("/n.bin");
        assertEquals(content.etag(), asked.header("If-None-Match"), "the ETag recorded by the first run");
        assertTrue(asked.header("If-Modified-Since") != null, asked.toString());
        assertTrue(same.stderr().contains("up to date: " + file + " (304 Not Modified"), same::toString);
        assertArrayEquals(v1, Files.readAllBytes(file));

        byte[] v2 = TestBodies.random(31_000, 6);
        content.body(v2).lastModified(Instant.parse("2026-01-02T03:04:05Z"));
        CliRun changed = CliRun.of(args);
        assertEquals(0, changed.code(), changed::toString);
        assertArrayEquals(v2, Files.readAllBytes(file), "replaced");
        assertEquals(Instant.parse("2026-01-02T03:04:05Z"), Files.getLastModifiedTime(file).toInstant());
        assertEquals(List.of(DirectoryState.FILE_NAME, "n.bin"), listing(out()), "replaced in place: no NAME.1");
        assertEquals(3, server.requests("/n.bin").size());
    }

    @Test
    void timestampingAFileFromElsewhereComparesItsTimeAsWgetDoes() throws Exception {
        ServeBytes content = conditional(server, "/w.bin", ServeBytes.of("server copy".getBytes(StandardCharsets.UTF_8)));
        Path single = Files.writeString(dir.resolve("w.bin"), "local copy");
        Files.setLastModifiedTime(single, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));

        CliRun newer = CliRun.of("get", server.url("/w.bin"), "-o", single.toString(), "-N");
        assertEquals(0, newer.code(), newer::toString);
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), ZonedDateTime.parse(
                server.lastRequest("/w.bin").header("If-Modified-Since"), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant(),
                "the local file's time");
        assertNull(server.lastRequest("/w.bin").header("If-None-Match"));
        assertEquals("local copy", Files.readString(single), "the local copy is newer: 304");

        Files.setLastModifiedTime(single, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        CliRun older = CliRun.of("get", server.url("/w.bin"), "-d", dir.toString(), "-N", "-q");
        assertEquals(0, older.code(), older::toString);
        assertEquals("server copy", Files.readString(single), "-d -N updates the NAME that is there, as wget -N");
        assertEquals(ZonedDateTime.parse(content.lastModified(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant(),
                Files.getLastModifiedTime(single).toInstant(), "the server's Last-Modified");
    }

    @Test
    void noRemoteTimeLeavesTheLocalTime() throws Exception {
        server.handle("/m.bin", ServeBytes.of("m".getBytes(StandardCharsets.UTF_8)));
        Instant before = Instant.now().minus(Duration.ofMinutes(1));

        CliRun run = CliRun.of("get", server.url("/m.bin"), "-o", dir.resolve("m.bin").toString(), "-q",
                "--no-remote-time");

        assertEquals(0, run.code(), run::toString);
        assertTrue(Files.getLastModifiedTime(dir.resolve("m.bin")).toInstant().isAfter(before),
                "not Last-Modified (2025): " + Files.getLastModifiedTime(dir.resolve("m.bin")));
    }

    @Test
    void rerunFlagsThatContradictEachOtherAreUsageErrors() {
        String url = server.url("/x");
        String[][] cases = {
            {"get", url, "-o", "-", "-N"},
            {"get", url, "-o", "-", "--skip-existing"},
            {"get", url, "-d", "d", "-N", "-c"},
            {"get", url, "-d", "d", "-N", "--skip-existing"},
            {"get", url, "-d", "d", "--skip-existing", "-c"},
            {"get", url, "-d", "d", "-J", "--skip-existing"},
        };
        for (String[] args : cases) {
            CliRun run = CliRun.of(args);
            assertEquals(ExitCode.USAGE.code, run.code(), String.join(" ", args) + " -> " + run);
            assertEquals(1, run.stderrLines().size(), run::toString);
        }
        assertEquals(List.of(), server.requests());
    }
}
