package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.haul.DownloadManager;
import dev.haul.queue.DownloadQueue;
import dev.haul.queue.JobRequest;
import dev.haul.queue.JobState;
import dev.haul.queue.PostgresJobStore;
import dev.haul.queue.testing.Postgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's queue under load (bench/README.md, "A fleet"): 2,000 small files (16 KiB, one
 * connection each) queued in a fresh PostgreSQL database, then 1, 2 or 4 workers start at once
 * and run them to completion from a loopback file server (raw sockets, keep-alive, no pacing). Reports jobs per second (claimed and
 * completed) and the database round trips per completed job (statements and commits, counted by
 * each worker's store), with the medians of several interleaved runs. The workers are
 * {@link DownloadQueue}s in this JVM, each with its own connections to the database and its own
 * download engine, as a daemon has; the database, the file server and the workers share this
 * machine's cores. {@code -Dhaul.bench.cap=N} sets the fleet's per-host connection cap (0: none,
 * which makes a claim one statement). Not in the default run: {@code bench/fleet.sh}.
 */
@Tag("bench")
@Timeout(1800)
class FleetBench {
    static final int JOBS = Integer.getInteger("haul.bench.jobs", 2000);
    static final int ROUNDS = Integer.getInteger("haul.bench.rounds", 3);
    static final int CONCURRENCY = Integer.getInteger("haul.bench.concurrency", 8);
    static final int CAP = Integer.getInteger("haul.bench.cap", 64);

    @TempDir
    Path tmp;

    record Run(int workers, double seconds, double roundTripsPerJob) {
    }

    @Test
    void jobsPerSecondWithOneTwoAndFourWorkers() throws Exception {
        byte[] body = new byte[16 * 1024];
        new Random(5).nextBytes(body);
        List<Run> runs = new ArrayList<>();
        try (CountingServer server = new CountingServer(0)) {
            for (int i = 0; i < JOBS; i++) {
                server.file("/f" + i, body);
            }
            once(server, 2, 200); // warm the JVM
            int[] order = {1, 2, 4, 4, 2, 1, 2, 4, 1};
            for (int r = 0; r < ROUNDS * 3 && r < order.length; r++) {
                runs.add(once(server, order[r], JOBS));
                System.out.println("fleet bench: " + runs.get(runs.size() - 1));
            }
        }
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                "%d jobs of 16 KiB, one connection each, %d downloads at once per worker, %s;"
                        + " medians of %d runs%n%n| workers | jobs/s | s | DB round trips per"
                        + " job |%n|---|---|---|---|%n", JOBS, CONCURRENCY, CAP == 0
                        ? "no per-host cap" : "a per-host cap of " + CAP + " over the fleet",
                ROUNDS));
        for (int w : new int[] {1, 2, 4}) {
            double[] s = runs.stream().filter(x -> x.workers == w).mapToDouble(Run::seconds)
                    .sorted().toArray();
            double[] rt = runs.stream().filter(x -> x.workers == w)
                    .mapToDouble(Run::roundTripsPerJob).sorted().toArray();
            double sec = s[s.length / 2];
            report.append(String.format(Locale.ROOT, "| %d | %.0f | %.2f | %.1f |%n", w,
                    JOBS / sec, sec, rt[rt.length / 2]));
        }
        report.append(String.format(Locale.ROOT, "%nAll runs (s): %s%n", Arrays.toString(
                runs.stream().map(x -> x.workers + "w " + String.format(Locale.ROOT, "%.2f",
                        x.seconds)).toArray())));
        System.out.print(report);
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("fleet-bench-cap" + CAP + ".md"), report,
                StandardCharsets.UTF_8);
    }

    private Run once(CountingServer server, int workers, int jobs) throws Exception {
        Path downloads = Files.createTempDirectory(tmp, "dl");
        try (Postgres db = Postgres.fresh()) {
            List<JobRequest> requests = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                requests.add(JobRequest.builder(server.url("/f" + i), downloads).connections(1)
                        .paused(true).build());
            }
            // queued paused, so no worker starts before all are in; then resumed in one go
            try (DownloadQueue adder = DownloadQueue.builder(PostgresJobStore.open(db.url()))
                    .maxConcurrentDownloads(1).build()) {
                adder.addAll(requests);
            }
            try (java.sql.Connection c = db.connect();
                 java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE haul_jobs SET state = 'queued'");
            }
            List<PostgresJobStore> stores = new ArrayList<>();
            List<DownloadQueue> queues = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int w = 0; w < workers; w++) {
                PostgresJobStore store = PostgresJobStore.open(db.url(), CAP);
                stores.add(store);
                queues.add(DownloadQueue.builder(store).owner("w" + w)
                        .maxConcurrentDownloads(CONCURRENCY)
                        .manager(DownloadManager.builder().maxConnectionsPerHost(64)).build());
            }
            long completed = 0;
            try (PostgresJobStore watch = PostgresJobStore.open(db.url())) {
                while (completed < jobs) {
                    Thread.sleep(20); // the bench's poll of the outcome, not a test's wait
                    completed = watch.counts().get(JobState.COMPLETED);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long roundTrips = stores.stream().mapToLong(PostgresJobStore::roundTrips).sum();
            for (DownloadQueue q : queues) {
                q.close();
            }
            assertEquals(jobs, completed);
            return new Run(workers, seconds, (double) roundTrips / jobs);
        }
    }
}
