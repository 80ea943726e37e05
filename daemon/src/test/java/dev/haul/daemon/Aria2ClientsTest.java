package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.testing.FaultServer;
import dev.haul.testing.ServeBytes;
import dev.haul.testing.TestBodies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * aria2's own npm clients, unchanged, drive the daemon: the {@code aria2} package (over HTTP,
 * then WebSocket with notifications) and {@code maria2} (WebSocket and HTTP), installed from npm
 * at the versions pinned in {@code src/test/node/package-lock.json}. The script
 * ({@code src/test/node/clients.mjs}) adds, waits for, pauses, resumes and removes downloads and
 * checks every answer; this test checks the files they left on disk.
 *
 * <p>Needs Node.js 18+ and npm (Debian's {@code nodejs} and {@code npm}; .ci/run installs them)
 * and the npm registry: without them the test fails, saying so.
 */
@Timeout(240)
class Aria2ClientsTest {
    static final int SIZE = 3 * 1024 * 1024 + 17;

    @TempDir
    Path tmp;

    @Test
    void theAria2AndMaria2ClientsDriveTheDaemon() throws Exception {
        Path node = installClients();
        byte[] body = TestBodies.random(SIZE, 7);
        try (FaultServer files = FaultServer.start(); TestDaemon d = new TestDaemon(tmp)) {
            files.handle("/file.bin", ServeBytes.of(body));
            // about 300 kB/s: still running while the clients pause, resume and remove it
            files.handle("/slow.bin", ServeBytes.of(TestBodies.random(64 * 1024 * 1024, 8))
                    .throttle(16 * 1024, 50));
            Path dir = d.downloads.resolve("clients");
            ProcessBuilder pb = new ProcessBuilder(nodeCommand(), "clients.mjs")
                    .directory(node.toFile()).redirectErrorStream(true);
            pb.environment().putAll(Map.of(
                    "HAUL_RPC", "ws://127.0.0.1:" + d.daemon.url().getPort() + "/jsonrpc",
                    "HAUL_TOKEN", TestDaemon.TOKEN,
                    "FILE_URL", files.url("/file.bin"),
                    "SLOW_URL", files.url("/slow.bin"),
                    "DIR", dir.toString(),
                    "FILE_SIZE", Integer.toString(SIZE)));
            String output = run(pb, 180);
            assertTrue(output.contains("all ok"), output);
            for (String name : List.of("http.bin", "ws.bin", "maria2.bin")) {
                assertArrayEquals(body, Files.readAllBytes(dir.resolve(name)), name);
            }
            assertFalse(Files.exists(dir.resolve("slow.bin")), "removed before it finished");
            assertFalse(Files.exists(dir.resolve("maria2-slow.bin")), "removed too");
        }
    }

    /** Copies the client project to a temp dir and installs its locked dependencies there. */
    private Path installClients() throws IOException, InterruptedException {
        Path src = Path.of("src/test/node");
        Path node = tmp.resolve("node");
        Files.createDirectories(node);
        for (String f : List.of("package.json", "package-lock.json", "clients.mjs")) {
            Files.copy(src.resolve(f), node.resolve(f));
        }
        String out = run(new ProcessBuilder(npmCommand(), "ci", "--no-audit", "--no-fund",
                "--loglevel=error").directory(node.toFile()).redirectErrorStream(true), 150);
        assertTrue(Files.isDirectory(node.resolve("node_modules/aria2"))
                && Files.isDirectory(node.resolve("node_modules/maria2")), out);
        return node;
    }

    private static String nodeCommand() {
        return command("node");
    }

    private static String npmCommand() {
        return command("npm");
    }

    private static String command(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new AssertionError("no '" + name + "' on the PATH: install Node.js and npm"
                + " (apt-get install -y nodejs npm; .ci/run does)");
    }

    /** Runs a process to its end within {@code seconds}, returning what it printed. */
    private static String run(ProcessBuilder pb, long seconds)
            throws IOException, InterruptedException {
        Process p = pb.start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(cannot read its output: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        }, "process-output");
        reader.start();
        boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(10_000);
        String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        assertTrue(ended, String.join(" ", pb.command()) + " still running after " + seconds
                + " s:\n" + text);
        assertEquals(0, p.exitValue(), String.join(" ", pb.command()) + ":\n" + text);
        return text;
    }
}
