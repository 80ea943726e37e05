package dev.haul.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.haul.queue.testing.FileServer;
import dev.haul.testing.LeakCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability claim, against a daemon in its own JVM: while 100 jobs download from a loopback
 * server, the daemon is killed with SIGKILL at seeded random points and started again; in the end
 * every job is completed exactly once, with the right bytes, under the name it was given, with
 * no other file left beside them, and the test reports how many bytes were fetched twice. It
 * also checks that SIGTERM is graceful: the daemon exits 0, keeps the {@code .part}, and the job
 * continues from it after a restart.
 */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "file-server"}, fdTolerance = 6)
@Timeout(240)
class DurabilityTest {
    static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    @Test
    void hundredJobsSurviveKillMinusNine() throws Exception {
        run(100, 3, 42L);
    }

    @Test
    @Tag("soak")
    void fiveHundredJobsSurviveTenKills() throws Exception {
        run(500, 10, Long.getLong("haul.soak.seed", System.nanoTime()));
    }

    private void run(int jobs, int kills, long seed) throws Exception {
        Random random = new Random(seed);
        Path data = tmp.resolve("data");
        Path downloads = tmp.resolve("Downloads");
        Path target = Path.of("target");
        Files.createDirectories(target);
        Path log = target.resolve("durability-daemon.log");
        Files.deleteIfExists(log);
        try (FileServer server = FileServer.start()) {
            Map<String, byte[]> bodies = new HashMap<>();
            long total = 0;
            StringBuilder batch = new StringBuilder("{\"jobs\":[");
            for (int i = 0; i < jobs; i++) {
                // both sides of the engine's 1 MiB line: a smaller part gets no sidecar until a
                // clean stop (FileSink.SAVE_AFTER_BYTES), so after SIGKILL it starts over; a
                // larger one continues from what its sidecar vouches for
                byte[] body = new byte[32 * 1024 + random.nextInt(5 * 512 * 1024)];
                random.nextBytes(body);
                String name = String.format("f%03d.bin", i);
                bodies.put(name, body);
                server.file("/" + name, body);
                total += body.length;
                batch.append(i == 0 ? "" : ",").append("{\"url\":\"").append(server.url("/"
                        + name)).append("\",\"key\":\"job-").append(i).append("\"}");
            }
            // per response: with 4 at once about 32 MB/s, so a run takes seconds, not less
            server.pace(8L * 1024 * 1024);
            List<Long> killAt = new ArrayList<>();
            for (int k = 0; k < kills; k++) {
                killAt.add((long) (total * (k + 0.2 + 0.6 * random.nextDouble()) / (kills + 1)));
            }
            DaemonProcess daemon = DaemonProcess.start(data, downloads, log, "-j", "4");
            try {
                Http.Answer added = daemon.http.post("/api/v1/jobs/batch", batch + "]}");
                assertEquals(201, added.status(), added::toString);
                for (int k = 0; k < kills; k++) {
                    long at = killAt.get(k);
                    Poll.until(() -> server.bytesServed() >= at, WAIT, "bytes served reach "
                            + at);
                    daemon.kill();
                    daemon = DaemonProcess.start(data, downloads, log, "-j", "4");
                    // the same batch again, as a client whose answer was lost would: the keys
                    // make it add nothing
                    Http.Answer again = daemon.http.post("/api/v1/jobs/batch", batch + "]}");
                    assertTrue(again.status() == 201, again::toString);
                }
                Set<Long> ids = new HashSet<>();
                JsonNode all = daemon.http.get("/api/v1/jobs?state=queued,active,paused,"
                        + "completed,failed,removed&limit=1000").json();
                assertEquals(jobs, all.path("total").asLong(), "no job lost, none added twice");
                all.path("jobs").forEach(j -> ids.add(j.path("id").asLong()));
                assertEquals(jobs, ids.size());
                for (long id : ids) {
                    JsonNode job = daemon.http.get("/api/v1/jobs/" + id + "/wait?timeout=60")
                            .json();
                    assertEquals("completed", job.path("state").asText(), job::toString);
                }
                Set<String> names = new HashSet<>();
                for (JsonNode j : daemon.http.get("/api/v1/jobs?limit=1000").json()
                        .path("jobs")) {
                    String name = j.path("name").asText();
                    assertTrue(names.add(name), "one job per file: " + name);
                    assertArrayEquals(bodies.get(name), Files.readAllBytes(downloads
                            .resolve(name)), name + " has its own bytes, whole");
                    assertEquals(bodies.get(name).length, j.path("bytesDone").asLong());
                }
                assertEquals(bodies.keySet(), names, "every job under the name it was given");
                try (Stream<Path> files = Files.list(downloads)) {
                    List<String> extra = files.map(p -> p.getFileName().toString())
                            .filter(n -> !bodies.containsKey(n)).sorted().toList();
                    assertEquals(List.of(), extra, "no part, sidecar or duplicate file left");
                }
                long served = server.bytesServed();
                long twice = served - total;
                String report = String.format("durability: %d jobs, %d SIGKILLs (seed %d), "
                        + "%,d bytes to fetch, %,d served, %,d fetched twice (%.2f%%)%n", jobs,
                        kills, seed, total, served, twice, 100.0 * twice / total);
                System.out.print(report);
                Files.writeString(target.resolve("durability-" + jobs + ".txt"), report,
                        StandardCharsets.UTF_8);
                assertTrue(twice >= 0);
                // a finished file is never fetched again: one more restart downloads nothing
                daemon.kill();
                daemon = DaemonProcess.start(data, downloads, log, "-j", "4");
                JsonNode stats = daemon.http.get("/api/v1/stats").json();
                assertEquals(jobs, stats.path("jobs").path("completed").asLong());
                assertEquals(served, server.bytesServed());
            } finally {
                daemon.close();
            }
        }
    }

