package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.queue.testing.Postgres;
import dev.haul.testing.LeakCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet: three daemons, each in its own JVM, share one queue on a real PostgreSQL server and
 * one download directory (shared storage), and fetch from one loopback server that counts its
 * open connections. One daemon is killed with SIGKILL while it runs jobs. In the end every job is
 * completed once, with the right bytes; only the dead daemon's jobs were claimed a second time,
 * by a live daemon, after its lease ended; and the server never saw more connections at once
 * than the fleet's per-host cap. Any daemon's API shows the whole fleet's queue, and waits on a
 * job another daemon finishes.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "counting-server"}, fdTolerance = 8)
@Timeout(180)
class FleetTest {
    static final Duration WAIT = Duration.ofSeconds(120);
    static final int CAP = 4;

    @TempDir
    Path tmp;

    @Test
    void threeDaemonsShareTheQueueAndADeadOnesJobsAreTakenOverOnce() throws Exception {
        Random random = new Random(1414);
        Path downloads = tmp.resolve("shared-downloads");
        Path target = Path.of("target");
        Files.createDirectories(target);
        Map<String, byte[]> bodies = new HashMap<>();
        List<DaemonProcess> daemons = new ArrayList<>();
        // 1 MiB/s per connection: at most 4 MiB/s over the fleet, so the run lasts seconds
        try (Postgres db = Postgres.fresh(); CountingServer server =
                new CountingServer(1024 * 1024)) {
            StringBuilder batch = new StringBuilder("{\"jobs\":[");
            for (int i = 0; i < 30; i++) {
                boolean big = i % 5 == 2;
                byte[] body = new byte[big ? 6 * 1024 * 1024 : 96 * 1024 + random.nextInt(4096)];
                random.nextBytes(body);
                String name = String.format("f%02d.bin", i);
                bodies.put(name, body);
                server.file("/" + name, body);
                // the small ones as a crawler adds them, one connection each; the big ones
                // ask for none and, above the 4 MiB split threshold, slow-start up to what the
                // cap leaves them
                batch.append(i == 0 ? "" : ",").append("{\"url\":\"").append(server.url("/"
                        + name)).append("\",\"connections\":").append(big ? 0 : 1).append('}');
            }
            for (int i = 1; i <= 3; i++) {
                Path log = target.resolve("fleet-w" + i + ".log");
                Files.deleteIfExists(log);
                daemons.add(DaemonProcess.start(tmp.resolve("data-w" + i), downloads, log,
                        "--store", db.url(), "--name", "w" + i, "--host-connections", "" + CAP,
                        "--lease", "3", "-j", "3"));
            }
            DaemonProcess w1 = daemons.get(0);
            // added through w2, which claims at once (the others at their next heartbeat), so
            // w2 surely runs jobs: among them the first big one, long enough to be seen
            Http.Answer added = daemons.get(1).http.post("/api/v1/jobs/batch", batch + "]}");
            assertEquals(201, added.status(), added::toString);

            // w1's API shows jobs that the other daemons run, with their progress: the fleet's
            // queue. Which daemon gets which job is the claims' race; the one killed is w2 or
            // w3, whichever is seen running a job with bytes done.
            String[] victimName = new String[1];
            Poll.until(() -> {
                for (JsonNode j : w1.http.get("/api/v1/jobs?state=active").json().path("jobs")) {
                    String w = j.path("worker").asText();
                    if ((w.equals("w2") || w.equals("w3")) && j.path("bytesDone").asLong() > 0) {
                        victimName[0] = w;
                        return true;
                    }
                }
                return false;
            }, WAIT, "w1 shows a job running on w2 or w3 with bytes done");
            DaemonProcess victim = daemons.get(victimName[0].equals("w2") ? 1 : 2);
            DaemonProcess survivor = daemons.get(victimName[0].equals("w2") ? 2 : 1);

            victim.kill();
            Set<Long> orphaned = new HashSet<>();
            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id FROM haul_jobs WHERE owner = '"
                         + victimName[0] + "' AND state = 'active'")) {
                while (rs.next()) {
                    orphaned.add(rs.getLong(1));
                }
            }
            assertFalse(orphaned.isEmpty(), victimName[0] + " held jobs when it died");
            // w1 waits on an orphaned job: it finishes on w1 or the survivor, and w1 hears of it
            long watched = orphaned.iterator().next();
            CompletableFuture<JsonNode> waited = CompletableFuture.supplyAsync(() ->
                    w1.http.get("/api/v1/jobs/" + watched + "/wait?timeout=100").json());

            Poll.until(() -> survivor.http.get("/api/v1/stats").json().path("jobs")
                    .path("completed").asLong() == 30, WAIT, "all 30 jobs completed");
            JsonNode watchedJob = waited.get(30, TimeUnit.SECONDS);
            assertEquals("completed", watchedJob.path("state").asText(), watchedJob::toString);

            // every job completed once, with its own bytes, nothing else left in the directory
            JsonNode all = survivor.http.get("/api/v1/jobs?limit=100").json();
            assertEquals(30, all.path("total").asLong(), "no job lost or added twice");
            int claims = 0;
            for (JsonNode j : all.path("jobs")) {
                String name = j.path("name").asText();
                assertEquals("completed", j.path("state").asText(), j::toString);
                assertArrayEquals(bodies.get(name), Files.readAllBytes(downloads.resolve(name)),
                        name);
                int attempts = j.path("attempts").asInt();
                long id = j.path("id").asLong();
                // claimed once, or, for the dead daemon's jobs, once more after its lease ended
                assertEquals(orphaned.contains(id) ? 2 : 1, attempts, j::toString);
                claims += attempts;
            }
            assertEquals(30 + orphaned.size(), claims);
            try (Stream<Path> files = Files.list(downloads)) {
                List<String> extra = files.map(p -> p.getFileName().toString())
                        .filter(n -> !bodies.containsKey(n)).sorted().toList();
                assertEquals(List.of(), extra, "no part, sidecar or duplicate file left");
            }
            // the per-host cap held over the fleet, as the server counted connections
            assertTrue(server.maxOpen() <= CAP, "at most " + CAP + " connections at once, saw "
                    + server.maxOpen());
            assertTrue(server.maxOpen() >= 2, "the fleet did fetch in parallel: "
                    + server.maxOpen());
            System.out.printf("fleet: 30 jobs on 3 daemons, %s killed holding %d; %d "
                    + "connections accepted, at most %d open at once (cap %d)%n", victimName[0],
                    orphaned.size(), server.accepted(), server.maxOpen(), CAP);
            for (DaemonProcess d : List.of(w1, survivor)) {
                assertEquals(0, d.terminate(Duration.ofSeconds(30)));
            }
        } finally {
            daemons.forEach(DaemonProcess::close);
        }
    }
}
