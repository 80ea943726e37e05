package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of a 10,000-job queue through the API (bench/SERVICE.md): a real daemon with its SQLite
 * file on disk, requests from the JDK client over loopback, one at a time. Not in the default
 * run; {@code mvn -B -o -Pbench -pl daemon -am test -Dtest=QueueReadBench
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
@Timeout(600)
class QueueReadBench {
    static final int JOBS = 10_000;
    static final int WARMUP = Integer.getInteger("haul.bench.warmup", 300);
    static final int ROUNDS = Integer.getInteger("haul.bench.rounds", 500);

    @TempDir
    Path tmp;

    @Test
    void readATenThousandJobQueue() throws Exception {
        StringBuilder report = new StringBuilder();
        try (TestDaemon d = new TestDaemon(tmp)) {
            long t0 = System.nanoTime();
            for (int b = 0; b < JOBS / 1000; b++) {
                StringBuilder batch = new StringBuilder("{\"jobs\":[");
                for (int i = 0; i < 1000; i++) {
                    int n = b * 1000 + i;
                    batch.append(i == 0 ? "" : ",").append("{\"url\":\"http://127.0.0.1:9/f")
                            .append(n).append(".bin\",\"paused\":true,\"dir\":\"d")
                            .append(n % 50).append("\"}");
                }
                Http.Answer a = d.http.post("/api/v1/jobs/batch", batch + "]}");
                assertEquals(201, a.status(), a::toString);
            }
            double addSeconds = (System.nanoTime() - t0) / 1e9;
            // some jobs in other states, so the filters have something to skip
            for (int id = 1; id <= 500; id++) {
                d.http.delete("/api/v1/jobs/" + (id * 20) + "?partial=keep");
            }
            report.append(String.format(Locale.ROOT, "adding %,d jobs in batches of 1,000: "
                    + "%.2f s (%,.0f jobs/s)%n", JOBS, addSeconds, JOBS / addSeconds));
            Map<String, String> cases = new LinkedHashMap<>();
            cases.put("list, first page of 100", "/api/v1/jobs?limit=100");
            cases.put("list, page of 100 at offset 9,400", "/api/v1/jobs?offset=9400&limit=100");
            cases.put("list, first page of 1,000", "/api/v1/jobs?limit=1000");
            cases.put("list, state=paused, offset 5,000", "/api/v1/jobs?state=paused"
                    + "&offset=5000&limit=100");
            cases.put("list, state=removed (500 of 10,000)", "/api/v1/jobs?state=removed"
                    + "&limit=100");
            cases.put("get one job", "/api/v1/jobs/5001");
            cases.put("stats", "/api/v1/stats");
            report.append(String.format(Locale.ROOT, "%-38s %9s %9s %9s %10s %9s%n", "request",
                    "median", "p90", "p99", "req/s", "bytes"));
            for (Map.Entry<String, String> c : cases.entrySet()) {
                int size = 0;
                for (int i = 0; i < WARMUP; i++) {
                    size = d.http.get(c.getValue()).body().length();
                }
                long[] nanos = new long[ROUNDS];
                long start = System.nanoTime();
                for (int i = 0; i < ROUNDS; i++) {
                    long s = System.nanoTime();
                    Http.Answer a = d.http.get(c.getValue());
                    nanos[i] = System.nanoTime() - s;
                    if (a.status() != 200) {
                        throw new AssertionError(c.getValue() + " -> " + a);
                    }
                }
                double total = (System.nanoTime() - start) / 1e9;
                Arrays.sort(nanos);
                report.append(String.format(Locale.ROOT, "%-38s %7.2fms %7.2fms %7.2fms %10.0f"
                        + " %9d%n", c.getKey(), ms(nanos, 0.5), ms(nanos, 0.9), ms(nanos, 0.99),
                        ROUNDS / total, size));
            }
            // all 9,500 live jobs, as the web page loads them
            List<Long> full = new ArrayList<>();
            for (int r = 0; r < 20; r++) {
                long s = System.nanoTime();
                long got = 0;
                for (int off = 0; ; off += 1000) {
                    Http.Answer a = d.http.get("/api/v1/jobs?offset=" + off + "&limit=1000");
                    int n = a.json().path("jobs").size();
                    got += n;
                    if (n < 1000) {
                        break;
                    }
                }
                full.add(System.nanoTime() - s);
                assertEquals(JOBS - 500, got);
            }
            long[] f = full.stream().mapToLong(Long::longValue).sorted().toArray();
            report.append(String.format(Locale.ROOT, "%-38s %7.2fms (median of 20)%n",
                    "every live job, 10 pages of 1,000", ms(f, 0.5)));
        }
        report.append(String.format(Locale.ROOT, "JDK %s, %d CPUs, %d warm-up + %d measured "
                + "requests per case%n", Runtime.version(), Runtime.getRuntime()
                .availableProcessors(), WARMUP, ROUNDS));
        System.out.print(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "service-bench.txt"), report,
                StandardCharsets.UTF_8);
    }

    static double ms(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))] / 1e6;
    }
}
