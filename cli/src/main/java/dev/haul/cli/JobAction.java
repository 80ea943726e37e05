package dev.haul.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.daemon.DaemonClient;
import java.io.PrintWriter;
import java.util.List;

/** Runs one API action on each job id given, printing each job afterwards. */
final class JobAction {
    private JobAction() {
    }

    /**
     * Applies {@code method path} to every id; the first refusal is reported and the others
     * still run. Returns the exit status.
     */
    static int each(List<String> ids, String method, String suffix, PrintWriter out,
            PrintWriter err, DaemonCall.Where where) throws InterruptedException {
        long[] parsed = new long[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            try {
                parsed[i] = DaemonCall.id(ids.get(i));
            } catch (IllegalArgumentException e) {
                err.println("haul: " + e.getMessage());
                return DaemonCall.USAGE;
            }
        }
        DaemonClient client;
        try {
            client = where.client();
        } catch (DaemonClient.Failure f) {
            return DaemonCall.fail(err, f);
        }
        int status = DaemonCall.OK;
        for (long id : parsed) {
            try {
                JsonNode job = client.call(method, "/api/v1/jobs/" + id + suffix, null);
                out.println(DaemonCall.line(job));
            } catch (DaemonClient.Failure f) {
                int s = DaemonCall.fail(err, f);
                if (status == DaemonCall.OK) {
                    status = s;
                }
                if (s == DaemonCall.NOT_RUNNING) {
                    break;
                }
            }
        }
        out.flush();
        return status;
    }
}
