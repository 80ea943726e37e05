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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code haul} command. {@link #main} wires the real streams and the Ctrl-C hook;
 * {@link #fromArgs} runs a command line against any streams and returns the exit code, which is
 * how the tests drive it.
 */
@Command(name = "haul",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {GetCommand.class, DemoCommand.class, CdsTraining.class,
            // the service: the daemon and its client commands (docs/api.md)
            dev.haul.daemon.DaemonCommand.class, AddCommand.class, LsCommand.class,
            PauseCommand.class, ResumeCommand.class, RmCommand.class, WaitCommand.class,
            StatsCommand.class},
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

    /** How long Ctrl-C waits for running downloads to stop before the JVM exits. */
    static final Duration INTERRUPT_WAIT = Duration.ofMillis(800);

    final InputStream stdin;
    final OutputStream stdout;
    final PrintStream stderr;
    final Terminal terminal;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    private volatile Batch running;
    private volatile boolean stopping;

    Main(InputStream stdin, OutputStream stdout, PrintStream stderr, Terminal terminal) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        // Unbuffered-by-default System.out is a PrintStream that hides write errors; the data of
        // `-o -` needs a stream that reports them (a closed pipe must fail the download).
        OutputStream out =
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        Main main = new Main(System.in, out, err, Terminal.detect());
        Runtime.getRuntime().addShutdownHook(new Thread(main::interrupt, "haul-interrupt"));
        int code = main.run(args);
        main.stopping = true;
        stopSelectorThreads();
        System.exit(code);
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

    /** Runs one command line and returns its exit code; never calls {@code System.exit}. */
    public static int fromArgs(String[] args, InputStream stdin, OutputStream stdout,
            PrintStream stderr) {
        return new Main(stdin, stdout, stderr, Terminal.NONE).run(args);
    }

    int run(String... args) {
        CommandLine cl = new CommandLine(this);
        cl.setOut(new PrintWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true));
        Map<String, String> codes = new LinkedHashMap<>();
        for (ExitCode c : ExitCode.values()) {
            codes.put(String.format("%3d", c.code), c.meaning);
        }
        for (CommandLine c : new CommandLine[] {cl, cl.getSubcommands().get("get")}) {
            c.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
                    .exitCodeList(codes);
        }
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
            stderr.println("haul: " + ProgressRenderer.oneLine(ex.getMessage()) + " (see '" + cmd
                    + " --help')");
            return ExitCode.USAGE.code;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            stderr.println("haul: unexpected error: "
                    + ProgressRenderer.oneLine(String.valueOf(ex)));
            if (System.getenv("HAUL_DEBUG") != null) {
                ex.printStackTrace(stderr);
            }
            return ExitCode.OTHER.code;
        });
        int code = cl.execute(args);
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
