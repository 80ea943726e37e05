package dev.haul.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.haul.daemon.DaemonClient;
import dev.haul.queue.SqliteJobStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What the client commands (add, ls, pause, resume, rm, wait, stats) share: finding the running
 * daemon through its data directory, turning its errors into one line and an exit status, and
 * printing jobs. The commands talk to the daemon's HTTP API only (docs/api.md).
 */
final class DaemonCall {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Exit statuses of the client commands (also in their --help). */
    static final int OK = 0;
    /** The daemon refused (no such job, a state that does not allow it), or a job failed. */
    static final int REFUSED = 1;
    /** Bad flags or arguments, or a request the daemon found invalid. */
    static final int USAGE = 2;
    /** No daemon runs for the data directory. */
    static final int NOT_RUNNING = 9;
    /** {@code haul wait --timeout} passed first. */
    static final int TIMED_OUT = 124;


    private DaemonCall() {
    }

    /** The {@code --data-dir} option of every client command. */
    static final class Where {
        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "The daemon's data directory, where it writes its address and "
                        + "token (default: $XDG_DATA_HOME/haul, else ~/.local/share/haul).")
        Path dataDir;

        DaemonClient client() throws DaemonClient.Failure {
            return DaemonClient.find(dataDir != null ? dataDir
                    : SqliteJobStore.defaultDirectory());
        }
    }

    /** Prints a failure on one line and returns its exit status. */
    static int fail(PrintWriter err, DaemonClient.Failure f) {
        err.println("haul: " + ProgressRenderer.oneLine(f.getMessage()));
        err.flush();
        return switch (f.code()) {
            case "not_running" -> NOT_RUNNING;
            case "invalid_value", "unknown_field", "invalid_id", "bad_json" -> USAGE;
            default -> REFUSED;
        };
    }

    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    static PrintWriter err(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getErr();
    }

    /** A job on one line: id, state, progress, speed, file, and why it failed. */
    static String line(JsonNode j) {
        long done = j.path("bytesDone").asLong();
        long total = j.path("totalBytes").asLong();
        String progress = total > 0
                ? String.format(Locale.ROOT, "%5.1f%% %s/%s", 100.0 * done / total,
                        Units.bytes(done), Units.bytes(total))
                : Units.bytes(done);
        String state = j.path("state").asText();
        String speed = state.equals("active") ? Units.rate(j.path("bytesPerSecond").asDouble())
                : "";
        String line = String.format(Locale.ROOT, "%6d  %-9s  %-26s  %-11s  %s",
                j.path("id").asLong(), state, progress, speed, j.path("file").asText());
        JsonNode failure = j.path("failure");
        if (failure.isObject()) {
            line += "  (" + failure.path("code").asText() + ": "
                    + ProgressRenderer.oneLine(failure.path("message").asText()) + ")";
        }
        return line;
    }

    static final String HEADER = String.format(Locale.ROOT, "%6s  %-9s  %-26s  %-11s  %s",
            "ID", "STATE", "PROGRESS", "SPEED", "FILE");

    /** Parses a job id argument, or fails as usage. */
    static long id(String text) {
        try {
            long id = Long.parseLong(text);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("not a job id: '" + text + "'");
    }
}
