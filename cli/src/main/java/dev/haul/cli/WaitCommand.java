package dev.haul.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.daemon.DaemonClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code haul wait [ID...]}: until the jobs finish. */
@Command(name = "wait", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Waits until the jobs are completed, failed or removed, printing each as "
                + "it ends. Without ids: every job queued or active now (a paused job would "
                + "wait until someone resumes it, so it is waited for only by id)."},
        footer = {
            "%nExit codes:",
            "  0   every job completed",
            "  1   a job failed or was removed, or the daemon refused (no such job)",
            "  2   bad flags or arguments",
            "  9   no daemon is running (start one: haul daemon start)",
            "  124 --timeout passed first"})
final class WaitCommand implements Callable<Integer> {
    /** One wait request lasts at most this long; then the client asks again. */
    static final long POLL_SECONDS = 60;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "ID", arity = "0..*", description = "Job ids (default: every "
            + "queued or active job).")
    List<String> ids = new ArrayList<>();
    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Give up after this long (default: wait as long as it takes).")
    long timeoutSeconds;
    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = DaemonCall.out(spec);
        PrintWriter err = DaemonCall.err(spec);
        if (timeoutSeconds < 0) {
            err.println("haul: --timeout must be at least 0");
            return DaemonCall.USAGE;
        }
        List<Long> list = new ArrayList<>();
        for (String id : ids) {
            try {
                list.add(DaemonCall.id(id));
            } catch (IllegalArgumentException e) {
                err.println("haul: " + e.getMessage());
                return DaemonCall.USAGE;
            }
        }
        try {
            DaemonClient client = where.client();
            if (list.isEmpty()) {
                for (long at = 0; ; at += LsCommand.PAGE) {
                    JsonNode page = client.call("GET", "/api/v1/jobs?state=queued,active&offset="
                            + at + "&limit=" + LsCommand.PAGE, null);
                    page.path("jobs").forEach(j -> list.add(j.path("id").asLong()));
                    if (page.path("jobs").size() < LsCommand.PAGE) {
                        break;
                    }
                }
                if (list.isEmpty()) {
                    out.println("nothing to wait for: no job is queued or active");
                    out.flush();
                    return DaemonCall.OK;
                }
            }
            return waitFor(client, list, timeoutSeconds, out, err);
        } catch (DaemonClient.Failure f) {
            return DaemonCall.fail(err, f);
        }
    }

    /** Waits for each job in turn; {@code timeoutSeconds} 0 means no limit. */
    static int waitFor(DaemonClient client, List<Long> ids, long timeoutSeconds, PrintWriter out,
            PrintWriter err) throws DaemonClient.Failure, InterruptedException {
        long deadline = timeoutSeconds == 0 ? Long.MAX_VALUE
                : System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        int status = DaemonCall.OK;
        for (long id : ids) {
            while (true) {
                long left = deadline == Long.MAX_VALUE ? POLL_SECONDS
                        : Math.max(0, (deadline - System.nanoTime()) / 1_000_000_000L);
                long seconds = Math.min(POLL_SECONDS, left);
                JsonNode job = client.call("GET", "/api/v1/jobs/" + id + "/wait?timeout="
                        + seconds, null, Duration.ofSeconds(seconds + 30));
                String state = job.path("state").asText();
                if (state.equals("completed") || state.equals("failed")
                        || state.equals("removed")) {
                    out.println(DaemonCall.line(job));
                    out.flush();
                    if (!state.equals("completed")) {
                        status = DaemonCall.REFUSED;
                    }
                    break;
                }
                if (System.nanoTime() >= deadline) {
                    err.println("haul: timed out: job " + id + " is " + state);
                    err.flush();
                    return DaemonCall.TIMED_OUT;
                }
            }
        }
        return status;
    }
}
