package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code haul get} against a loopback server: files, exit codes, stderr lines, resume, reuse. */
class GetCommandTest {

    @TempDir
    Path dir;

    LoopbackServer server;

    @BeforeEach
    void start() throws IOException {
        server = new LoopbackServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    @Timeout(10)
    void downloadsOneUrlToTheOutputFile() throws IOException {
        byte[] body = LoopbackServer.body(300_000);
        server.file("/data.bin", body);
        Path out = dir.resolve("out.bin");

        CliRun run = CliRun.of("get", server.url("/data.bin"), "-o", out.toString());

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out));
        assertFalse(Files.exists(dir.resolve("out.bin.part")), "no .part after success");
        assertEquals(0, run.stdout().length, "stdout stays empty");
        assertTrue(run.stderr().contains("saved " + out), run::toString);
    }

    @Test
    @Timeout(10)
    void notFoundExitsWithTheHttpCodeLeavesNoFileAndNamesTheStatus() {
        Path out = dir.resolve("missing.bin");

        CliRun run = CliRun.of("get", server.url("/missing.bin"), "-o", out.toString(), "-q");

        assertEquals(ExitCode.HTTP.code, run.code(), run::toString);
        assertFalse(Files.exists(out), "no file at the output path");
        assertEquals(1, run.stderrLines().size(), run::toString);
        String line = run.stderrLines().get(0);
        assertTrue(line.startsWith("haul: error: " + server.url("/missing.bin") + ": "), line);
        assertTrue(line.contains("404"), line);
        assertFalse(line.contains("Exception") || line.contains("\tat "), "no stack trace: " + line);
    }

    @Test
    @Timeout(10)
    void errorLinesRedactUserinfoAndQuery() {
        String url = server.url("/secret.bin?token=hunter2").replace("http://", "http://alice:s3cret@");

        CliRun run = CliRun.of("get", url, "-o", dir.resolve("s.bin").toString(), "-q");

        assertEquals(ExitCode.HTTP.code, run.code(), run::toString);
        assertFalse(run.stderr().contains("hunter2"), run::toString);
        assertFalse(run.stderr().contains("s3cret"), run::toString);
        assertFalse(run.stderr().contains("alice"), run::toString);
        assertEquals(1, run.stderrLines().size(), run::toString);
        assertTrue(run.stderr().contains("/secret.bin"), run::toString);
    }

    @Test
    @Timeout(10)
    void shaMismatchIsAnIntegrityFailureAndLeavesNoFile() {
        server.file("/a.bin", LoopbackServer.body(50_000));
        Path out = dir.resolve("a.bin");

        CliRun run = CliRun.of("get", server.url("/a.bin"), "-o", out.toString(), "-q",
                "--sha256", "0".repeat(64));

        assertEquals(ExitCode.INTEGRITY.code, run.code(), run::toString);
        assertFalse(Files.exists(out));
        assertEquals(1, run.errors().size(), run::toString);
    }

    @Test
    @Timeout(10)
    void shaMatchSucceeds() throws IOException {
        byte[] body = LoopbackServer.body(50_000);
        server.file("/a.bin", body);
        Path out = dir.resolve("a.bin");

        CliRun run = CliRun.of("get", server.url("/a.bin"), "-o", out.toString(), "--sha256",
                DemoCommand.sha256(body).toUpperCase());

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out));
        assertTrue(run.stderr().contains("SHA-256 verified"), run::toString);
    }

    @Test
    @Timeout(10)
    void connectionRefusedIsANetworkFailure() throws IOException {
        String url;
        try (LoopbackServer closed = new LoopbackServer()) {
            url = closed.url("/x.bin");
        }
        CliRun run = CliRun.of("get", url, "-o", dir.resolve("x.bin").toString(), "-q", "--retries", "0",
                "--connect-timeout", "0.5");

        assertEquals(ExitCode.NETWORK.code, run.code(), run::toString);
        assertEquals(1, run.stderrLines().size(), run::toString);
        assertFalse(Files.exists(dir.resolve("x.bin")));
    }

    @Test
    @Timeout(10)
    void interruptedRunLeavesPartAndTheSameCommandResumesWithRange() throws IOException {
        byte[] body = LoopbackServer.body(400_000);
        server.fileCutOnce("/big.bin", body, 150_000);
        Path out = dir.resolve("big.bin");
        String[] args = {"get", server.url("/big.bin"), "-o", out.toString(), "--retries", "0"};

        CliRun first = CliRun.of(args);

        assertEquals(ExitCode.NETWORK.code, first.code(), first::toString);
        assertFalse(Files.exists(out), "no file after a failed download");
        assertTrue(Files.exists(dir.resolve("big.bin.part")), ".part stays for the rerun");
        assertEquals(1, first.errors().size(), first::toString);
        assertTrue(first.errors().get(0).contains("run the same command again"), first::toString);

        CliRun second = CliRun.of(args);

        assertEquals(0, second.code(), second::toString);
        assertTrue(second.stderr().contains(", resumed"), second::toString);
        assertArrayEquals(body, Files.readAllBytes(out));
        assertFalse(Files.exists(dir.resolve("big.bin.part")));
        List<LoopbackServer.Request> requests = server.requests("/big.bin");
        assertEquals(2, requests.size());
        // the first run starts at byte 0; with -x auto it asks bytes=0- to learn about ranges
        String firstRange = requests.get(0).range();
        assertTrue(firstRange == null || firstRange.equals("bytes=0-"), firstRange);
        assertTrue(requests.get(1).range() != null && requests.get(1).range().startsWith("bytes="),
                "second run asks for the rest: " + requests.get(1));
        assertTrue(Long.parseLong(requests.get(1).range().replaceAll("\\D", "")) > 0);
    }

    @Test
    @Timeout(10)
    void retriesWithinOneRunResumeFromTheByteReached() throws IOException {
        byte[] body = LoopbackServer.body(300_000);
        server.fileCutOnce("/f.bin", body, 100_000);
        Path out = dir.resolve("f.bin");

        CliRun run = CliRun.of("get", server.url("/f.bin"), "-o", out.toString(), "--retries", "2");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out));
        assertTrue(run.stderr().contains("retry f.bin from 97.7 KiB (Range: bytes=100000-)"), run::toString);
        assertEquals("bytes=100000-", server.requests("/f.bin").get(1).range());
    }

    @Test
    @Timeout(20)
    void batchOfManySmallFilesReusesKeepAliveConnections() throws IOException {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            server.file("/f" + i + ".txt", ("file " + i + "\n").getBytes(StandardCharsets.UTF_8));
            urls.add(server.url("/f" + i + ".txt"));
        }
        Path list = dir.resolve("urls.txt");
        Files.write(list, urls);
        Path out = dir.resolve("out");

        CliRun run = CliRun.of("get", "-i", list.toString(), "-d", out.toString(), "-j", "4", "-q");

        assertEquals(0, run.code(), run::toString);
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(200, files.filter(f -> !f.getFileName().toString().equals(DirectoryState.FILE_NAME)).count());
        }
        assertTrue(Files.isRegularFile(out.resolve(DirectoryState.FILE_NAME)), "the batch's state is kept");
        assertEquals("file 7\n", Files.readString(out.resolve("f7.txt")));
        assertEquals(200, server.requests.size());
        assertTrue(server.connections() <= 8,
                "200 files with -j 4 must reuse connections, saw " + server.connections());
    }

    @Test
    @Timeout(10)
    void derivedNamesNeverOverwriteAndSayWhichNameWasTaken() throws IOException {
        server.file("/report.pdf", "new".getBytes(StandardCharsets.UTF_8));
        server.file("/other/report.pdf", "other".getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("report.pdf"), "old");

        CliRun run = CliRun.of("get", server.url("/report.pdf"), server.url("/other/report.pdf"),
                "-d", dir.toString());

        assertEquals(0, run.code(), run::toString);
        assertEquals("old", Files.readString(dir.resolve("report.pdf")), "existing file untouched");
        assertEquals("new", Files.readString(dir.resolve("report.pdf.1")));
        assertEquals("other", Files.readString(dir.resolve("report.pdf.2")));
        assertTrue(run.stderr().contains(" as " + dir.resolve("report.pdf.1")), run::toString);
        assertTrue(run.stderr().contains(" as " + dir.resolve("report.pdf.2")), run::toString);
    }

    @Test
    @Timeout(10)
    void urlEndingInSlashIsSavedAsIndexHtmlAndEncodedTraversalStaysInside() throws IOException {
        server.file("/site/", "<html>".getBytes(StandardCharsets.UTF_8));
        server.file("/a/%2e%2e%2f%2e%2e%2fevil.sh", "x".getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve("d");

        CliRun run = CliRun.of("get", server.url("/site/"), server.url("/a/%2e%2e%2f%2e%2e%2fevil.sh"),
                "-d", out.toString(), "-q");

        assertEquals(0, run.code(), run::toString);
        assertEquals("<html>", Files.readString(out.resolve("index.html")));
        assertEquals("x", Files.readString(out.resolve("evil.sh")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "nothing written outside -d");
        }
    }

    @Test
    @Timeout(10)
    void explicitOutputReplacesAnExistingFileOnSuccess() throws IOException {
        server.file("/v.txt", "v2".getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve("v.txt");
        Files.writeString(out, "v1");

        CliRun run = CliRun.of("get", server.url("/v.txt"), "-o", out.toString(), "-q");

        assertEquals(0, run.code(), run::toString);
        assertEquals("v2", Files.readString(out));
    }

    @Test
    @Timeout(10)
    void dashOutputWritesTheBodyToStdout() {
        byte[] body = LoopbackServer.body(200_000);
        server.file("/s.bin", body);

        CliRun run = CliRun.of("get", server.url("/s.bin"), "-o", "-");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, run.stdout());
        assertFalse(run.stderr().isEmpty(), "messages go to stderr");
    }

    @Test
    @Timeout(10)
    void inputListFromStdinSkipsBlanksAndComments() throws IOException {
        server.file("/1.txt", "one".getBytes(StandardCharsets.UTF_8));
        server.file("/2.txt", "two".getBytes(StandardCharsets.UTF_8));
        String list = "# my list\n" + server.url("/1.txt") + "\n\n   " + server.url("/2.txt") + "  \n";

        CliRun run = CliRun.withStdin(list.getBytes(StandardCharsets.UTF_8), "get", "-i", "-", "-d", dir.toString(), "-q");

        assertEquals(0, run.code(), run::toString);
        assertEquals("", run.stderr());
        assertEquals("one", Files.readString(dir.resolve("1.txt")));
        assertEquals("two", Files.readString(dir.resolve("2.txt")));
    }

    @Test
    @Timeout(10)
    void batchExitCodeIsTheFirstFailureAndTheOthersStillDownload() throws IOException {
        server.file("/ok.txt", "ok".getBytes(StandardCharsets.UTF_8));

        CliRun run = CliRun.of("get", server.url("/ok.txt"), server.url("/gone.txt"), "ftp://example.com/x",
                "-d", dir.toString(), "-q");

        assertEquals(ExitCode.HTTP.code, run.code(), run::toString);
        assertEquals("ok", Files.readString(dir.resolve("ok.txt")));
        assertFalse(Files.exists(dir.resolve("gone.txt")));
        assertEquals(2, run.errors().size(), run::toString);
        assertEquals(run.stderrLines().size(), run.errors().size(), "only error lines with -q");
    }

    @Test
    @Timeout(10)
    void headersAreSent() throws IOException {
        server.file("/h.txt", "h".getBytes(StandardCharsets.UTF_8));

        CliRun run = CliRun.of("get", server.url("/h.txt"), "-o", dir.resolve("h.txt").toString(), "-q",
                "-H", "X-Token: abc", "--header", "Accept: text/plain");

        assertEquals(0, run.code(), run::toString);
        LoopbackServer.Request r = server.requests("/h.txt").get(0);
        assertEquals(List.of("abc"), r.headers().get("X-token"));
        assertEquals(List.of("text/plain"), r.headers().get("Accept"));
    }

    @Test
    @Timeout(10)
    void stallTimeoutFailsAStalledDownloadQuickly() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        server.route("/stall.bin", (ex, hit) -> {
            ex.sendResponseHeaders(200, 1000);
            ex.getResponseBody().write(new byte[10]);
            ex.getResponseBody().flush();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("test: done stalling");
        });
        Path out = dir.resolve("stall.bin");
        long start = System.nanoTime();

        CliRun run = CliRun.of("get", server.url("/stall.bin"), "-o", out.toString(), "-q",
                "--retries", "0", "--stall-timeout", "0.3");
        release.countDown();

        assertEquals(ExitCode.NETWORK.code, run.code(), run::toString);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "gave up on time");
        assertFalse(Files.exists(out));
        assertEquals(1, run.stderrLines().size(), run::toString);
    }

    @Test
    @Timeout(10)
    void continueExtendsAPartialFileLeftByAnotherTool() throws IOException {
        byte[] body = LoopbackServer.body(100_000);
        server.file("/c.bin", body);
        Path out = dir.resolve("c.bin");
        Files.write(out, Arrays.copyOf(body, 40_000));

        CliRun run = CliRun.of("get", server.url("/c.bin"), "-o", out.toString(), "-c", "-q");

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out));
        assertEquals("bytes=40000-", server.requests("/c.bin").get(0).range());
    }

    @Test
    @Timeout(10)
    void ctrlCCancelsRunningDownloadsWithinASecondAndLeavesNoFile() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        server.route("/slow.bin", (ex, hit) -> {
            ex.sendResponseHeaders(200, 1_000_000);
            ex.getResponseBody().write(new byte[50_000]);
            ex.getResponseBody().flush();
            requested.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("test: done");
        });
        Path out = dir.resolve("slow.bin");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main main = new Main(new java.io.ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                new PrintStream(err, true, StandardCharsets.UTF_8), Terminal.NONE);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(
                () -> main.run("get", server.url("/slow.bin"), "-o", out.toString(), "-q"));
        assertTrue(requested.await(5, TimeUnit.SECONDS));

        long start = System.nanoTime();
        main.interrupt();
        int exit = code.get(2, TimeUnit.SECONDS);
        release.countDown();

        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "stopped within a second");
        assertEquals(ExitCode.INTERRUPTED.code, exit, err::toString);
        assertFalse(Files.exists(out), "no file after Ctrl-C");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("interrupted"), err::toString);
    }

    @Test
    @Timeout(10)
    void contentDispositionNamesTheFileInsideTheDirectory() throws IOException {
        byte[] body = LoopbackServer.body(10_000);
        server.route("/get", (ex, hit) -> {
            ex.getResponseHeaders().add("Content-Disposition",
                    "attachment; filename=\"../x.txt\"; filename*=UTF-8''report%202026.pdf");
            LoopbackServer.serve(ex, body, -1);
        });
        Path out = Files.createDirectory(dir.resolve("out"));

        CliRun run = CliRun.of("get", "-J", server.url("/get?id=7"), "-d", out.toString());

        assertEquals(0, run.code(), run::toString);
        assertArrayEquals(body, Files.readAllBytes(out.resolve("report 2026.pdf")));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(DirectoryState.FILE_NAME, "report 2026.pdf"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("out"), files.map(p -> p.getFileName().toString()).toList(), "nothing outside");
        }
        assertTrue(run.stderr().contains("saved " + out.resolve("report 2026.pdf")), run::toString);
    }

    @Test
    @Timeout(10)
    void contentDispositionWithOutputFileIsAUsageError() {
        CliRun run = CliRun.of("get", "--content-disposition", server.url("/x"), "-o", dir.resolve("x").toString());
        assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
        assertTrue(run.stderr().contains("-J"), run::toString);
    }
}
