package dev.haul.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Flags, help, version and usage errors: exit 2 and one line on stderr. */
class UsageTest {

    @Test
    @Timeout(5)
    void helpListsCommandsAndExitCodes() {
        CliRun run = CliRun.of("--help");

        assertEquals(0, run.code());
        String help = run.stdoutText();
        assertTrue(help.contains("haul get URL -o FILE"), help);
        assertTrue(help.contains("haul demo"), help);
        for (ExitCode c : ExitCode.values()) {
            assertTrue(help.contains(c.meaning), "exit code " + c.code + " documented:\n" + help);
        }
    }

    @Test
    @Timeout(5)
    void helpTextsFormatWithoutPicocliWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        CliRun get;
        CliRun main;
        try {
            get = CliRun.of("get", "--help");
            main = CliRun.of("--help");
        } finally {
            System.setErr(saved);
        }
        String warnings = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals("", warnings, "a '%' in a description must be written '%%'");
        assertTrue(get.stdoutText().replaceAll("\\s+", " ").contains("a third of an average"),
                get.stdoutText());
        assertEquals(0, main.code());
        for (String line : get.stdoutText().split("\n")) {
            assertTrue(line.length() <= 80, "wrapped to the width: " + line);
        }
    }

    @Test
    @Timeout(5)
    void everySubcommandPrintsTheVersion() {
        String main = CliRun.of("--version").stdoutText();
        assertTrue(main.startsWith("haul "), main);
        for (String[] args : new String[][] {{"daemon", "-V"}, {"daemon", "start", "-V"},
            {"add", "-V"}, {"get", "-V"}}) {
            CliRun run = CliRun.of(args);
            assertEquals(0, run.code(), String.join(" ", args));
            assertEquals(main, run.stdoutText(), String.join(" ", args));
        }
        String daemonHelp = CliRun.of("daemon", "--help").stdoutText();
        assertTrue(daemonHelp.contains("/jsonrpc") && daemonHelp.contains("--store"),
                daemonHelp);
    }

    @Test
    @Timeout(5)
    void getHelpListsEveryContractFlag() {
        CliRun run = CliRun.of("get", "--help");
        assertTrue(run.stdoutText().contains("Run it again until everything is there"), run.stdoutText());

        assertEquals(0, run.code());
        for (String flag : new String[] {"-o, --output", "-d, --dir", "-i, --input", "-j, --parallel",
            "-H, --header", "--sha256", "--retries", "--stall-timeout", "--connect-timeout",
            "-c, --continue", "-q, --quiet", "--insecure", "--no-fsync", "--skip-existing", "-N, --timestamping",
            "--no-remote-time", "--limit-rate", "    --proxy", "--noproxy", "--http2", "-u, --user", "-n, --netrc",
            "--netrc-file", "-b, --cookie", "--cookie-jar", "--cacert", ".haul-state", "https_proxy",
            "-x, --connections", "-k, --min-split-size", "--mirror",
            "Exit codes"}) {
            assertTrue(run.stdoutText().contains(flag), flag + " in:\n" + run.stdoutText());
        }
    }

    @Test
    @Timeout(5)
    void versionPrintsTheVersion() {
        CliRun run = CliRun.of("--version");

        assertEquals(0, run.code());
        assertTrue(run.stdoutText().startsWith("haul "), run.stdoutText());
    }

    @Test
    @Timeout(5)
    void noCommandIsAUsageError() {
        CliRun run = CliRun.of();

        assertEquals(ExitCode.USAGE.code, run.code());
        assertTrue(run.stderr().contains("Usage: haul"), run::toString);
    }

    @Test
    @Timeout(5)
    void usageErrorsExitWithTwoAndOneLine() {
        String url = "http://127.0.0.1:9/x";
        String[][] cases = {
            {"get"},
            {"get", url, "http://127.0.0.1:9/y", "-o", "f"},
            {"get", url, "-o", "f", "-d", "d"},
            {"get", url, "--sha256", "abc"},
            {"get", url, "-H", "no colon here"},
            {"get", url, "-j", "0"},
            {"get", url, "--retries", "-1"},
            {"get", url, "--stall-timeout", "0"},
            {"get", url, "--no-such-flag"},
            {"get", url, "-o", "-", "-c"},
            {"get", url, "--limit-rate", "1KB"},
            {"get", url, "--netrc", "--netrc-file", "f"},
            {"get", url, "--proxy", "socks4://p"},
            {"get", url, "-u", "alice"},
            {"frobnicate"},
        };
        for (String[] args : cases) {
            CliRun run = CliRun.of(args);
            assertEquals(ExitCode.USAGE.code, run.code(), String.join(" ", args) + " -> " + run);
            assertEquals(1, run.stderrLines().size(), String.join(" ", args) + " -> " + run);
            assertTrue(run.stderr().startsWith("haul: "), run::toString);
        }
    }

    @Test
    @Timeout(5)
    void aUrlThatIsNotHttpIsAUsageErrorNamingIt() {
        CliRun run = CliRun.of("get", "file:///etc/passwd", "-o", "x", "-q");

        assertEquals(ExitCode.USAGE.code, run.code(), run::toString);
        assertEquals(1, run.stderrLines().size(), run::toString);
        assertTrue(run.stderr().contains("file:///etc/passwd"), run::toString);
    }

    @Test
    @Timeout(5)
    void everyFailureReasonHasADistinctDocumentedCode() {
        for (dev.haul.DownloadException.Reason r : dev.haul.DownloadException.Reason.values()) {
            ExitCode c = ExitCode.of(r);
            assertTrue(c != ExitCode.OK && c != ExitCode.OTHER, r + " -> " + c);
        }
        assertEquals(ExitCode.HTTP, ExitCode.of(dev.haul.DownloadException.Reason.HTTP_STATUS));
        assertEquals(ExitCode.NETWORK, ExitCode.of(dev.haul.DownloadException.Reason.STALLED));
        assertEquals(ExitCode.INTEGRITY, ExitCode.of(dev.haul.DownloadException.Reason.INTEGRITY));
        assertEquals(ExitCode.LOCAL_IO, ExitCode.of(dev.haul.DownloadException.Reason.LOCAL_IO));
        assertEquals(ExitCode.SECURITY, ExitCode.of(dev.haul.DownloadException.Reason.TLS));
        assertEquals(ExitCode.NETWORK, ExitCode.of(dev.haul.DownloadException.Reason.PROXY));
    }
}
