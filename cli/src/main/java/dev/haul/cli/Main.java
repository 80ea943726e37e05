package dev.haul.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code haul} command. {@link #main} wires the real streams, the process's environment, the
 * terminal and the Ctrl-C hook; {@link #fromArgs} runs a command line against any streams and any
 * environment and returns the exit code, which is how the tests drive it. Nothing below reads
 * {@code System.getenv} or {@code System.console}: they come in here.
 */
@Command(name = "haul",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "Downloads files over HTTP(S): resumable, verifiable, in parallel.",
            "",
            "  haul get URL -o FILE [options]     one download ('-o -' = stdout)",
            "  haul get URL... -d DIR [options]   several, names taken from the URLs",
            "  haul get -i LIST -d DIR [options]  URLs from a file ('-' = stdin)",
            "  haul demo                          an offline demonstration",
            "",
            "  haul daemon [start|stop|status]    the download service: a durable queue, an HTTP",
            "                                     API and a web page (docs/api.md)",
            "  haul add URL... [-d DIR]           queue downloads in the running daemon",
            "  haul ls | pause ID | resume ID | rm ID | wait [ID...] | stats",
            "",
            "See 'haul get --help' (and 'haul COMMAND --help') for the options."},
        footerHeading = "%n",
        footer = {"Docs: docs/cli.md"})
public final class Main implements Callable<Integer> {

    /**
     * The subcommands, by name, in the order {@code haul --help} lists them (the hidden
     * {@code __cds-training} is not listed). They are added to the command line in {@link #run},
     * and only the one named when a command line names one: picocli builds a command's model by
     * reflection over its annotations, and doing so for all of them took about a quarter of
     * {@code haul get}'s start-up.
     */
    private static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("get", GetCommand.class);
        m.put("demo", DemoCommand.class);
        m.put("__cds-training", CdsTraining.class);
        // the service: the daemon and its client commands (docs/api.md)
        m.put("daemon", dev.haul.daemon.DaemonCommand.class);
        m.put("add", AddCommand.class);
        m.put("ls", LsCommand.class);
        m.put("pause", PauseCommand.class);
        m.put("resume", ResumeCommand.class);
        m.put("rm", RmCommand.class);
        m.put("wait", WaitCommand.class);
        m.put("stats", StatsCommand.class);
        return Collections.unmodifiableMap(m);
    }

    /** How long Ctrl-C waits for running downloads to stop before the JVM exits. */
    static final Duration INTERRUPT_WAIT = Duration.ofMillis(800);
    /**
     * How long Ctrl-C then waits for the command to write what must survive the run (the cookie
     * jar, the directory's state file) before the JVM exits.
     */
    static final Duration CLEANUP_WAIT = Duration.ofMillis(700);

    /** Reads a password from the terminal without echo; null when there is no terminal. */
    @FunctionalInterface
    interface PasswordPrompt {
        char[] read(String prompt);
    }

    final InputStream stdin;
    final OutputStream stdout;
    final PrintStream stderr;
    final Terminal terminal;
    /** The environment: proxies, HOME for ~/.netrc, HAUL_DEBUG. */
    final Map<String, String> env;
    /** The terminal to ask a missing -u password from, or null. */
    final PasswordPrompt passwordPrompt;
    /** Completes when the command has returned, its files written. */
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    private volatile Batch running;
    private volatile boolean stopping;

    Main(InputStream stdin, OutputStream stdout, PrintStream stderr, Terminal terminal) {
        this(stdin, stdout, stderr, terminal, Map.of(), null);
    }

    Main(InputStream stdin, OutputStream stdout, PrintStream stderr, Terminal terminal,
         Map<String, String> env, PasswordPrompt passwordPrompt) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.terminal = terminal;
        this.env = Map.copyOf(env);
        this.passwordPrompt = passwordPrompt;
    }

    public static void main(String[] args) {
        applyJvmDefaults(System.getProperties());
        // Unbuffered-by-default System.out is a PrintStream that hides write errors; the data of
        // `-o -` needs a stream that reports them (a closed pipe must fail the download).
        OutputStream out =
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        // Only a terminal is asked for a missing -u password, never a redirected stdin.
        java.io.Console console = Terminal.interactiveConsole();
        Main main = new Main(System.in, out, err, Terminal.detect(), System.getenv(),
                console == null ? null : prompt -> console.readPassword("%s", prompt));
        Runtime.getRuntime().addShutdownHook(new Thread(main::interrupt, "haul-interrupt"));
        int code = main.run(args);
        main.stopping = true;
        stopSelectorThreads();
        System.exit(code);
    }

    /**
     * JVM-wide settings an application may make and a library must not, set before any HTTP class
     * loads unless the user set them: the JDK's HTTP client (used by {@code --http2}) refuses to
     * send Basic proxy credentials on a {@code CONNECT} tunnel unless
     * {@code jdk.http.auth.tunneling.disabledSchemes} is emptied. curl sends them, and so does
     * Haul's own transport: credentials in a proxy URL are meant for that proxy.
     */
    static void applyJvmDefaults(Properties properties) {
        if (properties.getProperty("jdk.http.auth.tunneling.disabledSchemes") == null) {
            properties.setProperty("jdk.http.auth.tunneling.disabledSchemes", "");
        }
    }

    /**
     * Lets the JVM exit at once. At exit, JDK 17 waits up to 300 ms for every thread that is in
     * native code (VM_Exit::wait_for_threads_in_native_to_block), and the HttpClient's selector
     * thread sits in epoll until its client is garbage-collected: JDK 17 has no
     * {@code HttpClient.close()}. Its loop ends when the thread is interrupted, and every download
     * has ended by now, so interrupting it costs nothing and saves a third of a second per run.
     */
    private static void stopSelectorThreads() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")) {
                t.interrupt();
                try {
                    t.join(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Runs one command line in this process's environment and returns its exit code; never calls
     * {@code System.exit}.
     */
    public static int fromArgs(String[] args, InputStream stdin, OutputStream stdout,
            PrintStream stderr) {
        return fromArgs(args, System.getenv(), stdin, stdout, stderr);
    }

    /**
     * Runs one command line as if {@code env} were the environment (proxy variables, HOME for
     * {@code --netrc}) and returns its exit code; never calls {@code System.exit}. There is no
     * terminal: a password that {@code -u} leaves out is a usage error.
     */
    public static int fromArgs(String[] args, Map<String, String> env, InputStream stdin,
            OutputStream stdout, PrintStream stderr) {
        return new Main(stdin, stdout, stderr, Terminal.NONE, env, null).run(args);
    }

    /** {@code -V} on every subcommand (daemon, add, ...) prints what {@code haul -V} does. */
    private static void versionEverywhere(CommandLine cl) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        if (spec.versionProvider() == null && spec.version().length == 0) {
            spec.versionProvider(new Version());
        }
        cl.getSubcommands().values().forEach(Main::versionEverywhere);
    }

    int run(String... args) {
        CommandLine cl = new CommandLine(this);
        Class<?> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
        if (named != null) {
            cl.addSubcommand(args[0], named);
        } else { // help, a usage error (picocli suggests the nearest name), or -V
            SUBCOMMANDS.forEach(cl::addSubcommand);
        }
        cl.setOut(new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true));
        Map<String, String> codes = new LinkedHashMap<>();
        for (ExitCode c : ExitCode.values()) {
            codes.put(String.format("%3d", c.code), c.meaning);
        }
        for (CommandLine c : new CommandLine[] {cl, cl.getSubcommands().get("get")}) {
            if (c == null) {
                continue;
            }
            c.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
                    .exitCodeList(codes);
        }
        versionEverywhere(cl);
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
            stderr.println("haul: " + ProgressRenderer.oneLine(ex.getMessage()) + " (see '" + cmd
                    + " --help')");
            return ExitCode.USAGE.code;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            stderr.println("haul: unexpected error: "
                    + ProgressRenderer.oneLine(String.valueOf(ex)));
            if (env.get("HAUL_DEBUG") != null) {
                ex.printStackTrace(stderr);
            }
            return ExitCode.OTHER.code;
        });
        int code;
        try {
            code = cl.execute(args);
        } finally {
            done.complete(null);
        }
        try {
            stdout.flush();
        } catch (IOException e) {
            // stdout went away; the data's own failure has been reported
        }
        return code;
    }

    /** {@code haul} alone: the overview on stderr, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(stderr);
        return ExitCode.USAGE.code;
    }

    /** For tests: sees each manager a command builds, before its downloads start. */
    volatile java.util.function.Consumer<dev.haul.DownloadManager> managerObserver;

    void managerStarted(dev.haul.DownloadManager manager) {
        java.util.function.Consumer<dev.haul.DownloadManager> o = managerObserver;
        if (o != null) {
            o.accept(manager);
        }
    }

    /** Runs a batch so that Ctrl-C can interrupt it. */
    ExitCode runInterruptibly(Batch batch, dev.haul.DownloadManager manager) {
        running = batch;
        try {
            return batch.run(manager);
        } finally {
            running = null;
        }
    }

    /** The shutdown hook: on Ctrl-C (or SIGTERM) cancel running downloads, keeping their .part. */
    void interrupt() {
        Batch batch = running;
        if (stopping || batch == null) {
            return;
        }
        batch.interrupt(INTERRUPT_WAIT);
        try {
            // The command goes on to close its manager and write the cookie jar and state file.
            done.get(CLEANUP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // exiting anyway: what was not written is lost, as with a crash
        }
        try {
            stdout.flush();
        } catch (IOException e) {
            // exiting anyway
        }
    }

    /**
     * What {@code --version} prints: Haul's version, the Java that runs it (version, vendor, VM,
     * and whether the VM mapped class data: "sharing" in {@code java.vm.info}), and, when the
     * launcher started it, why that Java was chosen and which class data it asked for (an AOT
     * cache on JDK 25+, a CDS archive before).
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String info = System.getProperty("java.vm.info", "");
            boolean sharing = info.contains("sharing");
            String launcherJava = System.getProperty("haul.launcher.java");
            String classData = System.getProperty("haul.launcher.classdata");
            String runtime = System.getProperty("java.runtime.version",
                    System.getProperty("java.version"));
            String vm = System.getProperty("java.vm.name") + (info.isEmpty() ? "" : ", " + info);
            String javaLine = "Java " + runtime + ", " + System.getProperty("java.vendor")
                    + " (" + vm + ")"
                    + (launcherJava == null ? "" : ", chosen by " + launcherJava)
                    + ", " + System.getProperty("java.home");
            return new String[] {"haul " + version(), javaLine,
                "Class data: " + classData(classData, sharing)};
        }

        /** What the launcher asked for (kind:path, or none) and whether the VM shares classes. */
        static String classData(String launcher, boolean sharing) {
            String mapped = sharing ? "class sharing on" : "class sharing off";
            if (launcher == null) {
                return mapped + " (not started by the haul launcher)";
            }
            if (launcher.equals("none")) {
                return "none of Haul's own; " + mapped + (sharing ? " (the JDK's default archive)"
                        : "");
            }
            int colon = launcher.indexOf(':');
            String kind = colon < 0 ? launcher : launcher.substring(0, colon);
            String file = colon < 0 ? "" : launcher.substring(colon + 1);
            String name = file.substring(file.lastIndexOf('/') + 1);
            String what = kind.equals("aot") ? "AOT cache " : kind.equals("cds") ? "CDS archive "
                    : kind + " ";
            return what + name + (sharing ? " (mapped)"
                    : " (asked for, not mapped: class sharing off)");
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // fall through
            }
            return p.getProperty("version", "unknown");
        }
    }
}
