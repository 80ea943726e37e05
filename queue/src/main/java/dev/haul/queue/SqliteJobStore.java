package dev.haul.queue;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The default {@link JobStore}: an embedded SQLite database, {@code queue.db}, in a directory of
 * its own (by default {@link #defaultDirectory()}), as Android's DownloadManager keeps its queue.
 *
 * <h2>The directory</h2>
 * <ul>
 *   <li>{@code queue.db} (with {@code -wal} and {@code -shm} while open): the jobs. No credential
 *       is ever written here.
 *   <li>{@code queue.lock}: held by the process that has the store open; see {@link StoreLock}.
 *   <li>{@code credentials.properties}: owner-only, the credentials callers allowed to keep.
 * </ul>
 * The directory is created {@code 0700}.
 *
 * <h2>Durability</h2>
 * Write-ahead logging with {@code synchronous=FULL}: a method that returned has its transaction on
 * disk, and a crash (even {@code kill -9} or a power cut) leaves every transaction whole or
 * absent. The schema is versioned ({@code PRAGMA user_version}) and migrated forward in one
 * transaction when the store opens; a database from a newer Haul is refused, not guessed at.
 *
 * <h2>Leases</h2>
 * One process at a time opens a store, so the leases of active jobs found on opening belong to a
 * process that is gone: they are expired at once, and the next {@link #claim} resumes those jobs
 * first.
 */
public final class SqliteJobStore implements JobStore {

    /** The schema migrations, in order: element {@code i} takes the schema to version i + 1. */
    private static final List<List<String>> MIGRATIONS = List.of(
            List.of(
                """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    idempotency_key TEXT UNIQUE,
                    url TEXT NOT NULL,
                    mirrors TEXT NOT NULL DEFAULT '',
                    directory TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    headers TEXT NOT NULL DEFAULT '',
                    sha256 TEXT,
                    max_bytes_per_second INTEGER NOT NULL DEFAULT 0,
                    connections INTEGER NOT NULL DEFAULT 0,
                    credentials TEXT NOT NULL DEFAULT 'none',
                    credentials_ref TEXT,
                    state TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    failure_code TEXT,
                    failure_message TEXT,
                    bytes_done INTEGER NOT NULL DEFAULT 0,
                    total_bytes INTEGER NOT NULL DEFAULT -1,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    owner TEXT,
                    lease_until INTEGER NOT NULL DEFAULT 0,
                    delete_partial INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    finished_at INTEGER
                )""",
                "CREATE INDEX jobs_by_position ON jobs (position, id)",
                "CREATE INDEX jobs_by_state ON jobs (state, position, id)",
                // No two live jobs write one file: the database, not only the code, says so.
                "CREATE UNIQUE INDEX jobs_live_file ON jobs (directory, file_name)"
                        + " WHERE state IN ('queued', 'active', 'paused')",
                "CREATE INDEX jobs_cleanup ON jobs (delete_partial) WHERE delete_partial = 1"));

    /** The schema version this code writes. */
    public static final int SCHEMA_VERSION = MIGRATIONS.size();

    private static final String COLUMNS = "id, idempotency_key, url, mirrors, directory, "
            + "file_name, headers, sha256, max_bytes_per_second, connections, credentials, "
            + "credentials_ref, "
            + "state, position, failure_code, failure_message, bytes_done, total_bytes, "
            + "attempts, created_at, updated_at, finished_at, owner, 0 AS slots";
    private static final String LIVE = "('queued', 'active', 'paused')";

    private final Path directory;
    private final StoreLock lock;
    private final Connection db;
    private final CredentialsFile credentials;
    private boolean closed;

    private SqliteJobStore(Path directory, StoreLock lock, Connection db,
            CredentialsFile credentials) {
        this.directory = directory;
        this.lock = lock;
        this.db = db;
        this.credentials = credentials;
    }

    /**
     * Where the queue lives when no directory is given: {@code $XDG_DATA_HOME/haul}, or
     * {@code ~/.local/share/haul} when that variable is unset or not absolute (XDG Base
     * Directory specification).
     *
     * @return the default directory
     */
    public static Path defaultDirectory() {
        String xdg = System.getenv("XDG_DATA_HOME");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "haul");
        }
        return Path.of(System.getProperty("user.home"), ".local", "share", "haul");
    }

    /**
     * Opens (creating if needed) the store in {@code directory}, locking it for this process.
     *
     * @param directory the store's directory
     * @return the open store
     * @throws QueueException {@link QueueException.Code#LOCKED} if another process has it open,
     *     {@link QueueException.Code#STORE} if it cannot be opened or is from a newer Haul
     */
    public static SqliteJobStore open(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        try {
            OwnerOnlyFiles.createDirectories(dir);
        } catch (IOException e) {
            throw new QueueException(QueueException.Code.STORE, "cannot create " + dir + ": "
                    + e.getMessage(), e);
        }
        StoreLock lock = StoreLock.acquire(dir.resolve("queue.lock"));
        Connection db = null;
        try {
            CredentialsFile creds = CredentialsFile.load(dir.resolve("credentials.properties"));
            db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("queue.db"));
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
                s.execute("PRAGMA foreign_keys = ON");
            }
            migrate(db);
            db.setAutoCommit(false);
            SqliteJobStore store = new SqliteJobStore(dir, lock, db, creds);
            store.openLeases();
            return store;
        } catch (SQLException | IOException | RuntimeException e) {
            try {
                if (db != null) {
                    db.close();
                }
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            lock.close();
            if (e instanceof QueueException q) {
                throw q;
            }
            throw new QueueException(QueueException.Code.STORE, "cannot open the queue in " + dir
                    + ": " + e.getMessage(), e);
        }
    }

    private static void migrate(Connection db) throws SQLException {
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            int version;
            try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            if (version > SCHEMA_VERSION) {
                throw new QueueException(QueueException.Code.STORE, "the queue's database is "
                        + "version " + version + ", from a newer Haul; this one reads up to "
                        + SCHEMA_VERSION);
            }
            for (int v = version; v < SCHEMA_VERSION; v++) {
                for (String sql : MIGRATIONS.get(v)) {
                    s.execute(sql);
                }
            }
            // user_version lives in the database header: it commits with the migration.
            s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            db.commit();
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        }
    }

    /** Expires the leases left by the previous owner (see the class comment), drops orphans. */
    private void openLeases() throws SQLException, IOException {
        try (Statement s = db.createStatement()) {
            s.executeUpdate("UPDATE jobs SET lease_until = 0 WHERE state = 'active'");
        }
        List<String> refs = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT credentials_ref FROM jobs"
                     + " WHERE credentials = 'stored' AND state IN " + LIVE)) {
            while (rs.next()) {
                refs.add(rs.getString(1));
            }
        }
        db.commit();
        // Written before their job's insert committed, or left when a finished job's delete
        // did not happen: credentials no live job refers to are forgotten.
        credentials.retainOnly(refs);
    }

    /**
     * The store's directory.
     *
     * @return the directory
     */
    public Path directory() {
        return directory;
    }

    // ---------------------------------------------------------------- adding and reading

    @Override
    public synchronized List<Job> insert(List<NewJob> jobs, Instant now) {
        return transaction(() -> {
            long position;
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(position), 0) FROM jobs")) {
                position = rs.next() ? rs.getLong(1) : 0;
            }
            List<Long> ids = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO jobs (idempotency_key, "
                    + "url, mirrors, directory, file_name, headers, sha256, max_bytes_per_second, "
                    + "connections, credentials, credentials_ref, state, position, created_at, "
                    + "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                for (NewJob j : jobs) {
                    JobRequest r = j.request();
                    int i = 0;
                    ps.setString(++i, r.key());
                    ps.setString(++i, r.uri().toString());
                    ps.setString(++i, Codec.mirrors(r.mirrors()));
                    ps.setString(++i, r.directory().toString());
                    ps.setString(++i, j.fileName());
                    ps.setString(++i, Codec.headers(r.headers()));
                    ps.setString(++i, r.expectedSha256());
                    ps.setLong(++i, r.maxBytesPerSecond());
                    ps.setInt(++i, r.connections());
                    ps.setString(++i, Codec.name(j.credentials()));
                    ps.setString(++i, j.credentialsRef());
                    ps.setString(++i, (r.paused() ? JobState.PAUSED : JobState.QUEUED).wireName());
                    ps.setLong(++i, ++position);
                    ps.setLong(++i, now.toEpochMilli());
                    ps.setLong(++i, now.toEpochMilli());
                    try {
                        ps.executeUpdate();
                    } catch (SQLException e) {
                        throw constraint(e, j);
                    }
                    try (ResultSet keys = ps.getGeneratedKeys()) {
                        keys.next();
                        ids.add(keys.getLong(1));
                    }
                }
            }
            List<Job> added = new ArrayList<>();
            for (long id : ids) {
                added.add(read(id).orElseThrow());
            }
            return added;
        });
    }

    private static RuntimeException constraint(SQLException e, NewJob j) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("jobs.idempotency_key")) {
            return new QueueException(QueueException.Code.STORE, "key already used: "
                    + j.request().key(), e);
        }
        if (m.contains("UNIQUE")) {
            return new QueueException(QueueException.Code.FILE_EXISTS, "another job writes "
                    + j.request().directory().resolve(j.fileName()), e);
        }
        return new QueueException(QueueException.Code.STORE, "cannot add a job: " + m, e);
    }

    @Override
    public synchronized Optional<Job> find(long id) {
        return transaction(() -> read(id));
    }

    @Override
    public synchronized Optional<Job> findByKey(String key) {
        return transaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                    + " FROM jobs WHERE idempotency_key = ?")) {
                ps.setString(1, key);
                return one(ps);
            }
        });
    }

    @Override
    public synchronized JobPage list(JobFilter filter) {
        return transaction(() -> {
            String where = " WHERE state IN " + StoreSql.placeholders(filter.states().size());
            long total;
            try (PreparedStatement ps = db.prepareStatement("SELECT COUNT(*) FROM jobs" + where)) {
                StoreSql.bindStates(ps, filter.states(), 1);
                try (ResultSet rs = ps.executeQuery()) {
                    total = rs.next() ? rs.getLong(1) : 0;
                }
            }
            List<Job> jobs = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS + " FROM jobs"
                    + where + " ORDER BY position, id LIMIT ? OFFSET ?")) {
                int i = StoreSql.bindStates(ps, filter.states(), 1);
                ps.setInt(i++, filter.limit());
                ps.setLong(i, filter.offset());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        jobs.add(job(rs));
                    }
                }
            }
            return new JobPage(jobs, total, filter.offset(), filter.limit());
        });
    }

    @Override
    public synchronized Map<JobState, Long> counts() {
        return transaction(() -> {
            Map<JobState, Long> counts = new EnumMap<>(JobState.class);
            for (JobState s : JobState.values()) {
                counts.put(s, 0L);
            }
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("SELECT state, COUNT(*) FROM jobs GROUP BY state")) {
                while (rs.next()) {
                    counts.put(JobState.parse(rs.getString(1)), rs.getLong(2));
                }
            }
            return counts;
        });
    }

    @Override
    public synchronized boolean fileTaken(Path dir, String fileName) {
        return transaction(() -> {
            // a removed job whose partial file is still to be deleted holds its name until then
            try (PreparedStatement ps = db.prepareStatement("SELECT 1 FROM jobs WHERE directory = ?"
                    + " AND file_name = ? AND (state IN " + LIVE + " OR delete_partial = 1)")) {
                ps.setString(1, dir.toString());
                ps.setString(2, fileName);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    // ---------------------------------------------------------------- work: claim, lease, finish

    @Override
    public synchronized List<Job> claim(String owner, int max, Instant now, Duration lease) {
        if (max <= 0) {
            return List.of();
        }
        return transaction(() -> {
            List<Long> ids = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("SELECT id FROM jobs"
                    + " WHERE state = 'queued' OR (state = 'active' AND lease_until < ?)"
                    + " ORDER BY CASE state WHEN 'active' THEN 0 ELSE 1 END, position, id"
                    + " LIMIT ?")) {
                ps.setLong(1, now.toEpochMilli());
                ps.setInt(2, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            List<Job> claimed = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = 'active',"
                    + " owner = ?, lease_until = ?, attempts = attempts + 1, failure_code = NULL,"
                    + " failure_message = NULL, updated_at = ? WHERE id = ?")) {
                for (long id : ids) {
                    ps.setString(1, owner);
                    ps.setLong(2, now.plus(lease).toEpochMilli());
                    ps.setLong(3, now.toEpochMilli());
                    ps.setLong(4, id);
                    ps.executeUpdate();
                    claimed.add(read(id).orElseThrow());
                }
            }
            return claimed;
        });
    }

    @Override
    public synchronized Set<Long> heartbeat(String owner, Collection<JobProgress> progress,
            Instant now, Duration lease) {
        if (progress.isEmpty()) {
            return Set.of();
        }
        return transaction(() -> {
            Set<Long> lost = new HashSet<>();
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET bytes_done = ?,"
                    + " total_bytes = ?, lease_until = ?, updated_at = ?"
                    + " WHERE id = ? AND state = 'active' AND owner = ?")) {
                for (JobProgress p : progress) {
                    ps.setLong(1, p.bytesDone());
                    ps.setLong(2, p.totalBytes());
                    ps.setLong(3, now.plus(lease).toEpochMilli());
                    ps.setLong(4, now.toEpochMilli());
                    ps.setLong(5, p.id());
                    ps.setString(6, owner);
                    if (ps.executeUpdate() == 0) {
                        lost.add(p.id());
                    }
                }
            }
            return lost;
        });
    }

    @Override
    public synchronized Optional<Job> complete(String owner, JobProgress progress, Instant now) {
        return transaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = 'completed',"
                    + " owner = NULL, lease_until = 0, bytes_done = ?, total_bytes = ?,"
                    + " failure_code = NULL, failure_message = NULL, updated_at = ?,"
                    + " finished_at = ? WHERE id = ?"
                    + " AND ((state = 'active' AND owner = ?) OR state = 'paused')")) {
                ps.setLong(1, progress.bytesDone());
                ps.setLong(2, progress.totalBytes());
                ps.setLong(3, now.toEpochMilli());
                ps.setLong(4, now.toEpochMilli());
                ps.setLong(5, progress.id());
                ps.setString(6, owner);
                return ps.executeUpdate() == 0 ? Optional.empty() : read(progress.id());
            }
        });
    }

    @Override
    public synchronized Optional<Job> fail(String owner, JobProgress progress, JobFailure failure,
            Instant now) {
        return transaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = 'failed',"
                    + " owner = NULL, lease_until = 0, bytes_done = ?, total_bytes = ?,"
                    + " failure_code = ?, failure_message = ?, updated_at = ?, finished_at = ?"
                    + " WHERE id = ? AND state = 'active' AND owner = ?")) {
                ps.setLong(1, progress.bytesDone());
                ps.setLong(2, progress.totalBytes());
                ps.setString(3, failure.code());
                ps.setString(4, failure.message());
                ps.setLong(5, now.toEpochMilli());
                ps.setLong(6, now.toEpochMilli());
                ps.setLong(7, progress.id());
                ps.setString(8, owner);
                return ps.executeUpdate() == 0 ? Optional.empty() : read(progress.id());
            }
        });
    }

    @Override
    public synchronized List<Job> release(String owner, Collection<JobProgress> progress,
            Instant now) {
        return transaction(() -> {
            List<Job> released = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = 'queued',"
                    + " owner = NULL, lease_until = 0, bytes_done = ?, total_bytes = ?,"
                    + " updated_at = ? WHERE id = ? AND state = 'active' AND owner = ?")) {
                for (JobProgress p : progress) {
                    ps.setLong(1, p.bytesDone());
                    ps.setLong(2, p.totalBytes());
                    ps.setLong(3, now.toEpochMilli());
                    ps.setLong(4, p.id());
                    ps.setString(5, owner);
                    if (ps.executeUpdate() > 0) {
                        released.add(read(p.id()).orElseThrow());
                    }
                }
            }
            return released;
        });
    }

    @Override
    public synchronized void recordProgress(JobProgress progress, Instant now) {
        transaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET bytes_done = ?,"
                    + " total_bytes = ?, updated_at = ? WHERE id = ? AND state <> 'completed'")) {
                ps.setLong(1, progress.bytesDone());
                ps.setLong(2, progress.totalBytes());
                ps.setLong(3, now.toEpochMilli());
                ps.setLong(4, progress.id());
                ps.executeUpdate();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- commands

    @Override
    public synchronized Job pause(long id, Instant now) {
        return transaction(() -> {
            Job job = read(id).orElseThrow(() -> QueueException.notFound(id));
            if (job.state() == JobState.PAUSED) {
                return job;
            }
            StoreSql.requireState(job, "pause", JobState.QUEUED, JobState.ACTIVE);
            setState(id, JobState.PAUSED, now);
            return read(id).orElseThrow();
        });
    }

    @Override
    public synchronized Job resume(long id, Instant now) {
        return transaction(() -> {
            Job job = read(id).orElseThrow(() -> QueueException.notFound(id));
            if (job.state() == JobState.QUEUED || job.state() == JobState.ACTIVE) {
                return job;
            }
            StoreSql.requireState(job, "resume", JobState.PAUSED, JobState.FAILED);
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = 'queued',"
                    + " failure_code = NULL, failure_message = NULL, finished_at = NULL,"
                    + " updated_at = ? WHERE id = ?")) {
                ps.setLong(1, now.toEpochMilli());
                ps.setLong(2, id);
                try {
                    ps.executeUpdate();
                } catch (SQLException e) {
                    // a failed job's file was given to a newer job meanwhile
                    throw new QueueException(QueueException.Code.FILE_EXISTS, "another job "
                            + "writes " + job.file() + " now", e);
                }
            }
            return read(id).orElseThrow();
        });
    }

    @Override
    public synchronized Job move(long id, long index, Instant now) {
        if (index < 0) {
            throw new IllegalArgumentException("index < 0: " + index);
        }
        return transaction(() -> {
            Job job = read(id).orElseThrow(() -> QueueException.notFound(id));
            StoreSql.requireState(job, "move", JobState.QUEUED, JobState.ACTIVE, JobState.PAUSED);
            List<long[]> live = new ArrayList<>(); // {id, position} in queue order
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, position FROM jobs WHERE state IN "
                         + LIVE + " ORDER BY position, id")) {
                while (rs.next()) {
                    live.add(new long[] {rs.getLong(1), rs.getLong(2)});
                }
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE jobs SET position = ?, updated_at = ? WHERE id = ?")) {
                List<long[]> moves = StoreSql.reorder(live, id, index);
                for (long[] m : moves) {
                    ps.setLong(1, m[1]);
                    ps.setLong(2, now.toEpochMilli());
                    ps.setLong(3, m[0]);
                    ps.addBatch();
                }
                if (!moves.isEmpty()) {
                    ps.executeBatch();
                }
            }
            return read(id).orElseThrow();
        });
    }

    @Override
    public synchronized Job update(long id, JobRequest r, Instant now) {
        return transaction(() -> {
            Job job = read(id).orElseThrow(() -> QueueException.notFound(id));
            StoreSql.requireState(job, "change", JobState.QUEUED, JobState.ACTIVE, JobState.PAUSED,
                    JobState.FAILED);
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET " + StoreSql.CHANGE
                    + ", updated_at = ? WHERE id = ?")) {
                int i = StoreSql.bindChange(ps, r, 1);
                ps.setLong(i++, now.toEpochMilli());
                ps.setLong(i, id);
                ps.executeUpdate();
            }
            return read(id).orElseThrow();
        });
    }

    @Override
    public synchronized long indexOf(long id) {
        return transaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT COUNT(*) FROM jobs j, jobs me"
                    + " WHERE me.id = ? AND me.state IN " + LIVE + " AND j.state IN " + LIVE
                    + " AND (j.position < me.position"
                    + " OR (j.position = me.position AND j.id < me.id))")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    long before = rs.next() ? rs.getLong(1) : 0;
                    Optional<Job> job = read(id);
                    return job.isPresent() && job.get().state().live() ? before : -1L;
                }
            }
        });
    }

    @Override
    public synchronized Job remove(long id, boolean deletePartial, Instant now) {
        return transaction(() -> {
            Job job = read(id).orElseThrow(() -> QueueException.notFound(id));
            if (job.state() == JobState.REMOVED) {
                return job;
            }
            boolean partial = deletePartial && job.state() != JobState.COMPLETED;
            try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = 'removed',"
                    + " owner = NULL, lease_until = 0, delete_partial = ?, updated_at = ?"
                    + " WHERE id = ?")) {
                ps.setInt(1, partial ? 1 : 0);
                ps.setLong(2, now.toEpochMilli());
                ps.setLong(3, id);
                ps.executeUpdate();
            }
            return read(id).orElseThrow();
        });
    }

    @Override
    public synchronized List<Job> cleanups() {
        return transaction(() -> {
            List<Job> jobs = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("SELECT " + COLUMNS
                         + " FROM jobs WHERE delete_partial = 1")) {
                while (rs.next()) {
                    jobs.add(job(rs));
                }
            }
            return jobs;
        });
    }

    @Override
    public synchronized void cleaned(long id) {
        transaction(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE jobs SET delete_partial = 0 WHERE id = ?")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- credentials

    @Override
    public void putCredentials(String ref, Map<String, String> secrets) {
        try {
            credentials.put(ref, secrets);
        } catch (IOException e) {
            throw new QueueException(QueueException.Code.STORE, "cannot keep credentials: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Map<String, String>> credentials(String ref) {
        return credentials.get(ref);
    }

    @Override
    public void deleteCredentials(String ref) {
        try {
            credentials.delete(ref);
        } catch (IOException e) {
            throw new QueueException(QueueException.Code.STORE, "cannot delete credentials: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            db.close();
        } catch (SQLException e) {
            // the WAL is checkpointed on the next open
        } finally {
            lock.close();
        }
    }

    // ---------------------------------------------------------------- plumbing

    /** A unit of work on the connection, run as one transaction. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    private <T> T transaction(Work<T> work) {
        if (closed) {
            throw new QueueException(QueueException.Code.CLOSED, "the queue's store is closed");
        }
        try {
            T result = work.run();
            db.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            try {
                db.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new QueueException(QueueException.Code.STORE, "queue database: "
                    + e.getMessage(), e);
        }
    }

    private void setState(long id, JobState state, Instant now) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("UPDATE jobs SET state = ?, owner = NULL,"
                + " lease_until = 0, updated_at = ? WHERE id = ?")) {
            ps.setString(1, state.wireName());
            ps.setLong(2, now.toEpochMilli());
            ps.setLong(3, id);
            ps.executeUpdate();
        }
    }

    private Optional<Job> read(long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                + " FROM jobs WHERE id = ?")) {
            ps.setLong(1, id);
            return one(ps);
        }
    }

    private static Optional<Job> one(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(job(rs)) : Optional.empty();
        }
    }

    private static Job job(ResultSet rs) throws SQLException {
        return Codec.job(rs);
    }
}
