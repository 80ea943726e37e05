package dev.haul.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.DownloadManager;
import dev.haul.queue.testing.EventLog;
import dev.haul.queue.testing.FileServer;
import dev.haul.testing.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The queue running real downloads from a loopback server into a real SQLite store. */
@ExtendWith(LeakCheck.class)
@LeakCheck.Options(threadPrefixes = {"haul", "file-server"}, fdTolerance = 4)
@Timeout(30)
class DownloadQueueTest {
    static final Duration WAIT = Duration.ofSeconds(15);
    static final int MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    Path data;
    Path downloads;
    FileServer server;
    final List<DownloadQueue> queues = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        data = tmp.resolve("data");
        downloads = tmp.resolve("downloads");
        server = FileServer.start();
    }

    @AfterEach
    void tearDown() {
        queues.forEach(DownloadQueue::close);
        server.close();
    }

    static byte[] body(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    DownloadQueue open(int concurrency) {
        DownloadQueue q = DownloadQueue.builder(SqliteJobStore.open(data))
                .maxConcurrentDownloads(concurrency)
                .tick(Duration.ofMillis(50))
                .lease(Duration.ofSeconds(5))
                .manager(DownloadManager.builder().fsync(false))
                .build();
        queues.add(q);
        return q;
    }

    void close(DownloadQueue q) {
        q.close();
        queues.remove(q);
    }

    JobRequest.Builder request(String path) {
        return JobRequest.builder(server.url(path), downloads);
    }

    @Test
    void updateChangesWhatAJobFetchesAndAnActiveOneContinuesFromItsPart() throws Exception {
        byte[] body = body(3 * MIB, 21);
        server.file("/new.bin", body);
        server.file("/big.bin", body);
        DownloadQueue q = open(2);
        // a paused job pointing at nothing: the change makes it fetch the new URL
        Job paused = q.add(request("/missing.bin").paused(true).build());
        Job changed = q.update(paused.id(), paused.request().newBuilder()
                .uri(java.net.URI.create(server.url("/new.bin"))).maxBytesPerSecond(0).build());
        assertEquals(JobState.PAUSED, changed.state());
        assertEquals(server.url("/new.bin"), changed.request().uri().toString());
        q.resume(paused.id());
        assertEquals(JobState.COMPLETED, q.whenFinished(paused.id()).get(WAIT.toMillis(),
                TimeUnit.MILLISECONDS).state());
        assertArrayEquals(body, Files.readAllBytes(paused.file()), "its file, the new bytes");
        assertTrue(server.requests("/missing.bin").isEmpty());

        // an active job gets a new rate limit: it restarts and continues from its part
        FileServer.Gate gate = server.hold("/big.bin", MIB);
        Job active = q.add(request("/big.bin").maxBytesPerSecond(0).build());
        assertTrue(gate.awaitHeld(WAIT));
        Job faster = q.update(active.id(), active.request().newBuilder()
                .maxBytesPerSecond(64L * MIB).build());
        assertEquals(64L * MIB, faster.request().maxBytesPerSecond());
        gate.release();
        Job done = q.whenFinished(active.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.COMPLETED, done.state(), done::toString);
        assertArrayEquals(body, Files.readAllBytes(active.file()));
        List<FileServer.Request> asked = server.requests("/big.bin");
        assertEquals(2, asked.size(), "stopped once, restarted once");
        assertTrue(asked.get(1).range() != null && asked.get(1).range().startsWith("bytes="),
                "the restart continued from the part: " + asked.get(1).range());

        QueueException finished = assertThrows(QueueException.class, () -> q.update(done.id(),
                done.request()));
        assertEquals(QueueException.Code.INVALID_STATE, finished.code());
        assertThrows(IllegalArgumentException.class, () -> q.update(done.id(),
                JobRequest.builder(server.url("/big.bin"), tmp.resolve("elsewhere")).build()));
    }

    @Test
    void addsDownloadsAndReportsEachStepInOrder() throws Exception {
        byte[] body = body(200_000, 1);
        server.file("/a.bin", body);
        DownloadQueue q = open(2);
        EventLog log = new EventLog();
        q.subscribe(log);

        Job job = q.add(request("/a.bin").expectedSha256(sha256(body)).build());
        assertEquals(JobState.QUEUED, job.state());
        assertEquals(downloads.resolve("a.bin"), job.file());

        Job done = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.COMPLETED, done.state());
        assertEquals(body.length, done.bytesDone());
        assertEquals(body.length, done.totalBytes());
        assertArrayEquals(body, Files.readAllBytes(job.file()));
        assertFalse(Files.exists(DownloadQueue.partOf(job.file())));
        List<JobEvent.Type> types = new ArrayList<>();
        List<JobState> states = new ArrayList<>();
        log.awaitState(job.id(), JobState.COMPLETED, WAIT);
        for (JobEvent e : log.events()) {
            if (e.type() != JobEvent.Type.PROGRESS) {
                types.add(e.type());
                states.add(e.job().state());
            }
        }
        assertEquals(List.of(JobEvent.Type.ADDED, JobEvent.Type.STATE, JobEvent.Type.STATE),
                types);
        assertEquals(List.of(JobState.QUEUED, JobState.ACTIVE, JobState.COMPLETED), states);
        assertEquals(1, q.stats().jobs().get(JobState.COMPLETED));
    }

    /** A job's mirrors reach the engine: the first URL fails, the mirror fills the file. */
    @Test
    void aJobsMirrorTakesOverWhenItsUrlFails() throws Exception {
        byte[] body = body(300_000, 9);
        server.file("/copy.bin", body);
        server.status("/gone.bin", 503);
        DownloadQueue q = open(1);
        Job job = q.add(request("/gone.bin").mirror(java.net.URI.create(server.url("/copy.bin")))
                .build());
        Job done = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.COMPLETED, done.state(), done::toString);
        assertArrayEquals(body, Files.readAllBytes(downloads.resolve("gone.bin")));
        assertFalse(server.requests("/copy.bin").isEmpty());
    }

    @Test
    void namesFromTheUrlNeverReplaceAFile() throws Exception {
        server.file("/r.pdf", body(10, 2));
        Files.createDirectories(downloads);
        Files.writeString(downloads.resolve("r.pdf"), "mine");
        DownloadQueue q = open(1);
        q.pause(q.add(request("/r.pdf").paused(true).build()).id());
        List<Job> jobs = q.addAll(List.of(request("/r.pdf").paused(true).build(),
                request("/r.pdf?x=1").paused(true).build()));
        Job first = q.list(JobFilter.all()).jobs().get(0);
        assertEquals("r.pdf.1", first.file().getFileName().toString());
        assertEquals("r.pdf.2", jobs.get(0).file().getFileName().toString());
        assertEquals("r.pdf.3", jobs.get(1).file().getFileName().toString());

        QueueException e = assertThrows(QueueException.class,
                () -> q.add(request("/r.pdf").fileName("r.pdf").build()));
        assertEquals(QueueException.Code.FILE_EXISTS, e.code());
        e = assertThrows(QueueException.class,
                () -> q.add(request("/r.pdf").fileName("r.pdf.2").build()));
        assertEquals(QueueException.Code.FILE_EXISTS, e.code());
        assertEquals("mine", Files.readString(downloads.resolve("r.pdf")));
        assertEquals(3, q.list(JobFilter.all()).total());
    }

    @Test
    void aBatchIsAddedWholeOrNotAtAll() {
        server.file("/a", body(10, 3));
        DownloadQueue q = open(1);
        q.add(request("/a").fileName("taken").paused(true).build());
        assertThrows(QueueException.class, () -> q.addAll(List.of(
                request("/a").fileName("one").paused(true).build(),
                request("/a").fileName("taken").paused(true).build())));
        assertEquals(1, q.list(JobFilter.all()).total());
    }

    @Test
    void anIdempotencyKeyAddsAJobOnce() {
        server.file("/a", body(10, 4));
        DownloadQueue q = open(1);
        Job a = q.add(request("/a").key("client-42").paused(true).build());
        Job again = q.add(request("/a").key("client-42").paused(true).build());
        List<Job> batch = q.addAll(List.of(request("/a").key("k2").paused(true).build(),
                request("/a").key("k2").paused(true).build()));
        assertEquals(a.id(), again.id());
        assertEquals(batch.get(0).id(), batch.get(1).id());
        assertEquals(2, q.list(JobFilter.all()).total());
    }

    @Test
    void pauseKeepsThePartAndResumeContinuesFromIt() throws Exception {
        byte[] body = body(3 * MIB, 5);
        server.file("/big", body);
        FileServer.Gate gate = server.hold("/big", 2 * MIB);
        DownloadQueue q = open(1);
        EventLog log = new EventLog();
        q.subscribe(log);
        Job job = q.add(request("/big").build());
        assertTrue(gate.awaitHeld(WAIT));
        log.await(e -> e.type() == JobEvent.Type.PROGRESS && e.job().bytesDone() > MIB, WAIT);

        Job paused = q.pause(job.id());
        assertEquals(JobState.PAUSED, paused.state());
        // the stopped download's progress is recorded once it has ended; the gate stays shut
        // until then, or the download could finish its last MiB before the pause lands
        log.await(e -> e.type() == JobEvent.Type.PROGRESS && e.job().state() == JobState.PAUSED,
                WAIT);
        gate.release();
        assertTrue(Files.size(DownloadQueue.partOf(job.file())) > MIB);
        assertTrue(q.get(job.id()).orElseThrow().bytesDone() > MIB);

        q.resume(job.id());
        Job done = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.COMPLETED, done.state());
        assertArrayEquals(body, Files.readAllBytes(job.file()));
        List<FileServer.Request> requests = server.requests("/big");
        assertEquals(2, requests.size());
        assertNotNull(requests.get(1).range(), "the resumed request asks for the rest");
        assertNotNull(requests.get(1).ifRange());
        assertTrue(server.bytesServed("/big") < 2L * body.length);
        assertEquals(2, done.attempts());
    }

    @Test
    void removeStopsTheJobAndDeletesThePartialOnlyWhenAsked() throws Exception {
        byte[] body = body(3 * MIB, 6);
        server.file("/keep", body).file("/drop", body);
        FileServer.Gate keepGate = server.hold("/keep", 2 * MIB);
        FileServer.Gate dropGate = server.hold("/drop", 2 * MIB);
        DownloadQueue q = open(2);
        Job keep = q.add(request("/keep").build());
        Job drop = q.add(request("/drop").build());
        assertTrue(keepGate.awaitHeld(WAIT));
        assertTrue(dropGate.awaitHeld(WAIT));

        assertEquals(JobState.REMOVED, q.remove(keep.id(), false).state());
        assertEquals(JobState.REMOVED, q.remove(drop.id(), true).state());
        assertEquals(JobState.REMOVED, q.whenFinished(drop.id()).join().state());
        // the gates open only after the close has stopped the downloads: opened earlier, a
        // removed download could finish its last MiB before its cancellation lands
        close(q); // waits for the stopped downloads to end, and for their cleanup
        keepGate.release();
        dropGate.release();

        assertTrue(Files.exists(DownloadQueue.partOf(keep.file())));
        assertFalse(Files.exists(DownloadQueue.partOf(drop.file())));
        assertFalse(Files.exists(DownloadQueue.metaOf(drop.file())));
        assertFalse(Files.exists(drop.file()));
        DownloadQueue again = open(2);
        assertEquals(0, again.list(JobFilter.all()).total(), "removed jobs are not listed");
        assertEquals(2, again.list(JobFilter.all().states(JobState.REMOVED)).total());
        assertEquals(QueueException.Code.INVALID_STATE, assertThrows(QueueException.class,
                () -> again.resume(keep.id())).code());
    }

    @Test
    void aFailureIsRecordedWithItsReasonAndResumeRetriesIt() throws Exception {
        server.status("/missing", 404);
        DownloadQueue q = open(1);
        Job job = q.add(request("/missing").build());
        Job failed = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.FAILED, failed.state());
        assertEquals("http_status", failed.failure().orElseThrow().code());
        assertTrue(failed.failure().orElseThrow().message().contains("404"),
                failed.failure().toString());

        server.status("/missing", 200).file("/missing", body(100, 7));
        server.status("/missing", 0);
        Job retried = q.resume(job.id());
        assertEquals(JobState.QUEUED, retried.state());
        assertTrue(retried.failure().isEmpty());
        assertEquals(JobState.FAILED,
                q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS).state());
        assertEquals(2, q.get(job.id()).orElseThrow().attempts());
    }

    @Test
    void atMostTheConcurrencyLimitRunsAndRaisingItStartsMore() throws Exception {
        List<FileServer.Gate> gates = new ArrayList<>();
        List<Job> jobs = new ArrayList<>();
        DownloadQueue q = open(2);
        for (int i = 0; i < 4; i++) {
            server.file("/f" + i, body(64 * 1024, 10 + i));
            gates.add(server.hold("/f" + i, 1024));
        }
        for (int i = 0; i < 4; i++) {
            jobs.add(q.add(request("/f" + i).build()));
        }
        assertTrue(gates.get(0).awaitHeld(WAIT));
        assertTrue(gates.get(1).awaitHeld(WAIT));
        QueueStats stats = q.stats();
        assertEquals(2, stats.jobs().get(JobState.ACTIVE));
        assertEquals(2, stats.jobs().get(JobState.QUEUED));
        assertEquals(2, stats.maxConcurrentDownloads());
        assertEquals(2, server.requests().size());

        q.maxConcurrentDownloads(4);
        assertTrue(gates.get(2).awaitHeld(WAIT));
        assertTrue(gates.get(3).awaitHeld(WAIT));
        gates.forEach(FileServer.Gate::release);
        for (Job j : jobs) {
            assertEquals(JobState.COMPLETED,
                    q.whenFinished(j.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS).state());
        }
        assertThrows(IllegalArgumentException.class, () -> q.maxConcurrentDownloads(0));
    }

    @Test
    void aMovedJobStartsFirst() throws Exception {
        server.file("/a", body(64 * 1024, 20)).file("/b", body(10, 21)).file("/c", body(10, 22));
        FileServer.Gate gate = server.hold("/a", 1024);
        DownloadQueue q = open(1);
        Job a = q.add(request("/a").build());
        assertTrue(gate.awaitHeld(WAIT));
        Job b = q.add(request("/b").build());
        Job c = q.add(request("/c").build());
        q.moveBy(c.id(), -1);
        assertEquals(List.of(a.id(), c.id(), b.id()), q.list(JobFilter.all()).jobs().stream()
                .map(Job::id).toList());
        gate.release();
        q.whenFinished(b.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        List<String> order = server.requests().stream().map(FileServer.Request::path).toList();
        assertEquals(List.of("/a", "/c", "/b"), order);
    }

    @Test
    void aCleanStopGivesRunningJobsBackAndTheNextQueueContinuesThem() throws Exception {
        byte[] body = body(3 * MIB, 30);
        server.file("/big", body);
        FileServer.Gate gate = server.hold("/big", 2 * MIB);
        DownloadQueue q = open(1);
        EventLog log = new EventLog();
        q.subscribe(log);
        Job job = q.add(request("/big").build());
        assertTrue(gate.awaitHeld(WAIT));
        log.await(e -> e.type() == JobEvent.Type.PROGRESS && e.job().bytesDone() > MIB, WAIT);
        close(q); // with the gate still shut: the download cannot finish before it stops
        gate.release();

        try (SqliteJobStore store = SqliteJobStore.open(data)) {
            Job stored = store.find(job.id()).orElseThrow();
            assertEquals(JobState.QUEUED, stored.state());
            assertTrue(stored.bytesDone() > MIB);
        }
        DownloadQueue next = open(1);
        Job done = next.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.COMPLETED, done.state());
        assertArrayEquals(body, Files.readAllBytes(job.file()));
        assertNotNull(server.requests("/big").get(1).range());
    }

    @Test
    void aFileFinishedJustBeforeACrashIsNotDownloadedAgain() throws Exception {
        byte[] body = body(5000, 40);
        Job job;
        // the state a kill -9 leaves between the engine's rename and the store's commit
        try (SqliteJobStore store = SqliteJobStore.open(data)) {
            job = store.insert(List.of(new NewJob(request("/gone").expectedSha256(sha256(body))
                    .build(), "gone.bin", Job.Credentials.NONE, null)), Instant.now()).get(0);
            store.claim("dead", 1, Instant.now(), Duration.ofDays(1));
        }
        Files.createDirectories(downloads);
        Files.write(job.file(), body);
        Files.writeString(DownloadQueue.metaOf(job.file()), "stale sidecar");

        DownloadQueue q = open(1);
        Job done = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobState.COMPLETED, done.state());
        assertEquals(body.length, done.bytesDone());
        assertEquals(0, server.requests().size(), "not downloaded again");
        assertFalse(Files.exists(DownloadQueue.metaOf(job.file())));
    }

    @Test
    void aFileChangedAfterItWasFinishedFailsItsCheck() throws Exception {
        Job job;
        try (SqliteJobStore store = SqliteJobStore.open(data)) {
            job = store.insert(List.of(new NewJob(request("/x").expectedSha256("0".repeat(64))
                    .build(), "x.bin", Job.Credentials.NONE, null)), Instant.now()).get(0);
            store.claim("dead", 1, Instant.now(), Duration.ofDays(1));
        }
        Files.createDirectories(downloads);
        Files.writeString(job.file(), "something else");
        DownloadQueue q = open(1);
        Job failed = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals("integrity", failed.failure().orElseThrow().code());
        assertEquals("something else", Files.readString(job.file()));
    }

    @Test
    void aFileThatAppearsBeforeTheFirstStartIsNotReplaced() throws Exception {
        server.file("/late", body(100, 50));
        DownloadQueue q = open(1);
        Job job = q.add(request("/late").paused(true).build());
        Files.createDirectories(downloads);
        Files.writeString(job.file(), "someone else's");
        q.resume(job.id());
        Job failed = q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobFailure.FILE_EXISTS, failed.failure().orElseThrow().code());
        assertEquals("someone else's", Files.readString(job.file()));
        assertEquals(0, server.requests().size());
    }

    @Test
    void credentialsAreSentButNeverStoredListedOrPublished() throws Exception {
        server.file("/private", body(1000, 60));
        DownloadQueue q = open(1);
        EventLog log = new EventLog();
        q.subscribe(log);
        String url = server.url("/private").replace("http://", "http://user:pa55word@");
        Job job = q.add(JobRequest.builder(url, downloads)
                .header("Authorization", "Bearer t0ken-secret")
                .header("Cookie", "session=c00kie-secret")
                .header("X-Visible", "yes").build());
        assertEquals(Job.Credentials.MEMORY, job.credentials());
        assertNull(job.request().uri().getUserInfo());
        assertEquals(List.of("X-Visible"), List.copyOf(job.request().headers().keySet()));
        q.whenFinished(job.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        FileServer.Request seen = server.requests("/private").get(0);
        assertEquals("Bearer t0ken-secret", seen.header("Authorization"));
        assertEquals("session=c00kie-secret", seen.header("Cookie"));
        String everything = q.list(JobFilter.all()).toString() + log.events()
                + q.get(job.id()).orElseThrow().request() + job;
        for (String secret : new String[] {"pa55word", "t0ken-secret", "c00kie-secret"}) {
            assertFalse(everything.contains(secret), secret);
        }
        close(q);
        for (Path f : Files.list(data).toList()) {
            String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            for (String secret : new String[] {"pa55word", "t0ken-secret", "c00kie-secret"}) {
                assertFalse(bytes.contains(secret), secret + " in " + f);
            }
        }
    }

    @Test
    void credentialsInMemoryDoNotSurviveARestartButKeptOnesDo() throws Exception {
        server.file("/m", body(100, 70)).file("/k", body(100, 71));
        DownloadQueue q = open(1);
        Job memory = q.add(request("/m").header("Authorization", "Bearer mem").paused(true)
                .build());
        Job kept = q.add(request("/k").header("Authorization", "Bearer kept").paused(true)
                .keepCredentials(true).build());
        assertEquals(Job.Credentials.STORED, kept.credentials());
        assertTrue(Files.readString(data.resolve("credentials.properties")).contains("Bearer kept"));
        close(q);

        DownloadQueue next = open(1);
        next.resume(memory.id());
        Job failed = next.whenFinished(memory.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(JobFailure.CREDENTIALS_MISSING, failed.failure().orElseThrow().code());
        next.resume(kept.id());
        assertEquals(JobState.COMPLETED,
                next.whenFinished(kept.id()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS).state());
        assertEquals("Bearer kept", server.requests("/k").get(0).header("Authorization"));
        close(next);
        assertFalse(Files.readString(data.resolve("credentials.properties"))
                .contains("Bearer kept"), "forgotten once the job completed");
    }

    @Test
    void unknownJobsAndAClosedQueueAreTypedErrors() {
        DownloadQueue q = open(1);
        assertEquals(QueueException.Code.NOT_FOUND,
                assertThrows(QueueException.class, () -> q.pause(42)).code());
        assertEquals(QueueException.Code.NOT_FOUND,
                assertThrows(QueueException.class, () -> q.whenFinished(42)).code());
        assertTrue(q.get(42).isEmpty());
        close(q);
        assertEquals(QueueException.Code.CLOSED,
                assertThrows(QueueException.class, () -> q.list(JobFilter.all())).code());
    }

    @Test
    void badRequestsAreRefusedByTheBuilder() {
        Path d = downloads;
        assertThrows(IllegalArgumentException.class, () -> JobRequest.builder("ftp://x/y", d));
        assertThrows(IllegalArgumentException.class, () -> JobRequest.builder("http://", d));
        assertThrows(IllegalArgumentException.class,
                () -> JobRequest.builder("http://x/y", Path.of("relative")));
        JobRequest.Builder b = JobRequest.builder("http://x/y", d);
        for (String name : new String[] {"../up", "a/b", ".hidden", "x.part", "", "a\nb"}) {
            assertThrows(IllegalArgumentException.class, () -> b.fileName(name), name);
        }
        assertThrows(IllegalArgumentException.class, () -> b.header("Host", "x"));
        assertThrows(IllegalArgumentException.class, () -> b.header("X", "a\r\nb"));
        assertThrows(IllegalArgumentException.class, () -> b.expectedSha256("abc"));
        assertThrows(IllegalArgumentException.class, () -> b.connections(17));
        assertThrows(IllegalArgumentException.class, () -> b.maxBytesPerSecond(-1));
        assertThrows(IllegalArgumentException.class, () -> b.key("has space"));
        assertThrows(IllegalArgumentException.class,
                () -> b.mirror(java.net.URI.create("http://u:p@m/y")));
    }

    @Test
    void namesComeFromTheLastPathSegmentMadeSafe() {
        assertEquals("etc_passwd", FileNames.fromUri(java.net.URI.create(
                "http://x/..%2F..%2Fetc%2Fpasswd")));
        assertEquals("index.html", FileNames.fromUri(java.net.URI.create("http://x/dir/")));
        assertEquals("r\u00e9sum\u00e9.pdf", FileNames.fromUri(java.net.URI.create(
                "http://x/r%C3%A9sum%C3%A9.pdf?token=1")));
        assertEquals("a_b", FileNames.fromUri(java.net.URI.create("http://x/a%0Ab")));
        assertEquals("x.part_", FileNames.fromUri(java.net.URI.create("http://x/x.part")));
        assertEquals("index.html", FileNames.fromUri(java.net.URI.create("http://x/...")));
    }

    static String basic(String user, String pass) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + pass)
                .getBytes(StandardCharsets.UTF_8));
    }
}
