package dev.haul.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code haul resume ID...}. */
@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Queues paused jobs again, or retries failed ones, continuing from their "
                + ".part files when the server still has the same file.",
        footer = {
            "%nExit codes:",
            "  0   done",
            "  1   the daemon refused (no such job, or it is completed or removed)",
            "  2   bad arguments",
            "  9   no daemon is running (start one: haul daemon start)"})
final class ResumeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "ID", arity = "1..*", description = "Job ids (see 'haul ls').")
    List<String> ids;
    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        return JobAction.each(ids, "POST", "/resume", DaemonCall.out(spec),
                DaemonCall.err(spec), where);
    }
}
