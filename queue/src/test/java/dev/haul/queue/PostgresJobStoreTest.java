package dev.haul.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.haul.queue.testing.Postgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's store on a real PostgreSQL server (a database per test): claims that never hand
 * one job to two daemons, leases on the database's clock, the per-host connection cap over all
 * daemons, change notifications, migrations. Lease expiry is made by moving a lease into the
 * past in SQL, not by waiting.
 */
@Timeout(60)
class PostgresJobStoreTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration LEASE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Postgres db;
    private final List<PostgresJobStore> opened = new ArrayList<>();

    @BeforeEach
    void database() throws Exception {
        db = Postgres.fresh();
    }

    @AfterEach
    void drop() throws Exception {
        opened.forEach(PostgresJobStore::close);
        if (db != null) {
            db.close();
        }
    }

    private PostgresJobStore open(int cap) {
        PostgresJobStore s = PostgresJobStore.open(db.url(), cap);
        opened.add(s);
        return s;
    }

    private NewJob job(String url, String name, int connections) {
        return new NewJob(JobRequest.builder(url, dir).connections(connections).build(), name,
                Job.Credentials.NONE, null);
    }

    private List<Job> add(PostgresJobStore store, int n, String host, int connections) {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = host + "-" + i + "-" + System.nanoTime();
            jobs.add(job("http://" + host + "/" + name, name, connections));
        }
        return store.insert(jobs, T0);
    }

    /** Moves every lease and connection hold of {@code id} into the past: its daemon died. */
    private void expire(long id) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE haul_jobs SET lease_until = now() - interval '1 second',"
                    + " slot_until = now() - interval '1 second' WHERE id = " + id);
        }
    }

    @Test
    void insertsReadsBackAndKeepsTheQueueOrder() {
        PostgresJobStore store = open(0);
        List<Job> jobs = store.insert(List.of(new NewJob(JobRequest.builder(
                "http://example.com/a.iso", dir).header("X-Trace", "1")
                .mirror(java.net.URI.create("http://mirror.example/a.iso"))
                .expectedSha256("AB".repeat(32)).maxBytesPerSecond(1000).connections(4)
                .key("k-1").build(), "a.iso", Job.Credentials.NONE, null),
                job("http://example.com/b", "b", 0)), T0);
        Job a = store.find(jobs.get(0).id()).orElseThrow();
        assertEquals(JobState.QUEUED, a.state());
        assertEquals(dir.resolve("a.iso"), a.file());
        assertEquals("1", a.request().headers().get("x-trace"));
        assertEquals("ab".repeat(32), a.request().expectedSha256());
        assertEquals(4, a.request().connections());
        assertEquals(a.id(), store.findByKey("k-1").orElseThrow().id());
        assertTrue(jobs.get(1).position() > a.position());
        JobPage page = store.list(JobFilter.all());
        assertEquals(2, page.total());
        assertEquals(List.of(a.id(), jobs.get(1).id()), page.jobs().stream().map(Job::id).toList());
        assertEquals(2, store.list(JobFilter.all().page(5, 10)).total());
        assertEquals(2L, store.counts().get(JobState.QUEUED));
        QueueException dup = assertThrows(QueueException.class, () -> store.insert(
                List.of(job("http://example.com/c", "a.iso", 0)), T0));
        assertEquals(QueueException.Code.FILE_EXISTS, dup.code());
        QueueException key = assertThrows(QueueException.class, () -> store.insert(List.of(
                new NewJob(JobRequest.builder("http://example.com/d", dir).key("k-1").build(),
                        "d", Job.Credentials.NONE, null)), T0));
        assertEquals(QueueException.Code.STORE, key.code());
        assertEquals(2, store.list(JobFilter.all()).total(), "a refused batch adds nothing");
    }

    @Test
    void daemonsClaimingAtOnceNeverGetTheSameJob() throws Exception {
        PostgresJobStore first = open(0);
        List<Job> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.addAll(add(first, 50, "h" + i + ".example", 1));
        }
        int daemons = 4;
        List<PostgresJobStore> stores = new ArrayList<>();
        for (int i = 0; i < daemons; i++) {
            stores.add(open(0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(daemons);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<Long>>> results = new ArrayList<>();
        try {
            for (int i = 0; i < daemons; i++) {
                PostgresJobStore s = stores.get(i);
                String owner = "w" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    List<Long> mine = new ArrayList<>();
                    while (true) {
                        List<Job> got = s.claim(owner, 3, T0, LEASE);
                        if (got.isEmpty()) {
                            return mine;
                        }
                        for (Job j : got) {
                            assertEquals(owner, j.worker().orElseThrow());
                            mine.add(j.id());
                        }
                    }
                }));
            }
            go.countDown();
            List<Long> claimed = new ArrayList<>();
            for (Future<List<Long>> f : results) {
                claimed.addAll(f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(all.size(), claimed.size(), "every job claimed once");
            assertEquals(all.size(), new HashSet<>(claimed).size(), "no job claimed twice");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDeadDaemonsJobIsClaimedAgainWhenItsLeaseEndsAndNotBefore() throws Exception {
        PostgresJobStore a = open(0);
        PostgresJobStore b = open(0);
        long id = add(a, 1, "example.com", 1).get(0).id();
        assertEquals(List.of(id), a.claim("a", 5, T0, LEASE).stream().map(Job::id).toList());
        assertTrue(b.claim("b", 5, T0, LEASE).isEmpty(), "a live lease is respected");
        assertEquals(Set.of(), a.heartbeat("a", List.of(new JobProgress(id, 10, 100)), T0,
                LEASE));
        expire(id);
        List<Job> taken = b.claim("b", 5, T0, LEASE);
        assertEquals(1, taken.size());
        assertEquals(10, taken.get(0).bytesDone());
        assertEquals(2, taken.get(0).attempts());
        assertEquals("b", taken.get(0).worker().orElseThrow());
        // the old owner hears it lost the job and cannot finish it
        assertEquals(Set.of(id), a.heartbeat("a", List.of(new JobProgress(id, 20, 100)), T0,
                LEASE));
        assertTrue(a.complete("a", new JobProgress(id, 100, 100), T0).isEmpty());
        assertEquals(10, b.find(id).orElseThrow().bytesDone(), "a lost heartbeat writes nothing");
        Job done = b.complete("b", new JobProgress(id, 100, 100), T0).orElseThrow();
        assertEquals(JobState.COMPLETED, done.state());
        assertTrue(done.worker().isEmpty());
    }

    @Test
    void connectionsToOneHostNeverExceedTheCapOverEveryDaemon() throws Exception {
        PostgresJobStore a = open(4);
        PostgresJobStore b = open(4);
        List<Job> big = add(a, 3, "busy.example", 3); // each asks for 3 of the host's 4
        List<Job> other = add(a, 1, "quiet.example", 0);
        List<Job> gotA = a.claim("a", 1, T0, LEASE);
        assertEquals(List.of(big.get(0).id()), gotA.stream().map(Job::id).toList());
        assertEquals(3, gotA.get(0).grantedConnections());
        List<Job> gotB = b.claim("b", 5, T0, LEASE);
        // the second big job gets the one connection left; the third waits; the other host's
        // job is not held up behind them
        assertEquals(List.of(big.get(1).id(), other.get(0).id()),
                gotB.stream().map(Job::id).toList());
        assertEquals(1, gotB.get(0).grantedConnections());
        assertEquals(2, gotB.get(1).grantedConnections(),
                "a job of unknown size and connections takes half of what is free");
        assertTrue(a.claim("a", 5, T0, LEASE).isEmpty(), "busy.example is full");
        assertEquals(4, held("busy.example"));

        // a paused job's download runs until its daemon hears of it: its connections count on
        a.pause(big.get(0).id(), T0);
        assertTrue(b.claim("b", 5, T0, LEASE).isEmpty(), "held until the download stops");
        assertEquals(Set.of(big.get(0).id()), a.heartbeat("a",
                List.of(new JobProgress(big.get(0).id(), 5, -1)), T0, LEASE));
        a.stopped("a", big.get(0).id());
        List<Job> third = b.claim("b", 5, T0, LEASE);
        assertEquals(List.of(big.get(2).id()), third.stream().map(Job::id).toList());
        assertEquals(3, third.get(0).grantedConnections());
        assertEquals(4, held("busy.example"));

        // a dead daemon's holds end with its lease
        expire(big.get(1).id());
        assertEquals(3, held("busy.example"));
        // completing gives the connections back
        b.complete("b", new JobProgress(third.get(0).id(), 1, 1), T0).orElseThrow();
        assertEquals(0, held("busy.example"));
        // the expired job is taken over, with what is free now
        List<Job> again = a.claim("a", 5, T0, LEASE);
        assertEquals(List.of(big.get(1).id()), again.stream().map(Job::id).toList());
        assertEquals(3, again.get(0).grantedConnections());
    }

    @Test
    void aSmallJobAsksForOneConnection() throws Exception {
        PostgresJobStore a = open(8);
        List<Job> jobs = add(a, 2, "cdn.example", 0);
        // its size is known from an earlier attempt: below the split threshold
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE haul_jobs SET total_bytes = 16384 WHERE id = "
                    + jobs.get(0).id());
        }
        List<Job> got = a.claim("a", 5, T0, LEASE);
        assertEquals(1, got.get(0).grantedConnections());
        assertEquals(3, got.get(1).grantedConnections(), "half of the 7 left, rounded down");
        assertEquals(4, held("cdn.example"));
        // the second one's size arrives with a heartbeat: too small to split, it keeps one
        assertEquals(Set.of(), a.heartbeat("a", List.of(new JobProgress(got.get(1).id(), 10,
                500_000)), T0, LEASE));
        assertEquals(2, held("cdn.example"));
        // a big one keeps its grant
        List<Job> big = add(a, 1, "cdn.example", 4);
        Job third = a.claim("a", 5, T0, LEASE).get(0);
        assertEquals(big.get(0).id(), third.id());
        assertEquals(4, third.grantedConnections());
        a.heartbeat("a", List.of(new JobProgress(third.id(), 10, 64L << 20)), T0, LEASE);
        assertEquals(6, held("cdn.example"));
    }

    /** Connections held on {@code host}, counted in SQL as the claim counts them. */
    private int held(String host) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(slots), 0) FROM haul_jobs"
                     + " WHERE origin = 'http://" + host + ":80' AND slot_owner IS NOT NULL"
                     + " AND slot_until >= clock_timestamp()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void concurrentClaimsOnOneHostNeverOverGrant() throws Exception {
        // More jobs than one claim's window, so claims running at once lock different rows of
        // one host and only the host's advisory lock keeps them from granting the same room.
        int jobs = 300;
        PostgresJobStore first = open(5);
        add(first, jobs, "one.example", 2);
        int daemons = 4;
        List<PostgresJobStore> stores = new ArrayList<>();
        for (int i = 0; i < daemons; i++) {
            stores.add(open(5));
        }
        ExecutorService pool = Executors.newFixedThreadPool(daemons);
        CountDownLatch go = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger done =
                new java.util.concurrent.atomic.AtomicInteger();
        List<Integer> samples = Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> results = new ArrayList<>();
        try {
            for (int i = 0; i < daemons; i++) {
                PostgresJobStore s = stores.get(i);
                String owner = "w" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    for (int round = 0; round < 5_000 && done.get() < jobs; round++) {
                        for (Job j : s.claim(owner, 2, T0, LEASE)) {
                            samples.add(held("one.example"));
                            s.complete(owner, new JobProgress(j.id(), 1, 1), T0).orElseThrow(
                                    () -> new AssertionError("claimed twice: " + j));
                            done.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : results) {
                f.get(50, TimeUnit.SECONDS);
            }
            assertEquals(jobs, done.get());
            assertEquals((long) jobs, first.counts().get(JobState.COMPLETED));
            assertFalse(samples.isEmpty());
            assertTrue(samples.stream().allMatch(n -> n <= 5), "held at most 5: " + samples);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void otherDaemonsChangesArriveAsNotifications() {
        PostgresJobStore a = open(0);
        PostgresJobStore b = open(0);
        b.changes(); // nothing yet
        long id = add(a, 1, "example.com", 1).get(0).id();
        a.claim("a", 1, T0, LEASE);
        List<Job> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen.isEmpty() && System.nanoTime() < deadline) {
            seen.addAll(b.changes());
        }
        assertEquals(List.of(id), seen.stream().map(Job::id).distinct().toList());
        assertEquals(JobState.ACTIVE, seen.get(seen.size() - 1).state());
        assertEquals("a", seen.get(seen.size() - 1).worker().orElseThrow());
    }

    @Test
    void commandsFromAnyDaemonAndCredentials() {
        PostgresJobStore a = open(0);
        PostgresJobStore b = open(0);
        List<Job> jobs = add(a, 3, "example.com", 1);
        long id = jobs.get(2).id();
        b.move(id, 0, T0);
        assertEquals(0, a.indexOf(id));
        assertEquals(JobState.PAUSED, b.pause(id, T0).state());
        assertEquals(JobState.QUEUED, a.resume(id, T0).state());
        Job removed = b.remove(id, true, T0);
        assertEquals(JobState.REMOVED, removed.state());
        assertEquals(-1, a.indexOf(id));
        assertEquals(List.of(id), a.cleanups().stream().map(Job::id).toList());
        a.cleaned(id);
        assertTrue(b.cleanups().isEmpty());
        QueueException gone = assertThrows(QueueException.class, () -> a.pause(999_999, T0));
        assertEquals(QueueException.Code.NOT_FOUND, gone.code());

        a.putCredentials("ref-1", Map.of("authorization", "Bearer x"));
        assertEquals(Map.of("authorization", "Bearer x"), b.credentials("ref-1").orElseThrow());
        b.deleteCredentials("ref-1");
        assertTrue(a.credentials("ref-1").isEmpty());
    }

    @Test
    void aLostConnectionFailsOneCallAndTheNextReconnects() throws Exception {
        PostgresJobStore a = open(0);
        PostgresJobStore b = open(0);
        long id = add(a, 1, "example.com", 1).get(0).id();
        // the server ends every session of this database but the test's own, as a restart or
        // an administrator's pg_terminate_backend would
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND pid <> pg_backend_pid()").close();
            // pg_terminate_backend only signals: wait (bounded) until the sessions are gone
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int left = -1;
            while (left != 0 && System.nanoTime() < until) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
                    rs.next();
                    left = rs.getInt(1);
                }
            }
            assertEquals(0, left, "the sessions ended");
        }
        QueueException lost = assertThrows(QueueException.class, () -> a.find(id));
        assertEquals(QueueException.Code.STORE, lost.code());
        assertEquals(JobState.QUEUED, a.find(id).orElseThrow().state(), "reconnected");
        // a claim on the new connections, and the other store still hears of it
        assertThrows(QueueException.class, b::changes);
        b.changes();
        assertEquals(1, a.claim("a", 1, T0, LEASE).size());
        List<Job> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (seen.isEmpty() && System.nanoTime() < deadline) {
            seen.addAll(b.changes());
        }
        assertEquals(JobState.ACTIVE, seen.get(seen.size() - 1).state());
    }

    @Test
    void theSchemaIsMigratedOnceAndANewerOneIsRefused() throws Exception {
        open(0);
        open(0);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*), MAX(version) FROM haul_schema")) {
                rs.next();
                assertEquals(PostgresJobStore.SCHEMA_VERSION, rs.getInt(1));
                assertEquals(PostgresJobStore.SCHEMA_VERSION, rs.getInt(2));
            }
            s.executeUpdate("INSERT INTO haul_schema (version) VALUES (99)");
        }
        QueueException e = assertThrows(QueueException.class, () -> open(0));
        assertEquals(QueueException.Code.STORE, e.code());
        assertTrue(e.getMessage().contains("newer Haul"), e.getMessage());
    }

    @Test
    void urlsInLibpqFormBecomeJdbcUrlsAndPasswordsNeverShow() {
        Properties p = new Properties();
        assertEquals("jdbc:postgresql://db.example:5433/queue?sslmode=require",
                PostgresJobStore.jdbcUrl("postgresql://haul:s%40cret@db.example:5433/queue"
                        + "?sslmode=require", p));
        assertEquals("haul", p.getProperty("user"));
        assertEquals("s@cret", p.getProperty("password"));
        assertEquals("postgresql://haul:***@db.example/q",
                PostgresJobStore.redact("postgresql://haul:s3cret@db.example/q"));
        QueueException e = assertThrows(QueueException.class,
                () -> PostgresJobStore.jdbcUrl("mysql://u:pw@h/db", new Properties()));
        assertFalse(e.getMessage().contains("pw"), e.getMessage());
        QueueException down = assertThrows(QueueException.class,
                () -> PostgresJobStore.open("postgresql://nobody@127.0.0.1:1/none"));
        assertEquals(QueueException.Code.STORE, down.code());
    }
}
