package dev.haul.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** One run of the CLI through {@link Main#fromArgs}: exit code, stdout bytes, stderr lines. */
record CliRun(int code, byte[] stdout, String stderr) {

    static CliRun of(String... args) {
        return withStdin(new byte[0], args);
    }

    static CliRun withStdin(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.fromArgs(args, new ByteArrayInputStream(stdin), out,
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
