package dev.haul.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.daemon.DaemonClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code haul ls}: the daemon's queue, in queue order. */
@Command(name = "ls", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists the daemon's jobs in queue order: id, state, progress, speed, file, "
                + "and why a failed one failed. Removed jobs only with --state removed.",
        footer = {
            "%nExit codes:",
            "  0   done",
            "  2   bad flags or arguments",
            "  9   no daemon is running (start one: haul daemon start)"})
final class LsCommand implements Callable<Integer> {
    /** Jobs per request when listing everything. */
    static final int PAGE = 1000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-s", "--state"}, paramLabel = "STATE", split = ",",
            description = "Only these states: queued, active, paused, completed, failed, "
                    + "removed (comma-separated or repeated).")
    List<String> states;

    @Option(names = "--limit", paramLabel = "N",
            description = "At most N jobs (default: all).")
    long limit = Long.MAX_VALUE;

    @Option(names = "--offset", paramLabel = "N", description = "Skip the first N jobs.")
    long offset;

    @Option(names = "--json", description = "The API's JSON, one job object per line.")
    boolean json;

    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        var out = DaemonCall.out(spec);
        var err = DaemonCall.err(spec);
        if (limit < 1 || offset < 0) {
            err.println("haul: --limit must be at least 1 and --offset at least 0");
            return DaemonCall.USAGE;
        }
        try {
            DaemonClient client = where.client();
            String filter = states == null ? "" : "&state=" + URLEncoder.encode(
                    String.join(",", states), StandardCharsets.UTF_8);
            long shown = 0;
            long at = offset;
            long total = -1;
            if (!json) {
                out.println(DaemonCall.HEADER);
            }
            while (shown < limit) {
                int page = (int) Math.min(PAGE, limit - shown);
                JsonNode answer = client.call("GET", "/api/v1/jobs?offset=" + at + "&limit="
                        + page + filter, null);
                total = answer.path("total").asLong();
                JsonNode jobs = answer.path("jobs");
                for (JsonNode j : jobs) {
                    out.println(json ? j.toString() : DaemonCall.line(j));
                }
                shown += jobs.size();
                at += jobs.size();
                if (jobs.size() < page || at >= total) {
                    break;
                }
            }
            if (!json && shown < total) {
                out.println("(" + shown + " of " + total + " shown)");
            }
            out.flush();
            return DaemonCall.OK;
        } catch (DaemonClient.Failure f) {
            return DaemonCall.fail(err, f);
        }
    }
}
