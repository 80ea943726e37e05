package dev.haul.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.daemon.DaemonClient;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code haul stats}. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "The daemon's queue at a glance: jobs per state, total speed, and its "
                + "options (downloads at once, global speed limit).",
        footer = {
            "%nExit codes:",
            "  0   done",
            "  9   no daemon is running (start one: haul daemon start)"})
final class StatsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "--json", description = "The API's JSON.")
    boolean json;
    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        var out = DaemonCall.out(spec);
        try {
            DaemonClient client = where.client();
            JsonNode s = client.call("GET", "/api/v1/stats", null);
            if (json) {
                out.println(s.toString());
            } else {
                JsonNode jobs = s.path("jobs");
                out.println("daemon:    " + client.base());
                out.println("jobs:      " + jobs.path("queued").asLong() + " queued, "
                        + jobs.path("active").asLong() + " active, "
                        + jobs.path("paused").asLong() + " paused, "
                        + jobs.path("completed").asLong() + " completed, "
                        + jobs.path("failed").asLong() + " failed, "
                        + jobs.path("removed").asLong() + " removed");
                out.println("speed:     " + Units.rate(s.path("bytesPerSecond").asDouble()));
                long limit = s.path("maxBytesPerSecond").asLong();
                out.println("limit:     " + (limit == 0 ? "none" : Units.rate((double) limit)));
                out.println("at once:   " + s.path("maxConcurrentDownloads").asInt());
            }
            out.flush();
            return DaemonCall.OK;
        } catch (DaemonClient.Failure f) {
            return DaemonCall.fail(DaemonCall.err(spec), f);
        }
    }
}
