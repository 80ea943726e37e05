package dev.haul.daemon;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code haul daemon} as a separate JVM (the test's class path), so a test can kill it with
 * SIGKILL or stop it with SIGTERM as an operating system would.
 */
final class DaemonProcess implements AutoCloseable {
    static final Duration START_WAIT = Duration.ofSeconds(30);

    final Process process;
    final URI url;
    final Http http;
    final Path log;

    private DaemonProcess(Process process, URI url, Path log) {
        this.process = process;
        this.url = url;
        this.http = new Http(url, TestDaemon.TOKEN);
        this.log = log;
    }

    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isEmpty() ? cp : System.getProperty("java.class.path");
    }

    /** Starts a daemon on a free port and returns once it answers. */
    static DaemonProcess start(Path data, Path downloads, Path log, String... extra)
            throws IOException, InterruptedException {
        Files.deleteIfExists(data.resolve(Daemon.URL_FILE)); // left by a killed daemon
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC",
                "-Djdk.internal.httpclient.selectorTimeout=200"));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-cp", classPath(), DaemonCommand.class.getName(),
                "--data-dir", data.toString(), "--download-dir", downloads.toString(),
                "--port", "0"));
        command.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("HAUL_TOKEN", TestDaemon.TOKEN);
        Process p = pb.start();
        Path urlFile = data.resolve(Daemon.URL_FILE);
        try {
            Poll.until(() -> Files.exists(urlFile) || !p.isAlive(), START_WAIT,
                    "the daemon writes " + urlFile);
            if (!p.isAlive()) {
                throw new AssertionError("the daemon exited with " + p.exitValue() + ": "
                        + Files.readString(log));
            }
            Poll.until(() -> {
                try {
                    return Files.readString(urlFile).endsWith("\n");
                } catch (IOException e) {
                    return false;
                }
            }, START_WAIT, "a whole address in " + urlFile);
            URI url = URI.create(Files.readString(urlFile, StandardCharsets.US_ASCII).trim());
            return new DaemonProcess(p, url, log);
        } catch (RuntimeException | Error e) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("SIGKILL did not end the daemon");
        }
    }

    /** SIGTERM, and the exit status. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the daemon did not stop within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
