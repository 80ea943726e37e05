package dev.haul.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code haul rm ID...}. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Removes jobs from the queue, stopping them if they run. Their .part files "
                + "stay (adding the same URL and name later continues them) unless "
                + "--delete-partial. A completed file is never deleted.",
        footer = {
            "%nExit codes:",
            "  0   done",
            "  1   the daemon refused (no such job)",
            "  2   bad arguments",
            "  9   no daemon is running (start one: haul daemon start)"})
final class RmCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "ID", arity = "1..*", description = "Job ids (see 'haul ls').")
    List<String> ids;
    @Option(names = "--delete-partial", description = "Also delete the jobs' .part files.")
    boolean deletePartial;
    @CommandLine.Mixin
    DaemonCall.Where where = new DaemonCall.Where();

    @Override
    public Integer call() throws Exception {
        return JobAction.each(ids, "DELETE", "?partial=" + (deletePartial ? "delete" : "keep"),
                DaemonCall.out(spec), DaemonCall.err(spec), where);
    }
}
