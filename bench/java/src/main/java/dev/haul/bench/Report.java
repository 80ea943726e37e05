package dev.haul.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the RESULT lines of one bench run and prints one Markdown report: per case a table of
 * medians over the repetitions, the ratios the targets are stated in, and a verdict per
 * target. Lines look like {@code RESULT case=1 scenario=h1-plain contender=okhttp mbps=1062.3 ok=1}.
 */
final class Report {

    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final List<String> verdicts = new ArrayList<>();

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

        /** Median of a numeric field over the successful runs; NaN if none. */
        double median(String field) {
            List<Double> v = new ArrayList<>();
            for (Map<String, String> r : runs) {
                if ("1".equals(r.get("ok")) && r.containsKey(field)) {
                    v.add(Double.parseDouble(r.get(field)));
                }
            }
            return Bench.median(v);
        }

        double max(String field) {
            double m = Double.NaN;
            for (Map<String, String> r : runs) {
                if ("1".equals(r.get("ok")) && r.containsKey(field)) {
                    double d = Double.parseDouble(r.get(field));
                    m = Double.isNaN(m) ? d : Math.max(m, d);
                }
            }
            return m;
        }
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
        return groups.get(kase + "|" + scenario + "|" + contender);
    }

    List<Group> ofCase(String kase) {
        return groups.values().stream().filter(g -> kase.equals(g.kase)).toList();
    }

    String render() {
        StringBuilder out = new StringBuilder();
        case1(out);
        case2(out);
        case3(out);
        case4(out);
        case5(out);
        if (!verdicts.isEmpty()) {
            out.append("\n### Targets\n\n");
            for (String v : verdicts) {
                out.append("- ").append(v).append('\n');
            }
        }
        return out.toString();
    }

    private static String fmt(double d, int decimals) {
        return Double.isNaN(d) ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", d);
    }

    private static String runs(Group g) {
        String s = g.okRuns() + "/" + g.runs.size();
        return g.failedRuns() > 0 ? s + " (FAILED " + g.failedRuns() + ")" : s;
    }

    private void verdict(String target, double value, boolean pass, String shown) {
        if (Double.isNaN(value)) {
            verdicts.add("n/a  " + target + ": not measured");
        } else {
            verdicts.add((pass ? "MET  " : "MISSED ") + target + ": " + shown);
        }
    }

    // ------------------------------------------------------------------ case 1

    private void case1(StringBuilder out) {
        List<Group> gs = ofCase("1");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 1: large file in process (MB/s = 10^6 B/s, median; ratio = haul-stream / contender)\n\n");
        out.append("| scenario | contender | runs | MB/s | haul-stream ÷ it |\n|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (g.unavailable()) {
                out.append("| ").append(g.scenario).append(" | ").append(g.contender)
                        .append(" | not available (").append(g.reason()).append(") | | |\n");
                continue;
            }
            Group haul = group("1", g.scenario, "haul-stream");
            double ratio = haul == null ? Double.NaN : haul.median("mbps") / g.median("mbps");
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("mbps"), 0)).append(" | ").append(fmt(ratio, 3)).append(" |\n");
        }
        for (String scenario : gs.stream().map(g -> g.scenario).distinct().toList()) {
            Group haul = group("1", scenario, "haul-stream");
            double h = haul == null ? Double.NaN : haul.median("mbps");
            Group bytes = group("1", scenario, "jdk-bytes");
            Group ok = group("1", scenario, "okhttp");
            if (bytes != null) {
                double r = h / bytes.median("mbps");
                verdict("case 1 " + scenario + ": haul-stream within 5 % of jdk-bytes (byte[] chunks)", r, r >= 0.95,
                        "ratio " + fmt(r, 3));
            }
            if (ok != null) {
                double r = h / ok.median("mbps");
                verdict("case 1 " + scenario + ": haul-stream at least as fast as OkHttp", r, r >= 1.0,
                        "ratio " + fmt(r, 3));
            }
        }
    }

    // ------------------------------------------------------------------ cases 2 and 3

    private void wholeProcess(StringBuilder out, String kase, boolean connections) {
        List<Group> gs = ofCase(kase);
        if (gs.isEmpty()) {
            return;
        }
        out.append(kase.equals("2")
                ? "\n### Case 2: large file, whole process, to a file (median; ratio = wall ÷ curl's wall)\n\n"
                : "\n### Case 3: many small files, whole process (median; ratio = wall ÷ curl's wall)\n\n");
        out.append("| scenario | contender | runs | wall s | CPU s (user+sys) | peak RSS MiB |")
                .append(connections ? " TCP connections (median / max) |" : " MB/s |")
                .append(" wall ÷ curl |\n|---|---|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (g.unavailable()) {
                out.append("| ").append(g.scenario).append(" | ").append(g.contender)
                        .append(" | not available (").append(g.reason()).append(") | | | | | |\n");
                continue;
            }
            Group curl = group(kase, g.scenario, "curl");
            double ratio = curl == null ? Double.NaN : g.median("wall_s") / curl.median("wall_s");
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("wall_s"), 2))
                    .append(" | ").append(fmt(g.median("cpu_s"), 2))
                    .append(" | ").append(fmt(g.median("rss_mib"), 0))
                    .append(" | ").append(connections
                            ? fmt(g.median("conns"), 0) + " / " + fmt(g.max("conns"), 0)
                            : fmt(g.median("mbps"), 0))
                    .append(" | ").append(fmt(ratio, 2)).append(" |\n");
        }
        for (String scenario : gs.stream().map(g -> g.scenario).distinct().toList()) {
          for (String name : List.of("haul", "haul-nofsync")) {
            Group haul = group(kase, scenario, name);
            if (haul == null) {
                continue;
            }
            double h = haul.unavailable() ? Double.NaN : haul.median("wall_s");
            Group curl = group(kase, scenario, "curl");
            Group aria = group(kase, scenario, "aria2c");
            double limit = kase.equals("2") ? 1.1 : 1.5;
            if (curl != null) {
                double r = h / curl.median("wall_s");
                verdict("case " + kase + ": " + name + " wall ≤ " + limit + " × curl", r, r <= limit, "ratio " + fmt(r, 2));
            }
            if (aria != null) {
                double r = h / aria.median("wall_s");
                verdict("case " + kase + ": " + name + " faster than aria2c", r, r < 1.0, "ratio " + fmt(r, 2));
            }
            Group raw = group(kase, scenario, "jdk-raw");
            if (raw != null && !raw.unavailable() && curl != null) {
                // Not a target: what the JVM and the JDK client cost before Haul does any work.
                verdicts.add("info " + "case " + kase + ": " + name + " ÷ jdk-raw (the bare JDK client, same JVM flags) "
                        + fmt(h / raw.median("wall_s"), 2) + "; jdk-raw ÷ curl "
                        + fmt(raw.median("wall_s") / curl.median("wall_s"), 2));
            }
            if (connections && !haul.unavailable()) {
                double c = haul.max("conns");
                double j = haul.median("parallel");
                verdict("case 3: " + name + "'s TCP connections bounded by the parallelism", c, c <= j,
                        fmt(c, 0) + " connections for -j " + fmt(j, 0));
            }
          }
        }
    }

    private void case2(StringBuilder out) {
        wholeProcess(out, "2", false);
    }

    private void case3(StringBuilder out) {
        wholeProcess(out, "3", true);
    }

    // ------------------------------------------------------------------ case 4

    private void case4(StringBuilder out) {
        List<Group> gs = ofCase("4");
        if (gs.isEmpty()) {
            return;
        }
        out.append("\n### Case 4: concurrent trickling downloads through one client (median)\n\n");
        out.append("| scenario | contender | runs | downloads | intact | in flight at sample |"
                + " threads: JVM / idle client / peak | heap in flight − idle, KiB per download | wall s |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (g.unavailable()) {
                out.append("| ").append(g.scenario).append(" | ").append(g.contender)
                        .append(" | not available (").append(g.reason()).append(") | | | | | | |\n");
                continue;
            }
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("n"), 0))
                    .append(" | ").append(fmt(g.median("intact"), 0))
                    .append(" | ").append(fmt(g.median("inflight"), 0))
                    .append(" | ").append(fmt(g.median("threads_jvm"), 0)).append(" / ")
                    .append(fmt(g.median("threads_idle"), 0)).append(" / ").append(fmt(g.max("threads_peak"), 0))
                    .append(" | ").append(fmt(g.median("heap_per_dl_kib"), 1))
                    .append(" | ").append(fmt(g.median("wall_s"), 1)).append(" |\n");
            if (g.failedRuns() > 0) {
                out.append("| | failure: ").append(g.runs.stream().filter(r -> "0".equals(r.get("ok")))
                        .map(r -> r.getOrDefault("reason", "?") + " intact=" + r.get("intact")).toList())
                        .append(" | | | | | | | |\n");
            }
        }
        for (Group g : gs) {
            if ("haul".equals(g.contender) && !g.unavailable()) {
                double t = g.max("threads_peak");
                verdict("case 4 " + g.scenario + ": at most 64 live threads", t, t <= 64, fmt(t, 0) + " peak");
                double intact = g.median("intact");
                verdict("case 4 " + g.scenario + ": all downloads complete intact", intact,
                        g.failedRuns() == 0 && intact == g.median("n"), fmt(intact, 0) + " of " + fmt(g.median("n"), 0));
                double kib = g.median("heap_per_dl_kib");
                if (!g.scenario.startsWith("default")) {
                    continue;   // the 256 KiB-buffer run shows what that flag costs; the target is for defaults
                }
                verdict("case 4 " + g.scenario + ": heap per in-flight download (aim: tens of KiB)", kib,
                        kib < 100, fmt(kib, 1) + " KiB");
            }
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
        out.append("| scenario | variant | runs | ms | MB/s |\n|---|---|---|---|---|\n");
        for (Group g : gs) {
            if (g.unavailable()) {
                out.append("| ").append(g.scenario).append(" | ").append(g.contender)
                        .append(" | not available (").append(g.reason()).append(") | | |\n");
                continue;
            }
            out.append("| ").append(g.scenario).append(" | ").append(g.contender).append(" | ").append(runs(g))
                    .append(" | ").append(fmt(g.median("ms"), 1)).append(" | ").append(fmt(g.median("mbps"), 0))
                    .append(" |\n");
        }
        out.append("\n| overhead | variant ÷ plain | ratio |\n|---|---|---|\n");
        for (String scenario : gs.stream().map(g -> g.scenario).distinct().toList()) {
            for (String[] o : OVERHEADS) {
                Group v = group("5", scenario, o[1]);
                Group base = group("5", scenario, o[2]);
                if (v == null || base == null || v.unavailable() || base.unavailable()) {
                    continue;
                }
                double r = v.median("ms") / base.median("ms");
                out.append("| ").append(o[0]).append(" | ").append(o[1]).append(" ÷ ").append(o[2]).append(" | ")
                        .append(fmt(r, 3)).append(" |\n");
                verdict("case 5 " + scenario + ": " + o[0] + " under 10 %", r, r < 1.10, "ratio " + fmt(r, 3));
            }
        }
    }
}
