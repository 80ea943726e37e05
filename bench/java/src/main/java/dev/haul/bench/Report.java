package dev.haul.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads the RESULT lines of one bench run and prints one Markdown report: per case a table of
 * medians over the repetitions with their spread and CPU, then one table of the targets,
 * each with its ratio and a verdict. Lines look like
 * {@code RESULT case=1 scenario=h1-plain contender=okhttp mbps=1062.3 ok=1}.
 */
final class Report {

    /** The general-purpose clients kept as contenders; the in-JVM targets compare Haul with them. */
    static final List<String> GENERAL = List.of("netty", "apache-classic", "apache-async");

    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final List<String[]> targets = new ArrayList<>();

    private Report() {
    }

    static int run(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Bench report RESULTS_FILE");
            return Bench.EXIT_USAGE;
        }
        Report r = new Report();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            if (line.startsWith("RESULT ")) {
                r.add(line);
            }
        }
        System.out.print(r.render());
        return 0;
    }

    /** All runs of one contender in one scenario of one case. */
    static final class Group {
        final String kase;
        final String scenario;
        final String contender;
        final List<Map<String, String>> runs = new ArrayList<>();

        Group(String kase, String scenario, String contender) {
            this.kase = kase;
            this.scenario = scenario;
            this.contender = contender;
        }

        boolean unavailable() {
            return !runs.isEmpty() && runs.stream().allMatch(r -> "unavailable".equals(r.get("status")));
        }

        String reason() {
            return runs.isEmpty() ? "" : runs.get(0).getOrDefault("reason", "");
        }

        long okRuns() {
            return runs.stream().filter(r -> "1".equals(r.get("ok"))).count();
        }

        long failedRuns() {
            return runs.stream().filter(r -> "0".equals(r.get("ok"))).count();
        }

        List<Double> values(String field) {
            List<Double> v = new ArrayList<>();
            for (Map<String, String> r : runs) {
                if ("1".equals(r.get("ok")) && r.containsKey(field)) {
                    for (String s : r.get(field).split(",")) {
                        v.add(Double.parseDouble(s));
                    }
                }
            }
            Collections.sort(v);
            return v;
        }

        /** Median of a numeric field over the successful runs; NaN if none. */
        double median(String field) {
            return Bench.median(values(field));
        }

        double max(String field) {
            List<Double> v = values(field);
            return v.isEmpty() ? Double.NaN : v.get(v.size() - 1);
        }

        double min(String field) {
            List<Double> v = values(field);
            return v.isEmpty() ? Double.NaN : v.get(0);
        }

        /** "[q1–q3]" over every value of the field (comma-separated samples pooled), or min–max below 4 values. */
        String spread(String field, int decimals) {
            List<Double> v = values(field);
            if (v.isEmpty()) {
                return "";
            }
            if (v.size() < 4) {
                return "[" + fmt(v.get(0), decimals) + "–" + fmt(v.get(v.size() - 1), decimals) + "]";
            }
            return "[" + fmt(quantile(v, 0.25), decimals) + "–" + fmt(quantile(v, 0.75), decimals) + "]";
        }
    }

    static double quantile(List<Double> sorted, double q) {
        double pos = q * (sorted.size() - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted.get(lo) + (sorted.get(hi) - sorted.get(lo)) * (pos - lo);
    }

    void add(String line) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String tok : line.substring(7).trim().split("\\s+")) {
            int eq = tok.indexOf('=');
            if (eq > 0) {
                f.put(tok.substring(0, eq), tok.substring(eq + 1));
            }
        }
        String key = f.get("case") + "|" + f.get("scenario") + "|" + f.get("contender");
        groups.computeIfAbsent(key, k -> new Group(f.get("case"), f.get("scenario"), f.get("contender")))
                .runs.add(f);
    }

    Group group(String kase, String scenario, String contender) {
        Group g = groups.get(kase + "|" + scenario + "|" + contender);
        return g == null || g.unavailable() || g.okRuns() == 0 ? null : g;
    }

    List<Group> ofCase(String kase) {
        return groups.values().stream().filter(g -> kase.equals(g.kase)).toList();
    }

    String render() {
        StringBuilder out = new StringBuilder();
        case1(out);
        case6(out);
        wholeProcess(out, "2");
        wholeProcess(out, "3");
        case7(out);
        case4(out);
        case5(out);
        if (!targets.isEmpty()) {
            out.append("\n### Targets\n\n| target | measured | ratio | verdict |\n|---|---|---|---|\n");
            for (String[] t : targets) {
                out.append("| ").append(String.join(" | ", t)).append(" |\n");
            }
        }
        return out.toString();
    }

    static String fmt(double d, int decimals) {
        return Double.isNaN(d) || Double.isInfinite(d) ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", d);
    }

    private static String runs(Group g) {
        String s = g.okRuns() + "/" + g.runs.size();
        return g.failedRuns() > 0 ? s + " (FAILED " + g.failedRuns() + ")" : s;
    }

    /** Adds a target row; {@code pass} null means information, not a target. */
    private void target(String what, String measured, double ratio, Boolean pass) {
        String verdict = Double.isNaN(ratio) ? "not measured" : pass == null ? "info" : pass ? "met" : "**missed**";
        targets.add(new String[] {what, measured, fmt(ratio, 2), verdict});
    }

    private boolean unavailableRow(StringBuilder out, Group g, int columns) {
        if (!g.unavailable()) {
            return false;
        }
        out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | not available (")
                .append(g.reason()).append(")").append(" |".repeat(columns - 2)).append('\n');
        return true;
    }

    /** The best (highest or lowest) median of a field among contenders matching {@code which}. */
    private Group best(String kase, String scenario, String field, boolean highest, Predicate<String> which) {
        Group best = null;
        for (Group g : ofCase(kase)) {
            if (!g.scenario.equals(scenario) || !which.test(g.contender) || group(kase, scenario, g.contender) == null) {
                continue;
            }
            double v = g.median(field);
            if (best == null || (highest ? v > best.median(field) : v < best.median(field))) {
                best = g;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------ case 1

    private void case1(StringBuilder out) {
        List<Group> gs = ofCase("1");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 1: large file in one JVM, warm (MB/s = 10^6 B/s; median of the JVMs' medians;"
                + " [IQR] over every timed transfer; CPU = the process's, all threads)\n\n");
        out.append("| scenario | contender | runs | s per transfer | MB/s | [IQR] | CPU s/GiB |\n|---|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (unavailableRow(out, g, 7)) {
                continue;
            }
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("ms") / 1000, 3))
                    .append(" | ").append(fmt(g.median("mbps"), 0))
                    .append(" | ").append(g.spread("samples", 0))
                    .append(" | ").append(fmt(g.median("cpu_s_per_gib"), 2)).append(" |\n");
        }
        Predicate<String> other = c -> !c.startsWith("haul") && !c.equals("curl");
        for (String[] t : new String[][] {{"h1-plain", "haul-stream"}, {"h1-file", "haul-file-nofsync"},
                {"h1-file", "haul-file"}}) {
            Group haul = group("1", t[0], t[1]);
            Group best = best("1", t[0], "mbps", true, other);
            if (haul != null && best != null) {
                double r = haul.median("mbps") / best.median("mbps");
                target("1 GiB in one JVM, " + t[0] + ": " + t[1] + " ≥ 0.9 × the best contender's MB/s",
                        fmt(haul.median("mbps"), 0) + " vs " + best.contender + " " + fmt(best.median("mbps"), 0),
                        r, r >= 0.9);
            }
        }
        Group tls = group("1", "h1-tls", "haul-stream");
        Group curl = group("1", "h1-tls", "curl");
        if (tls != null && curl != null) {
            double r = tls.median("mbps") / curl.median("mbps");
            target("TLS HTTP/1.1, 1 GiB: haul-stream (in one JVM) ≥ 0.9 × curl's MB/s (curl -o /dev/null)",
                    fmt(tls.median("mbps"), 0) + " vs " + fmt(curl.median("mbps"), 0), r, r >= 0.9);
        }
        Group bestTls = best("1", "h1-tls", "mbps", true, other);
        if (tls != null && bestTls != null) {
            double r = tls.median("mbps") / bestTls.median("mbps");
            target("TLS HTTP/1.1, 1 GiB: haul-stream ÷ the best in-JVM contender's MB/s",
                    fmt(tls.median("mbps"), 0) + " vs " + bestTls.contender + " " + fmt(bestTls.median("mbps"), 0),
                    r, null);
        }
    }

    // ------------------------------------------------------------------ case 6

    private void case6(StringBuilder out) {
        List<Group> gs = ofCase("6");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 6: many small files in one JVM (s per round of all files; median of the JVMs;"
                + " steady = last 5 rounds, [IQR] over all of them; CPU = the process's per 1,000 files, steady)\n\n");
        out.append("| scenario | contender | runs | round 1 | rounds 2–4 | steady | [IQR] | CPU s/1,000 files | steady ÷ fastest general client |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (unavailableRow(out, g, 9)) {
                continue;
            }
            Group fastest = best("6", g.scenario, "steady_s", false, GENERAL::contains);
            double perK = g.median("steady_cpu_s") / (g.median("files") / 1000);
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("r1_s"), 3))
                    .append(" | ").append(fmt(g.median("early_s"), 3))
                    .append(" | ").append(fmt(g.median("steady_s"), 3))
                    .append(" | ").append(g.spread("steady_samples", 3))
                    .append(" | ").append(fmt(perK, 3))
                    .append(" | ").append(fastest == null ? "–" : fmt(g.median("steady_s") / fastest.median("steady_s"), 2))
                    .append(" |\n");
        }
        for (String[] t : new String[][] {{"h1-file", "haul"}, {"h1-file", "haul-nofsync"}, {"h1-count", "haul"}}) {
            Group haul = group("6", t[0], t[1]);
            Group fastest = best("6", t[0], "steady_s", false, GENERAL::contains);
            if (haul != null && fastest != null) {
                double r = haul.median("steady_s") / fastest.median("steady_s");
                target("small files in one JVM, " + t[0] + ", warm: " + t[1] + " ≤ 1.2 × the fastest of Netty/Apache",
                        fmt(haul.median("steady_s"), 3) + " s vs " + fastest.contender + " "
                                + fmt(fastest.median("steady_s"), 3) + " s", r, r <= 1.2);
            }
        }
        Group h2 = group("6", "tls-h2-file", "haul-jdk-h2-nofsync");
        for (String h1 : List.of("haul-nofsync", "haul-jdk-nofsync")) {
            Group g = group("6", "tls-h1-file", h1);
            if (h2 != null && g != null) {
                double r = h2.median("steady_s") / g.median("steady_s");
                target("HTTP/2 (JDK client, TLS) on small files, warm: haul-jdk-h2 ÷ " + h1 + " over TLS HTTP/1.1",
                        fmt(h2.median("steady_s"), 3) + " s vs " + fmt(g.median("steady_s"), 3) + " s; round 1 "
                                + fmt(h2.median("r1_s"), 2) + " vs " + fmt(g.median("r1_s"), 2) + " s", r, null);
            }
        }
    }

    // ------------------------------------------------------------------ cases 2, 3 and 7

    private void wholeProcess(StringBuilder out, String kase) {
        List<Group> gs = ofCase(kase);
        if (gs.isEmpty()) {
            return;
        }
        boolean small = kase.equals("3");
        out.append(small
                ? "\n### Case 3: many small files, whole process, to tmpfs (median [min–max]; CPU = user+sys)\n\n"
                : "\n### Case 2: large file, whole process, to a file on tmpfs (median [min–max]; CPU = user+sys)\n\n");
        out.append("| contender | runs | wall s | [min–max] | CPU s | ").append(small ? "CPU s/1,000 files" : "CPU s/GiB")
                .append(" | peak RSS MiB | ").append(small ? "TCP connections (max)" : "MB/s")
                .append(" | ÷ curl | ÷ aria2c |\n|---|---|---|---|---|---|---|---|---|---|\n");
        Group curl = group(kase, gs.get(0).scenario, "curl");
        Group aria = group(kase, gs.get(0).scenario, "aria2c");
        for (Group g : gs) {
            if (g.unavailable()) {
                out.append("| ").append(g.contender).append(" | not available (").append(g.reason()).append(") |")
                        .append(" |".repeat(8)).append('\n');
                continue;
            }
            double cpuPer = small ? g.median("cpu_s") / (fileCount(g) / 1000.0)
                    : g.median("cpu_s") / (g.median("bytes") / (1L << 30));
            out.append("| ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("wall_s"), 2))
                    .append(" | [").append(fmt(g.min("wall_s"), 2)).append("–").append(fmt(g.max("wall_s"), 2)).append("]")
                    .append(" | ").append(fmt(g.median("cpu_s"), 2))
                    .append(" | ").append(fmt(cpuPer, 2))
                    .append(" | ").append(fmt(g.median("rss_mib"), 0))
                    .append(" | ").append(small ? fmt(g.max("conns"), 0) : fmt(g.median("mbps"), 0))
                    .append(" | ").append(curl == null ? "–" : fmt(g.median("wall_s") / curl.median("wall_s"), 2))
                    .append(" | ").append(aria == null ? "–" : fmt(g.median("wall_s") / aria.median("wall_s"), 2))
                    .append(" |\n");
        }
        String scenario = gs.get(0).scenario;
        for (String name : List.of("haul", "haul-17", "haul-25-noaot", "haul-nofsync")) {
            Group haul = group(kase, scenario, name);
            if (haul == null) {
                continue;
            }
            boolean main = name.equals("haul");
            double h = haul.median("wall_s");
            if (!small && curl != null) {
                double r = h / curl.median("wall_s");
                target("1 GiB to a file, whole process, tmpfs: " + name + " ≤ 1.0 × curl",
                        fmt(h, 2) + " s vs " + fmt(curl.median("wall_s"), 2) + " s", r, main || name.equals("haul-17") ? r <= 1.0 : null);
            }
            if (small && aria != null) {
                double r = h / aria.median("wall_s");
                target("2,000 × 16 KiB -j 8, whole process, tmpfs: " + name + " ≤ 1.0 × aria2c",
                        fmt(h, 2) + " s vs " + fmt(aria.median("wall_s"), 2) + " s", r, main || name.equals("haul-17") ? r <= 1.0 : null);
            }
            if (small && curl != null) {
                double r = h / curl.median("wall_s");
                target("2,000 × 16 KiB -j 8, whole process, tmpfs: " + name + " ≤ 2.5 × curl",
                        fmt(h, 2) + " s vs " + fmt(curl.median("wall_s"), 2) + " s", r, main || name.equals("haul-17") ? r <= 2.5 : null);
            }
            if (small && main) {
                double c = haul.max("conns");
                double j = haul.median("parallel");
                target("2,000 files: haul's TCP connections ≤ -j", fmt(c, 0) + " for -j " + fmt(j, 0), c / j, c <= j);
            }
        }
    }

    private static double fileCount(Group g) {
        String s = g.scenario;   // "2000x16KiB"
        int x = s.indexOf('x');
        try {
            return Double.parseDouble(s.substring(0, x));
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private void case7(StringBuilder out) {
        List<Group> gs = ofCase("7");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 7: cold start, `haul --version` through the launcher (median [min–max])\n\n");
        out.append("| contender | runs | wall s | [min–max] | CPU s | peak RSS MiB |\n|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (g.unavailable()) {
                out.append("| ").append(g.contender).append(" | not available (").append(g.reason()).append(") | | | | |\n");
                continue;
            }
            out.append("| ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("wall_s"), 3))
                    .append(" | [").append(fmt(g.min("wall_s"), 2)).append("–").append(fmt(g.max("wall_s"), 2)).append("]")
                    .append(" | ").append(fmt(g.median("cpu_s"), 2))
                    .append(" | ").append(fmt(g.median("rss_mib"), 0)).append(" |\n");
        }
        Group aot = group("7", "version", "haul-25");
        Group noaot = group("7", "version", "haul-25-noaot");
        Group cds = group("7", "version", "haul-17");
        if (aot != null && noaot != null) {
            double r = aot.median("wall_s") / noaot.median("wall_s");
            target("start-up on JDK 25: with the AOT cache ÷ without", fmt(aot.median("wall_s"), 3) + " s vs "
                    + fmt(noaot.median("wall_s"), 3) + " s", r, null);
        }
        if (aot != null && cds != null) {
            double r = aot.median("wall_s") / cds.median("wall_s");
            target("start-up: JDK 25 + AOT cache ÷ JDK 17 + CDS archive", fmt(aot.median("wall_s"), 3) + " s vs "
                    + fmt(cds.median("wall_s"), 3) + " s", r, null);
        }
    }

    // ------------------------------------------------------------------ case 4

    private void case4(StringBuilder out) {
        List<Group> gs = ofCase("4");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 4: concurrent trickling downloads through one client (median; peak = max)\n\n");
        out.append("| JDK | contender | runs | intact | in flight at sample |"
                + " platform threads: JVM / idle client / in flight / peak | threads per download |"
                + " heap KiB per download | RSS KiB per download | wall s |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (unavailableRow(out, g, 10)) {
                continue;
            }
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("intact"), 0)).append(" / ").append(fmt(g.median("n"), 0))
                    .append(" | ").append(fmt(g.median("inflight"), 0))
                    .append(" | ").append(fmt(g.median("threads_jvm"), 0)).append(" / ")
                    .append(fmt(g.median("threads_idle"), 0)).append(" / ")
                    .append(fmt(g.median("threads_inflight"), 0)).append(" / ").append(fmt(g.max("threads_peak"), 0))
                    .append(" | ").append(fmt(g.median("threads_per_dl"), 2))
                    .append(" | ").append(fmt(g.median("heap_per_dl_kib"), 1))
                    .append(" | ").append(fmt(g.median("rss_per_dl_kib"), 1))
                    .append(" | ").append(fmt(g.median("wall_s"), 1)).append(" |\n");
            if (g.failedRuns() > 0) {
                out.append("| | failure: ").append(g.runs.stream().filter(r -> "0".equals(r.get("ok")))
                        .map(r -> r.getOrDefault("reason", "?") + " intact=" + r.get("intact")).toList())
                        .append(" |".repeat(9)).append('\n');
            }
        }
        for (Group g : gs) {
            if (!"haul".equals(g.contender) || group("4", g.scenario, "haul") == null) {
                continue;
            }
            double intact = g.median("intact");
            target("case 4 on " + g.scenario + ": every download intact (SHA-256 checked)",
                    fmt(intact, 0) + " of " + fmt(g.median("n"), 0), intact / g.median("n"),
                    g.failedRuns() == 0 && intact == g.median("n"));
            double t = g.max("threads_peak");
            boolean virtual = !g.scenario.equals("jdk17");
            target("case 4 on " + g.scenario + ": live platform threads"
                            + (virtual ? " ≤ 64 (virtual transfer threads)" : " (one per transferring download on 17: stated, not a target)"),
                    fmt(t, 0) + " peak; " + fmt(g.median("threads_per_dl"), 2) + " per download; "
                            + fmt(g.median("heap_per_dl_kib"), 1) + " KiB heap, " + fmt(g.median("rss_per_dl_kib"), 1)
                            + " KiB RSS per download", t / 64, virtual ? t <= 64 : null);
        }
    }

    // ------------------------------------------------------------------ case 5

    private static final String[][] OVERHEADS = {
        {"chunk callback (stream vs memory)", "haul-stream", "haul-memory"},
        {"progress callback", "haul-progress", "haul-memory"},
        {"progress callback on the stream path", "haul-stream-progress", "haul-stream"},
        {"SHA-256 verification", "haul-sha256", "haul-memory"},
        {"SHA-256 verification on the stream path", "haul-stream-sha256", "haul-stream"},
        {"atomic .part + rename, no fsync, vs plain write", "haul-file-nofsync", "haul-stream-file"},
        {"atomic .part + force + rename vs plain write", "haul-file", "haul-stream-file"},
        {"atomic .part + force + rename vs plain write + fsync", "haul-file", "haul-stream-file-fsync"},
    };

    private void case5(StringBuilder out) {
        List<Group> gs = ofCase("5");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 5: overheads in process (median time per transfer; ratio = variant ÷ plain path)\n\n");
        out.append("| scenario | variant | runs | ms | MB/s | CPU s/GiB |\n|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (unavailableRow(out, g, 6)) {
                continue;
            }
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("ms"), 1)).append(" | ").append(fmt(g.median("mbps"), 0))
                    .append(" | ").append(fmt(g.median("cpu_s_per_gib"), 2)).append(" |\n");
        }
        out.append("\n| overhead | variant ÷ plain | ratio |\n|---|---|---|\n");
        for (String scenario : gs.stream().map(g -> g.scenario).distinct().toList()) {
            for (String[] o : OVERHEADS) {
                Group v = group("5", scenario, o[1]);
                Group base = group("5", scenario, o[2]);
                if (v == null || base == null) {
                    continue;
                }
                double r = v.median("ms") / base.median("ms");
                out.append("| ").append(o[0]).append(" | ").append(o[1]).append(" ÷ ").append(o[2]).append(" | ")
                        .append(fmt(r, 3)).append(" |\n");
            }
        }
    }
}
