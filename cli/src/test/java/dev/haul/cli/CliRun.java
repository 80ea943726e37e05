package dev.haul.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** One run of the CLI through {@link Main#fromArgs}: exit code, stdout bytes, stderr lines. */
record CliRun(int code, byte[] stdout, String stderr) {

    static CliRun of(String... args) {
        return withStdin(new byte[0], args);
    }

    static CliRun withStdin(byte[] stdin, String... args) {
        return run(Map.of(), stdin, args);
    }

    /** A run in this environment (the tests' own process environment never leaks in). */
    static CliRun withEnv(Map<String, String> env, String... args) {
        return run(env, new byte[0], args);
    }

    private static CliRun run(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.fromArgs(args, env, new ByteArrayInputStream(stdin), out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    List<String> stderrLines() {
        return Arrays.stream(stderr.split("\n")).filter(l -> !l.isBlank()).toList();
    }

    /** The lines that report errors. */
    List<String> errors() {
        return stderrLines().stream().filter(l -> l.startsWith("haul: error:")).toList();
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stderr:\n" + stderr;
    }
}