    @Test
    void sigtermStopsGracefullyAndTheJobContinuesFromItsPart() throws Exception {
        Path data = tmp.resolve("data");
        Path downloads = tmp.resolve("Downloads");
        Path log = tmp.resolve("daemon.log");
        byte[] body = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(body);
        try (FileServer server = FileServer.start()) {
            server.file("/big.bin", body);
            FileServer.Gate gate = server.hold("/big.bin", 2 * 1024 * 1024);
            long id;
            try (DaemonProcess daemon = DaemonProcess.start(data, downloads, log)) {
                id = daemon.http.post("/api/v1/jobs", "{\"url\":\"" + server.url("/big.bin")
                        + "\"}").json().path("id").asLong();
                assertTrue(gate.awaitHeld(WAIT));
                Poll.until(() -> daemon.http.get("/api/v1/jobs/" + id).json().path("bytesDone")
                        .asLong() >= 1024 * 1024, WAIT, "progress recorded");
                assertEquals(0, daemon.terminate(Duration.ofSeconds(30)), Files.readString(log));
            }
            gate.release();
            assertTrue(Files.exists(downloads.resolve("big.bin.part")), "the part is kept");
            assertFalse(Files.exists(downloads.resolve("big.bin")));
            assertFalse(Files.exists(data.resolve(Daemon.PID_FILE)), "the pid file is gone");
            assertFalse(Files.exists(data.resolve(Daemon.URL_FILE)));
            try (DaemonProcess daemon = DaemonProcess.start(data, downloads, log)) {
                JsonNode job = daemon.http.get("/api/v1/jobs/" + id + "/wait?timeout=60").json();
                assertEquals("completed", job.path("state").asText(), job::toString);
                assertArrayEquals(body, Files.readAllBytes(downloads.resolve("big.bin")));
                List<FileServer.Request> requests = server.requests("/big.bin");
                assertEquals(2, requests.size());
                assertTrue(requests.get(1).range() != null, "the restart asked for the rest");
                assertTrue(server.bytesServed("/big.bin") < 2L * body.length);
                daemon.terminate(Duration.ofSeconds(30));
            }
        } catch (IOException e) {
            throw new AssertionError(Files.exists(log) ? Files.readString(log) : "no log", e);
        }
    }
}
