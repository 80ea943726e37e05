package dev.haul.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.queue.PostgresJobStore;
import dev.haul.queue.QueueException;
import dev.haul.queue.SqliteJobStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code haul daemon}: runs the daemon in the foreground until SIGTERM (or Ctrl-C), which stops
 * it gracefully; {@code haul daemon start} runs it in the background, {@code stop} stops it and
 * {@code status} says whether one runs. {@link #main} runs it alone, without the rest of the CLI.
 */
@Command(name = "daemon",
        mixinStandardHelpOptions = true,
        subcommands = {DaemonCommand.Start.class, DaemonCommand.Stop.class,
            DaemonCommand.Status.class},
        description = {
            "Runs the download service: the durable queue, its HTTP API (docs/api.md) and the "
                + "web page, in the foreground until SIGTERM or Ctrl-C, which stop it gracefully "
                + "(running downloads keep their .part files and continue at the next start).",
            "",
            "  haul daemon [options]          in the foreground",
            "  haul daemon start [options]    in the background (log in DATA/daemon.log)",
            "  haul daemon stop               stops the running daemon",
            "  haul daemon status             says whether one runs, and its queue",
            "",
            "Then: haul add URL..., haul ls, haul wait, or the web page it prints. Tools",
            "written for aria2 use its JSON-RPC at /jsonrpc (HTTP POST and WebSocket; the token",
            "is their secret). Several daemons share one queue with --store postgresql://...",
            "(docs/api.md, \"A fleet\")."})
public final class DaemonCommand implements Callable<Integer> {
    /** How long {@code start} waits for the background daemon to answer. */
    static final Duration START_WAIT = Duration.ofSeconds(30);
    /** How long {@code stop} waits for the daemon to exit. */
    static final Duration STOP_WAIT = Duration.ofSeconds(30);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The options of a daemon, shared by the foreground command and {@code start}. */
    static final class Settings {
        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "The queue, token, pid and address files (default: "
                        + "$XDG_DATA_HOME/haul, else ~/.local/share/haul).")
        Path dataDir;

        @Option(names = "--download-dir", paramLabel = "DIR",
                description = "Where jobs without an absolute dir save files (default: "
                        + "~/Downloads).")
        Path downloadDir;

        @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "The address to listen on (default: ${DEFAULT-VALUE}). Anything "
                        + "but loopback needs --token.")
        String host;

        @Option(names = "--port", paramLabel = "PORT", defaultValue = "" + Daemon.DEFAULT_PORT,
                description = "The port (default: ${DEFAULT-VALUE}; 0: any free one).")
        int port;

        @Option(names = "--token", paramLabel = "TOKEN",
                description = "The API token (default: $HAUL_TOKEN, else DATA/token, made on "
                        + "the first start).")
        String token;

        @Option(names = {"-j", "--concurrency"}, paramLabel = "N", defaultValue = "3",
                description = "Jobs downloading at once (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--max-speed", paramLabel = "BYTES", defaultValue = "0",
                description = "Global speed limit in bytes per second, 0 for none "
                        + "(default: ${DEFAULT-VALUE}).")
        long maxSpeed;

        @Option(names = "--store", paramLabel = "URL",
                description = "A queue shared by several daemons (a fleet): "
                        + "postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE (default: "
                        + "$HAUL_STORE, else the SQLite queue in the data directory). The "
                        + "password may also come from $PGPASSWORD. See docs/api.md, \"A fleet\".")
        String store;

        @Option(names = "--name", paramLabel = "NAME",
                description = "This daemon's name in the queue's leases, shown as a job's "
                        + "worker (default: haul-PID-RANDOM).")
        String name;

        @Option(names = "--host-connections", paramLabel = "N", defaultValue = "8",
                description = "The most connections to one host: with --store, counted over "
                        + "every daemon of the fleet (give them all the same N); else this "
                        + "daemon's (default: ${DEFAULT-VALUE}).")
        int hostConnections;

        @Option(names = "--lease", paramLabel = "SECONDS", defaultValue = "30",
                description = "How long a job stays this daemon's without a heartbeat (every "
                        + "0.5 s): with --store, how long a dead daemon's jobs wait before "
                        + "another daemon takes them over (default: ${DEFAULT-VALUE}).")
        int leaseSeconds;

        Daemon.Settings settings() {
            Daemon.Settings s = Daemon.Settings.defaults();
            if (dataDir != null) {
                s = s.dataDir(dataDir);
            }
            if (downloadDir != null) {
                s = s.downloadDir(downloadDir);
            }
            String t = token != null ? token : System.getenv("HAUL_TOKEN");
            String st = store != null ? store : System.getenv("HAUL_STORE");
            return s.listen(host, port).token(t == null || t.isEmpty() ? null : t)
                    .limits(concurrency, maxSpeed)
                    .fleet(st == null || st.isEmpty() ? null : st, name, hostConnections)
                    .lease(Duration.ofSeconds(leaseSeconds));
        }

        List<String> args() {
            List<String> a = new ArrayList<>(List.of("--host", host, "--port", "" + port,
                    "-j", "" + concurrency, "--max-speed", "" + maxSpeed,
                    "--host-connections", "" + hostConnections,
                    "--lease", "" + leaseSeconds));
            if (name != null) {
                a.addAll(List.of("--name", name));
            }
            if (dataDir != null) {
                a.addAll(List.of("--data-dir", dataDir.toAbsolutePath().toString()));
            }
            if (downloadDir != null) {
                a.addAll(List.of("--download-dir", downloadDir.toAbsolutePath().toString()));
            }
            // the token and the store's URL (it may hold a password) go by environment, never
            // on a command line others can read
            return a;
        }
    }

    @CommandLine.Mixin
    Settings options = new Settings();

    /** Set by {@code start}: the output goes to a log file, which must not hold the token. */
    @Option(names = "--background", hidden = true)
    boolean background;

    /**
     * Runs {@code haul daemon ARGS} alone: what {@code haul daemon start} spawns.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new DaemonCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Daemon.Settings settings;
        try {
            settings = options.settings();
        } catch (IllegalArgumentException e) {
            err.println("haul daemon: " + e.getMessage());
            return 2;
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(settings);
        } catch (QueueException e) {
            err.println("haul daemon: " + e.getMessage()
                    + (e.code() == QueueException.Code.LOCKED ? " ('haul daemon status' shows it)"
                    : ""));
            return 1;
        } catch (IOException | IllegalStateException e) {
            err.println("haul daemon: " + e.getMessage());
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        boolean trapped = onSignals(stop::countDown, "TERM", "INT");
        var unused = daemon.shutdownRequested().thenRun(stop::countDown); // aria2's shutdown
        // without the signal handlers (a JVM without sun.misc), the shutdown hook still stops
        // the daemon gracefully; the exit status is then the JVM's 143
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stop.countDown();
        }, "haul-daemon-stop"));
        out.println("haul daemon: listening on " + daemon.url() + " (queue in "
                + (settings.store() == null ? settings.dataDir().toString()
                        : PostgresJobStore.redact(settings.store()) + ", shared, as "
                        + daemon.worker())
                + ", files to " + settings.downloadDir() + ")");
        // the link carries the token: never into the log file of a background daemon
        out.println("haul daemon: web page " + daemon.url() + (background
                ? " (token in " + settings.dataDir().resolve(TokenFile.NAME) + ")"
                : "#token=" + daemon.token()));
        out.println("haul daemon: stop with Ctrl-C, SIGTERM or 'haul daemon stop'");
        out.flush();
        stop.await();
        daemon.close();
        if (trapped) {
            out.println("haul daemon: stopped");
            out.flush();
        }
        return 0;
    }

    /**
     * Runs {@code action} on these signals instead of the JVM's exit, so that SIGTERM stops the
     * daemon gracefully and it exits with status 0 (a service manager's "stopped", not "killed").
     * Through reflection: {@code sun.misc.Signal} is unsupported API, which the build's
     * {@code -Werror} refuses to name.
     *
     * @return whether the handlers are installed
     */
    static boolean onSignals(Runnable action, String... names) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = java.lang.reflect.Proxy.newProxyInstance(
                    DaemonCommand.class.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            action.run();
                            return null;
                        }
                        return switch (method.getName()) {
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> "haul-daemon-signals";
                        };
                    });
            java.lang.reflect.Method handle = signal.getMethod("handle", signal, handlerType);
            for (String name : names) {
                handle.invoke(null, signal.getConstructor(String.class).newInstance(name),
                        handler);
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** {@code haul daemon start}: the daemon in the background. */
    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Starts the daemon in the background and returns once it answers; "
                    + "its log goes to DATA/daemon.log.")
    static final class Start implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Settings options = new Settings();

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Daemon.Settings settings = options.settings();
            Path data = settings.dataDir();
            Optional<String> running = answering(data);
            if (running.isPresent()) {
                out.println("haul daemon: already running at " + running.get());
                return 0;
            }
            Files.deleteIfExists(data.resolve(Daemon.URL_FILE)); // a crashed daemon's
            dev.haul.queue.OwnerOnlyFiles.createDirectories(data);
            Path log = data.resolve("daemon.log");
            if (!Files.exists(log)) {
                dev.haul.queue.OwnerOnlyFiles.write(log, new byte[0]); // the log is the owner's
            }
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC",
                    "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"),
                    DaemonCommand.class.getName()));
            if (Runtime.version().feature() < 22) {
                command.remove("--enable-native-access=ALL-UNNAMED");
            }
            command.addAll(options.args());
            command.add("--background");
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (settings.token() != null) {
                pb.environment().put("HAUL_TOKEN", settings.token());
            }
            if (settings.store() != null) {
                pb.environment().put("HAUL_STORE", settings.store());
            }
            Process p = pb.start();
            long deadline = System.nanoTime() + START_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    err.println("haul daemon: it exited at once (status " + p.exitValue()
                            + "); its log, " + log + ", says:");
                    err.println(tail(log));
                    return 1;
                }
                running = answering(data);
                if (running.isPresent()) {
                    out.println("haul daemon: started (pid " + p.pid() + ") at " + running.get());
                    out.println("haul daemon: web page " + running.get() + "#token="
                            + readToken(data));
                    return 0;
                }
                // polling a process that reports nothing else, with a bound
                p.waitFor(100, TimeUnit.MILLISECONDS);
            }
            err.println("haul daemon: no answer within " + START_WAIT.toSeconds() + " s; see "
                    + log);
            return 1;
        }
    }

    /** {@code haul daemon stop}. */
    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stops the running daemon gracefully (SIGTERM) and waits for it to "
                    + "exit: running downloads keep their .part files and continue at the next "
                    + "start.")
    static final class Stop implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "The daemon's data directory (default: $XDG_DATA_HOME/haul).")
        Path dataDir;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path data = dataDir != null ? dataDir : SqliteJobStore.defaultDirectory();
            Optional<ProcessHandle> process = pidOf(data);
            // only a daemon that answers with our token is signalled: a pid file left by a
            // crash may name a process that is something else by now
            if (answering(data).isEmpty() || process.isEmpty()) {
                err.println("haul daemon: none is running for " + data);
                return 1;
            }
            ProcessHandle p = process.get();
            p.destroy();
            try {
                p.onExit().get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                err.println("haul daemon: pid " + p.pid() + " did not exit within "
                        + STOP_WAIT.toSeconds() + " s");
                return 1;
            }
            out.println("haul daemon: stopped (pid " + p.pid() + ")");
            return 0;
        }
    }

    /** {@code haul daemon status}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Says whether a daemon runs, where, and its queue; exit status 0 if "
                    + "it runs, 1 if not.")
    static final class Status implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "The daemon's data directory (default: $XDG_DATA_HOME/haul).")
        Path dataDir;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Path data = dataDir != null ? dataDir : SqliteJobStore.defaultDirectory();
            try {
                DaemonClient client = DaemonClient.find(data);
                JsonNode stats = client.call("GET", "/api/v1/stats", null);
                JsonNode jobs = stats.path("jobs");
                out.println("running at " + client.base() + pidOf(data).map(p -> " (pid "
                        + p.pid() + ")").orElse("") + ", queue in " + data);
                out.println("jobs: " + jobs.path("queued").asLong() + " queued, "
                        + jobs.path("active").asLong() + " active, "
                        + jobs.path("paused").asLong() + " paused, "
                        + jobs.path("completed").asLong() + " completed, "
                        + jobs.path("failed").asLong() + " failed");
                return 0;
            } catch (DaemonClient.Failure e) {
                out.println("not running: " + e.getMessage());
                return 1;
            }
        }
    }

    /** The URL of the daemon of {@code data} if it answers with the token there. */
    static Optional<String> answering(Path data) throws InterruptedException {
        try {
            DaemonClient client = DaemonClient.find(data);
            client.call("GET", "/api/v1/stats", null, Duration.ofSeconds(5));
            return Optional.of(client.base().toString());
        } catch (DaemonClient.Failure e) {
            return Optional.empty();
        }
    }

    static Optional<ProcessHandle> pidOf(Path data) {
        try {
            long pid = Long.parseLong(Files.readString(data.resolve(Daemon.PID_FILE),
                    StandardCharsets.US_ASCII).trim());
            return ProcessHandle.of(pid);
        } catch (NoSuchFileException | NumberFormatException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String readToken(Path data) throws IOException {
        return Files.readString(data.resolve(TokenFile.NAME), StandardCharsets.US_ASCII).trim();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20),
                    lines.size()));
        } catch (IOException e) {
            return "(cannot read it: " + e.getMessage() + ")";
        }
    }
}
