package dev.haul.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code haul pause ID...}. */
@Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Pauses jobs: a running download stops and keeps its .part file; "
                + "'haul resume' continues it. Pausing a paused job changes nothing.",
        footer = {
            "%nExit codes:",
            "  0   done",
            "  1   the daemon refused (no such job, or it has finished)",
            "  2   bad arguments",
            "  9   no daemon is running (start one: haul daemon start)"})
final class PauseCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "ID", arity = "1..*", description = "Job ids (see 'haul ls').")
    List<String> ids;
    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        return JobAction.each(ids, "POST", "/pause", DaemonCall.out(spec), DaemonCall.err(spec),
                where);
    }
}
