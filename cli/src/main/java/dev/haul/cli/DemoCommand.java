package dev.haul.cli;

import dev.haul.Destination;
import dev.haul.DownloadManager;
import dev.haul.DownloadRequest;
import dev.haul.DownloadResult;
import dev.haul.RetryPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code haul demo}: what Haul does, on one screen, with no network. A server inside this process
 * serves four files on 127.0.0.1; Haul downloads them in parallel, resumes the one whose
 * connection the server cuts, and verifies one against its SHA-256.
 */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Shows what Haul does, offline, in a few seconds.",
            "",
            "Starts a small web server on 127.0.0.1 inside this process and downloads four",
            "files from it in parallel with live progress. The server cuts one connection",
            "midway (Haul resumes it with a Range request) and one file is checked against",
            "its SHA-256. The files stay in a new temporary directory unless -d is given.",
            ""})
final class DemoCommand implements Callable<Integer> {

    static final int MIB = 1024 * 1024;
    static final String WELCOME = "welcome.txt";
    static final String PHOTOS = "photos.tar";
    static final String VIDEO = "video.mp4";
    static final String ISO = "installer.iso";

    @ParentCommand
    Main main;

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR",
            description = "Save the files here instead of a new temporary directory.")
    Path dir;

    @Option(names = "--speed", paramLabel = "FACTOR", defaultValue = "1", hidden = true,
            description = "Serve FACTOR times faster (tests use a large factor).")
    double speed;

    @Override
    public Integer call() throws IOException {
        Path target = dir != null ? Files.createDirectories(dir) : newDemoDir();
        byte[] iso = generated(10 * MIB, 3);
        String isoSha = sha256(iso);
        long rate = (long) (6 * MIB * speed);
        List<DemoServer.Served> served = List.of(
                new DemoServer.Served(WELCOME, welcomeText(), rate, -1),
                new DemoServer.Served(PHOTOS, generated(12 * MIB, 1), rate, -1),
                new DemoServer.Served(VIDEO, generated(16 * MIB, 2), (long) (8 * MIB * speed),
                        6 * MIB + 12345),
                new DemoServer.Served(ISO, iso, rate, -1));

        ProgressRenderer out = new ProgressRenderer(
                main.terminal.tty() ? ProgressRenderer.Mode.BARS : ProgressRenderer.Mode.LINES,
                main.stderr, main.terminal.columns(),
                main.terminal.tty() ? null : Duration.ofSeconds(1));
        List<Job> jobs = new ArrayList<>();
        Batch batch = new Batch(jobs, 4, out);
        try (DemoServer server = new DemoServer(served);
             DownloadManager manager = DownloadManager.builder().listener(batch)
                     .maxConcurrentDownloads(4).maxConnectionsPerHost(4).build()) {
            say("Haul demo: a web server in this process (127.0.0.1:" + server.port()
                    + ", no internet needed)");
            say("serves " + served.size() + " files; Haul downloads them 4 at a time into " + target
                    + ".");
            say("The server cuts " + VIDEO + " midway; " + ISO + " must match its SHA-256.");
            say("");

            for (DemoServer.Served f : served) {
                Path file = target.resolve(f.name());
                DownloadRequest.Builder request = DownloadRequest.builder(server.url(f.name()))
                        .retryPolicy(RetryPolicy.ofRetries(3)
                                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)))
                        .stallTimeout(Duration.ofSeconds(5));
                if (f.name().equals(ISO)) {
                    request.expectedSha256(isoSha);
                }
                jobs.add(Job.of(server.url(f.name()), request.build().uri(), f.name(), file,
                        f.name(), request, Destination.file(file)));
            }
            long start = System.nanoTime();
            batch.add(jobs);
            ExitCode code = main.runInterruptibly(batch, manager);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (code == ExitCode.INTERRUPTED) {
                return code.code;
            }
            summary(jobs, server.seen(), took, target, isoSha);
            return code.code;
        }
    }

    private void summary(List<Job> jobs, List<DemoServer.Seen> seen, Duration took, Path target,
            String isoSha) {
        say("");
        say("What happened (" + Units.elapsed(took) + "):");
        for (Job job : jobs) {
            DownloadResult<?> r = job.result;
            String what;
            if (r == null) {
                what = "FAILED: " + (job.failure == null ? "?" : job.failure.reason());
            } else if (r.resumedFrom() > 0) {
                what = "cut at " + Units.bytes(r.resumedFrom()) + ", resumed (Range: bytes="
                        + r.resumedFrom() + "-, " + r.statusCode() + ")";
            } else if (job.label.equals(ISO)) {
                what = "SHA-256 " + r.sha256().orElse(isoSha).substring(0, 12) + "… verified";
            } else {
                what = "downloaded";
            }
            say(String.format("  %-13s %8s  %s", job.label, r == null ? "-" : Units.bytes(r.size()),
                    what));
        }
        long connections = seen.stream().mapToInt(DemoServer.Seen::remotePort).distinct().count();
        say("  " + seen.size() + " requests on " + connections
                + " connections: downloads reuse keep-alive connections.");
        say("");
        say("The files are in " + target);
        say("Each download goes to NAME.part, renamed to NAME once complete and verified.");
        say("Try: ./haul get URL -o FILE   or   ./haul get URL... -d DIR   (see --help)");
    }

    /** A new directory with a short name: haul-demo-PID in the temp directory. */
    private static Path newDemoDir() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path shortName = tmp.resolve("haul-demo-" + ProcessHandle.current().pid());
        try {
            return Files.createDirectory(shortName);
        } catch (IOException e) {
            return Files.createTempDirectory(tmp, "haul-demo-");
        }
    }

    private void say(String line) {
        main.stderr.println(line);
    }

    private static byte[] welcomeText() {
        String text = """
                Welcome to Haul.

                This file came from the demo server inside `haul demo`.
                Haul downloads over HTTP(S) with resume, retries, stall detection,
                SHA-256 checks and atomic writes: a file is either complete or absent.
                """;
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] generated(int size, long seed) {
        byte[] b = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = random.nextLong();
            for (int k = 0; k < 8 && i + k < size; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
        return b;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
