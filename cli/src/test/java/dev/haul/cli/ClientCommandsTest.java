package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.daemon.Daemon;
import dev.haul.queue.testing.FileServer;
import dev.haul.testing.LeakCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands (add, ls, pause, resume, rm, wait, stats) against a real daemon on
 * loopback, found through its data directory as a user's would be; and {@code haul daemon
 * start/status/stop} with a daemon in its own process.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "file-server"}, fdTolerance = 6)
@Timeout(60)
class ClientCommandsTest {
    @TempDir
    Path tmp;
    FileServer files;
    Daemon daemon;
    Path data;
    Path downloads;

    @BeforeEach
    void start() throws Exception {
        files = FileServer.start();
        data = tmp.resolve("data");
        downloads = tmp.resolve("Downloads");
        daemon = Daemon.start(Daemon.Settings.defaults().dataDir(data).downloadDir(downloads)
                .port(0));
    }

    @AfterEach
    void stop() {
        daemon.close();
        files.close();
    }

    CliRun haul(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--data-dir";
        all[args.length + 1] = data.toString();
        return CliRun.of(all);
    }

    static byte[] body(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void addWaitLsStats() throws Exception {
        byte[] body = body(200_000, 1);
        files.file("/a.bin", body);
        Path dir = tmp.resolve("here");
        CliRun add = haul("add", files.url("/a.bin"), "-d", dir.toString());
        assertEquals(0, add.code(), add::toString);
        assertTrue(add.stdoutText().startsWith("added 1 queued " + files.url("/a.bin") + " -> "
                + dir.resolve("a.bin")), add.stdoutText());
        CliRun wait = haul("wait", "1");
        assertEquals(0, wait.code(), wait::toString);
        assertTrue(wait.stdoutText().contains("completed"), wait.stdoutText());
        assertArrayEquals(body, Files.readAllBytes(dir.resolve("a.bin")));

        CliRun ls = haul("ls");
        assertEquals(0, ls.code(), ls::toString);
        List<String> lines = ls.stdoutText().lines().toList();
        assertTrue(lines.get(0).contains("STATE"), lines.get(0));
        assertTrue(lines.get(1).matches("\\s+1  completed\\s+100\\.0% .*a\\.bin"), lines.get(1));
        CliRun json = haul("ls", "--json");
        assertTrue(json.stdoutText().startsWith("{\"id\":1,"), json.stdoutText());

        CliRun stats = haul("stats");
        assertEquals(0, stats.code());
        assertTrue(stats.stdoutText().contains("1 completed"), stats.stdoutText());
        assertTrue(haul("stats", "--json").stdoutText().contains("\"completed\":1"));
        CliRun nothing = haul("wait");
        assertEquals(0, nothing.code());
        assertTrue(nothing.stdoutText().contains("nothing to wait for"));
    }

    @Test
    void pauseResumeRemoveAndRefusals() throws Exception {
        files.file("/x", body(1000, 2)).file("/y", body(1000, 3));
        CliRun add = haul("add", "--paused", files.url("/x"), files.url("/y"));
        assertEquals(0, add.code(), add::toString);
        assertEquals(2, add.stdoutText().lines().count());
        assertTrue(haul("ls", "--state", "paused").stdoutText().contains("y"));
        CliRun timeout = haul("wait", "--timeout", "1", "1");
        assertEquals(124, timeout.code(), timeout::toString);
        assertTrue(timeout.stderr().contains("timed out: job 1 is paused"), timeout.stderr());
        CliRun resume = haul("resume", "1");
        assertEquals(0, resume.code(), resume::toString);
        assertEquals(0, haul("wait", "1").code());
        CliRun pauseDone = haul("pause", "1");
        assertEquals(1, pauseDone.code());
        assertEquals("haul: cannot pause job 1: it is completed", pauseDone.stderr().trim());
        CliRun rm = haul("rm", "2", "--delete-partial");
        assertEquals(0, rm.code(), rm::toString);
        assertTrue(rm.stdoutText().contains("removed"));
        CliRun missing = haul("rm", "99");
        assertEquals(1, missing.code());
        assertEquals("haul: no job 99", missing.stderr().trim());
        assertEquals(2, haul("pause", "abc").code());
        assertEquals(2, haul("add", "ftp://x/y").code());
        CliRun two = haul("add", "--name", "n", files.url("/x"), files.url("/y"));
        assertEquals(2, two.code());
        assertTrue(haul("ls").stdoutText().lines().count() == 2, "only job 1 is listed");
        assertTrue(haul("ls", "--state", "removed").stdoutText().contains("removed"));
    }

    @Test
    void aFailedJobFailsTheWaitWithItsReason() {
        files.status("/gone", 404);
        CliRun add = haul("add", "--wait", files.url("/gone"));
        assertEquals(1, add.code(), add::toString);
        assertTrue(add.stdoutText().contains("failed"), add.stdoutText());
        assertTrue(add.stdoutText().contains("404"), add.stdoutText());
    }

    @Test
    void withoutADaemonEveryClientCommandSaysHowToStartOne() {
        Path none = tmp.resolve("none");
        for (String[] args : List.of(new String[] {"ls"}, new String[] {"stats"},
                new String[] {"add", "http://x/y"}, new String[] {"wait"},
                new String[] {"pause", "1"})) {
            String[] all = new String[args.length + 2];
            System.arraycopy(args, 0, all, 0, args.length);
            all[args.length] = "--data-dir";
            all[args.length + 1] = none.toString();
            CliRun run = CliRun.of(all);
            assertEquals(9, run.code(), String.join(" ", args) + ": " + run);
            assertTrue(run.stderr().contains("no daemon is running")
                    && run.stderr().contains("haul daemon start"), run.stderr());
        }
        CliRun status = CliRun.of("daemon", "status", "--data-dir", none.toString());
        assertEquals(1, status.code());
        assertTrue(status.stdoutText().startsWith("not running"), status.stdoutText());
    }

    @Test
    void daemonStartStatusStopInTheBackground() throws Exception {
        Path other = tmp.resolve("bg");
        Path log = other.resolve("daemon.log");
        try {
            CliRun start = CliRun.of("daemon", "start", "--data-dir", other.toString(),
                    "--download-dir", tmp.resolve("bg-files").toString(), "--port", "0");
            assertEquals(0, start.code(), start + "\n" + (Files.exists(log)
                    ? Files.readString(log) : ""));
            assertTrue(start.stdoutText().contains("haul daemon: started (pid "),
                    start.stdoutText());
            assertTrue(start.stdoutText().contains("#token="), "the page's link");
            CliRun again = CliRun.of("daemon", "start", "--data-dir", other.toString(),
                    "--port", "0");
            assertTrue(again.stdoutText().contains("already running"), again.stdoutText());
            CliRun status = CliRun.of("daemon", "status", "--data-dir", other.toString());
            assertEquals(0, status.code(), status::toString);
            assertTrue(status.stdoutText().startsWith("running at http://127.0.0.1:"));
            files.file("/bg.bin", body(1000, 5));
            assertEquals(0, CliRun.of("add", "--wait", files.url("/bg.bin"), "--data-dir",
                    other.toString()).code());
            assertTrue(Files.exists(tmp.resolve("bg-files").resolve("bg.bin")));
            String token = Files.readString(other.resolve("token")).trim();
            assertFalse(Files.readString(log).contains(token), "no token in the log");
            assertEquals(java.util.EnumSet.of(java.nio.file.attribute.PosixFilePermission
                    .OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(log));
            long pid = Long.parseLong(Files.readString(other.resolve("daemon.pid")).trim());
            CliRun stop = CliRun.of("daemon", "stop", "--data-dir", other.toString());
            assertEquals(0, stop.code(), stop + "\n" + Files.readString(log));
            assertTrue(stop.stdoutText().contains("stopped (pid " + pid + ")"));
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
            assertFalse(Files.exists(other.resolve("daemon.pid")));
            assertEquals(1, CliRun.of("daemon", "stop", "--data-dir", other.toString()).code());
        } finally {
            // a daemon a failed assertion left behind
            if (Files.exists(other.resolve("daemon.pid"))) {
                long pid = Long.parseLong(Files.readString(other.resolve("daemon.pid")).trim());
                ProcessHandle.of(pid).ifPresent(p -> {
                    p.destroyForcibly();
                    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (p.isAlive() && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(10_000_000);
                    }
                });
            }
        }
    }

    @Test
    void helpListsTheServiceCommands() {
        String help = CliRun.of("--help").stdoutText();
        for (String c : List.of("haul daemon", "haul add URL", "haul ls", "wait [ID...]",
                "stats")) {
            assertTrue(help.contains(c), c + " in:\n" + help);
        }
        for (String c : List.of("daemon", "add", "ls", "pause", "resume", "rm", "wait",
                "stats")) {
            CliRun run = CliRun.of(c, "--help");
            assertEquals(0, run.code(), c);
            assertTrue(run.stdoutText().startsWith("Usage: haul " + c), run.stdoutText());
        }
        String daemonHelp = CliRun.of("daemon", "--help").stdoutText();
        for (String flag : List.of("--data-dir", "--download-dir", "--host", "--port",
                "--token", "--concurrency", "--max-speed", "start", "stop", "status")) {
            assertTrue(daemonHelp.contains(flag), flag + " in:\n" + daemonHelp);
        }
    }
}
