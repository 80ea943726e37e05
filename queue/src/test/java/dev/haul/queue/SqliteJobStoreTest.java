package dev.haul.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The store's contract on a real SQLite file: claims and leases, commands, paging, schema. */
@Timeout(30)
class SqliteJobStoreTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration LEASE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private NewJob job(String name) {
        return new NewJob(JobRequest.builder("http://example.com/" + name, dir.resolve("dl"))
                .build(), name, Job.Credentials.NONE, null);
    }

    private List<Job> add(SqliteJobStore store, String... names) {
        List<NewJob> jobs = new ArrayList<>();
        for (String n : names) {
            jobs.add(job(n));
        }
        return store.insert(jobs, T0);
    }

    private static List<Long> ids(List<Job> jobs) {
        return jobs.stream().map(Job::id).toList();
    }

    @Test
    void insertsInOrderAndReadsBack() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            List<Job> jobs = store.insert(List.of(new NewJob(JobRequest.builder(
                    "http://example.com/a.iso", dir).header("X-Trace", "1")
                    .mirror(java.net.URI.create("http://mirror.example/a.iso"))
                    .expectedSha256("AB".repeat(32)).maxBytesPerSecond(1000).connections(4)
                    .key("k-1").build(), "a.iso", Job.Credentials.NONE, null), job("b")), T0);
            assertEquals(2, jobs.size());
            Job a = store.find(jobs.get(0).id()).orElseThrow();
            assertEquals(JobState.QUEUED, a.state());
            assertEquals(dir.resolve("a.iso"), a.file());
            assertEquals("1", a.request().headers().get("x-trace"));
            assertEquals("ab".repeat(32), a.request().expectedSha256());
            assertEquals(List.of(java.net.URI.create("http://mirror.example/a.iso")),
                    a.request().mirrors());
            assertEquals(1000, a.request().maxBytesPerSecond());
            assertEquals(4, a.request().connections());
            assertEquals("k-1", a.request().key());
            assertEquals(a.id(), store.findByKey("k-1").orElseThrow().id());
            assertTrue(jobs.get(1).position() > a.position());
            assertEquals(-1, a.totalBytes());
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefused() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            QueueException e = assertThrows(QueueException.class, () -> SqliteJobStore.open(dir));
            assertEquals(QueueException.Code.LOCKED, e.code());
            // the first store still works: the refused open released nothing of it
            add(store, "a");
            assertEquals(1, store.counts().get(JobState.QUEUED));
        }
        try (SqliteJobStore again = SqliteJobStore.open(dir)) {
            assertEquals(1, again.counts().get(JobState.QUEUED));
        }
    }

    @Test
    void theDirectoryAndLockAreOwnerOnly() throws Exception {
        Path d = dir.resolve("new/haul");
        try (SqliteJobStore store = SqliteJobStore.open(d)) {
            assertEquals(d, store.directory());
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(d)));
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(d.resolve("queue.lock"))));
            assertEquals(ProcessHandle.current().pid() + "\n",
                    Files.readString(d.resolve("queue.lock")));
        }
    }

    @Test
    void claimTakesQueuedJobsInOrderUnderALease() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            List<Job> jobs = add(store, "a", "b", "c");
            List<Job> claimed = store.claim("me", 2, T0, LEASE);
            assertEquals(ids(jobs.subList(0, 2)), ids(claimed));
            claimed.forEach(j -> {
                assertEquals(JobState.ACTIVE, j.state());
                assertEquals(1, j.attempts());
            });
            // another daemon gets the rest, not the leased ones
            assertEquals(List.of(jobs.get(2).id()), ids(store.claim("other", 5, T0, LEASE)));
            assertEquals(List.of(), store.claim("other", 5, T0, LEASE));
        }
    }

    @Test
    void anExpiredLeaseIsClaimedAgainFirst() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            List<Job> jobs = add(store, "a", "b");
            long a = store.claim("dead", 1, T0, LEASE).get(0).id();
            // before expiry the job is held; after it, it is handed out again before queued ones
            assertEquals(List.of(jobs.get(1).id()),
                    ids(store.claim("other", 1, T0.plusSeconds(29), LEASE)));
            store.release("other", List.of(new JobProgress(jobs.get(1).id(), 0, -1)), T0);
            List<Job> again = store.claim("other", 1, T0.plusSeconds(31), LEASE);
            assertEquals(List.of(a), ids(again));
            assertEquals(2, again.get(0).attempts());
            // the dead owner's heartbeat finds it lost; its completion is refused
            assertEquals(Set.of(a), store.heartbeat("dead", List.of(new JobProgress(a, 5, 10)),
                    T0.plusSeconds(32), LEASE));
            assertTrue(store.complete("dead", new JobProgress(a, 10, 10), T0).isEmpty());
            assertTrue(store.complete("other", new JobProgress(a, 10, 10), T0).isPresent());
        }
    }

    @Test
    void heartbeatRenewsTheLeaseAndRecordsBytes() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            long a = add(store, "a").get(0).id();
            store.claim("me", 1, T0, LEASE);
            assertEquals(Set.of(), store.heartbeat("me", List.of(new JobProgress(a, 100, 1000)),
                    T0.plusSeconds(20), LEASE));
            // renewed at +20 s: still held at +40 s
            assertEquals(List.of(), store.claim("other", 1, T0.plusSeconds(40), LEASE));
            Job j = store.find(a).orElseThrow();
            assertEquals(100, j.bytesDone());
            assertEquals(1000, j.totalBytes());
        }
    }

    @Test
    void reopeningExpiresTheLeasesOfTheProcessThatDied() {
        long a;
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            a = add(store, "a").get(0).id();
            store.claim("dead", 1, T0, Duration.ofDays(1));
        }
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            List<Job> again = store.claim("me", 1, T0, LEASE);
            assertEquals(List.of(a), ids(again));
            assertEquals(2, again.get(0).attempts());
        }
    }

    @Test
    void pauseResumeAndTheirRefusals() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            long a = add(store, "a").get(0).id();
            store.claim("me", 1, T0, LEASE);
            assertEquals(JobState.PAUSED, store.pause(a, T0).state());
            assertEquals(JobState.PAUSED, store.pause(a, T0).state()); // idempotent
            assertEquals(Set.of(a), store.heartbeat("me", List.of(new JobProgress(a, 1, 2)), T0,
                    LEASE));
            assertEquals(List.of(), store.claim("me", 1, T0, LEASE));
            assertEquals(JobState.QUEUED, store.resume(a, T0).state());
            assertEquals(List.of(a), ids(store.claim("me", 1, T0, LEASE)));
            store.fail("me", new JobProgress(a, 1, 2), new JobFailure("network", "reset"), T0);
            Job failed = store.find(a).orElseThrow();
            assertEquals(JobState.FAILED, failed.state());
            assertEquals("network", failed.failure().orElseThrow().code());
            QueueException e = assertThrows(QueueException.class, () -> store.pause(a, T0));
            assertEquals(QueueException.Code.INVALID_STATE, e.code());
            Job retried = store.resume(a, T0);
            assertEquals(JobState.QUEUED, retried.state());
            assertTrue(retried.failure().isEmpty());
            assertEquals(QueueException.Code.NOT_FOUND,
                    assertThrows(QueueException.class, () -> store.pause(999, T0)).code());
        }
    }

    @Test
    void aPausedJobThatFinishedItsFileIsCompleted() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            long a = add(store, "a").get(0).id();
            store.claim("me", 1, T0, LEASE);
            store.pause(a, T0);
            assertEquals(JobState.COMPLETED, store.complete("me", new JobProgress(a, 5, 5), T0)
                    .orElseThrow().state());
        }
    }

    @Test
    void moveReordersOnlyTheLiveJobs() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            List<Long> ids = ids(add(store, "a", "b", "c", "d"));
            store.claim("me", 1, T0, LEASE); // a
            store.complete("me", new JobProgress(ids.get(0), 1, 1), T0);
            store.move(ids.get(3), 0, T0);
            assertEquals(List.of(ids.get(0), ids.get(3), ids.get(1), ids.get(2)),
                    ids(store.list(JobFilter.all()).jobs()));
            assertEquals(0, store.indexOf(ids.get(3)));
            assertEquals(2, store.indexOf(ids.get(2)));
            assertEquals(-1, store.indexOf(ids.get(0)));
            store.move(ids.get(3), 99, T0);
            assertEquals(List.of(ids.get(1), ids.get(2), ids.get(3)),
                    ids(store.list(JobFilter.all().states(JobState.QUEUED)).jobs()));
            assertEquals(QueueException.Code.INVALID_STATE, assertThrows(QueueException.class,
                    () -> store.move(ids.get(0), 0, T0)).code());
            // later adds still go to the end
            long e = add(store, "e").get(0).id();
            assertEquals(3, store.indexOf(e));
        }
    }

    @Test
    void listFiltersAndPages() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                names.add("f" + i);
            }
            List<Long> ids = ids(add(store, names.toArray(new String[0])));
            store.remove(ids.get(0), false, T0);
            store.pause(ids.get(1), T0);
            JobPage page = store.list(JobFilter.all().page(10, 10));
            assertEquals(24, page.total());
            assertEquals(ids.subList(11, 21), ids(page.jobs()));
            JobPage paused = store.list(JobFilter.all().states(JobState.PAUSED));
            assertEquals(List.of(ids.get(1)), ids(paused.jobs()));
            JobPage removed = store.list(JobFilter.all().states(JobState.REMOVED));
            assertEquals(List.of(ids.get(0)), ids(removed.jobs()));
            assertEquals(1, store.counts().get(JobState.REMOVED));
            assertEquals(0, store.counts().get(JobState.FAILED));
        }
    }

    @Test
    void twoLiveJobsNeverWriteOneFile() {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            long a = add(store, "same").get(0).id();
            QueueException e = assertThrows(QueueException.class, () -> add(store, "same"));
            assertEquals(QueueException.Code.FILE_EXISTS, e.code());
            assertTrue(store.fileTaken(dir.resolve("dl"), "same"));
            store.remove(a, true, T0);
            // still taken until its partial file is deleted
            assertTrue(store.fileTaken(dir.resolve("dl"), "same"));
            assertEquals(List.of(a), ids(store.cleanups()));
            store.cleaned(a);
            assertFalse(store.fileTaken(dir.resolve("dl"), "same"));
            add(store, "same");
        }
    }

    @Test
    void aDatabaseFromANewerHaulIsRefused() throws Exception {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            add(store, "a");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + (SqliteJobStore.SCHEMA_VERSION + 1));
        }
        QueueException e = assertThrows(QueueException.class, () -> SqliteJobStore.open(dir));
        assertEquals(QueueException.Code.STORE, e.code());
        assertTrue(e.getMessage().contains("newer Haul"), e.getMessage());
        // the refusal released the lock
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
             Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + SqliteJobStore.SCHEMA_VERSION);
        }
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            assertEquals(1, store.counts().get(JobState.QUEUED));
        }
    }

    @Test
    void aNewDatabaseIsAtTheCurrentVersion() throws Exception {
        SqliteJobStore.open(dir).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
             Statement s = c.createStatement();
             var rs = s.executeQuery("PRAGMA user_version")) {
            rs.next();
            assertEquals(SqliteJobStore.SCHEMA_VERSION, rs.getInt(1));
            assertEquals(1, SqliteJobStore.SCHEMA_VERSION);
        }
    }

    @Test
    void credentialsLiveInAnOwnerOnlyFileAndOrphansAreDropped() throws Exception {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            store.putCredentials("live", Map.of("Authorization", "Bearer s3cr3t-live"));
            store.putCredentials("orphan", Map.of("Cookie", "c=s3cr3t-orphan"));
            store.insert(List.of(new NewJob(JobRequest.builder("http://example.com/x", dir)
                    .build(), "x", Job.Credentials.STORED, "live")), T0);
            Path file = dir.resolve("credentials.properties");
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(file)));
        }
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            assertEquals("Bearer s3cr3t-live",
                    store.credentials("live").orElseThrow().get("authorization"));
            assertTrue(store.credentials("orphan").isEmpty());
        }
        String db = Files.readString(dir.resolve("queue.db"), StandardCharsets.ISO_8859_1);
        assertFalse(db.contains("s3cr3t"), "no credential in the database");
    }

    @Test
    void aCredentialsFileOthersCanReadIsRefused() throws Exception {
        try (SqliteJobStore store = SqliteJobStore.open(dir)) {
            store.putCredentials("r", Map.of("Authorization", "x"));
        }
        Files.setPosixFilePermissions(dir.resolve("credentials.properties"),
                PosixFilePermissions.fromString("rw-r--r--"));
        QueueException e = assertThrows(QueueException.class, () -> SqliteJobStore.open(dir));
        assertTrue(e.getMessage().contains("readable by others"), e.getMessage());
    }
}
