package dev.haul.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.haul.daemon.DaemonClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code haul add URL...}: queues downloads in the running daemon, all or none. */
@Command(name = "add", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Queues downloads in the running daemon (all of them, or none if one is "
                + "invalid) and prints each job. The daemon downloads them; 'haul ls' and "
                + "'haul wait' follow them, and they survive restarts."},
        footer = {
            "%nExit codes:",
            "  0   done",
            "  1   the daemon refused (a name taken), or with --wait a job failed",
            "  2   bad flags or arguments, or a request the daemon found invalid",
            "  9   no daemon is running (start one: haul daemon start)"})
final class AddCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "URL", arity = "1..*", description = "http or https URLs.")
    List<String> urls = new ArrayList<>();

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR",
            description = "Save into DIR (relative to the current directory; created when the "
                    + "job starts). Default: the daemon's download directory.")
    Path dir;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME",
            description = "The file name (one URL only). Default: from the URL, with .1, .2, ... "
                    + "when taken.")
    String name;

    @Option(names = {"-H", "--header"}, paramLabel = "'Name: value'",
            description = "A request header; repeatable. Authorization and Cookie are held in "
                    + "the daemon's memory only, unless --keep-credentials.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--sha256", paramLabel = "HEX",
            description = "Fail the job unless the body has this SHA-256 (one URL only).")
    String sha256;

    @Option(names = "--max-speed", paramLabel = "BYTES",
            description = "This job's speed limit in bytes per second (default: none).")
    long maxSpeed;

    @Option(names = {"-x", "--connections"}, paramLabel = "N",
            description = "Connections for each file, 1 to 16 (default: the daemon's).")
    int connections;

    @Option(names = "--paused", description = "Add the jobs paused ('haul resume' starts them).")
    boolean paused;

    @Option(names = "--keep-credentials",
            description = "Let the daemon keep Authorization, Cookie and URL user information "
                    + "on disk (owner-only) so the job survives a restart.")
    boolean keepCredentials;

    @Option(names = "--key", paramLabel = "KEY",
            description = "An idempotency key (one URL only): adding again with the same key "
                    + "returns the existing job.")
    String key;

    @Option(names = {"-w", "--wait"}, description = "Then wait for the jobs, as 'haul wait'.")
    boolean await;

    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        var err = DaemonCall.err(spec);
        var out = DaemonCall.out(spec);
        if (urls.size() > 1 && (name != null || sha256 != null || key != null)) {
            err.println("haul: --name, --sha256 and --key take one URL (see 'haul add --help')");
            return DaemonCall.USAGE;
        }
        ObjectNode headerObject = DaemonCall.JSON.createObjectNode();
        for (String h : headers) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                err.println("haul: a header is 'Name: value', not '" + h + "'");
                return DaemonCall.USAGE;
            }
            headerObject.put(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        ObjectNode body = DaemonCall.JSON.createObjectNode();
        ArrayNode jobs = body.putArray("jobs");
        for (String url : urls) {
            ObjectNode j = jobs.addObject();
            j.put("url", url);
            if (dir != null) {
                j.put("dir", dir.toAbsolutePath().normalize().toString());
            }
            if (name != null) {
                j.put("name", name);
            }
            if (!headers.isEmpty()) {
                j.set("headers", headerObject);
            }
            if (sha256 != null) {
                j.put("sha256", sha256);
            }
            if (maxSpeed != 0) {
                j.put("maxBytesPerSecond", maxSpeed);
            }
            if (connections != 0) {
                j.put("connections", connections);
            }
            if (paused) {
                j.put("paused", true);
            }
            if (keepCredentials) {
                j.put("keepCredentials", true);
            }
            if (key != null) {
                j.put("key", key);
            }
        }
        List<Long> ids = new ArrayList<>();
        try {
            DaemonClient client = where.client();
            JsonNode added = client.call("POST", "/api/v1/jobs/batch", body);
            for (JsonNode j : added.path("jobs")) {
                ids.add(j.path("id").asLong());
                out.println("added " + j.path("id").asLong() + " " + j.path("state").asText()
                        + " " + j.path("url").asText() + " -> " + j.path("file").asText());
            }
            out.flush();
            if (!await) {
                return DaemonCall.OK;
            }
            return WaitCommand.waitFor(client, ids, 0, out, err);
        } catch (DaemonClient.Failure f) {
            return DaemonCall.fail(err, f);
        }
    }
}
