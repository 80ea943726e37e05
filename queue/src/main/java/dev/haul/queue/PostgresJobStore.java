package dev.haul.queue;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A {@link JobStore} on PostgreSQL that several daemons share: a fleet's queue. No coordinator:
 * the database is the only shared state.
 *
 * <h2>Claims and leases</h2>
 * A daemon claims jobs with {@code SELECT ... FOR UPDATE SKIP LOCKED}, so daemons claiming at once
 * never wait for each other nor take the same job, and holds each claimed job under a lease that
 * its heartbeats renew. Lease times are the <em>database's</em> clock, so the daemons' clocks need
 * not agree. A daemon that dies (SIGKILL, a lost machine) stops renewing; when its lease ends,
 * another daemon claims the job and continues it from the {@code .part} if the download directory
 * is shared storage, else from zero.
 *
 * <h2>Connections per host over the fleet</h2>
 * With a cap (see {@link #open(String, int)}), a claimed job is granted up to its connections
 * ({@link JobRequest#connections()}, {@link DownloadQueue#DEFAULT_CONNECTIONS} when it names
 * none, 1 when its body is known to be too small to split) out of what the daemons' running
 * jobs leave free on its origin, and at most half of that when neither its connections nor its
 * size are known (most files are small; one must not hold the whole host while it finds out);
 * it is claimed only when at least one is free. A heartbeat that reports a body below the split
 * threshold shrinks the job's grant to 1. The grant is
 * held until the daemon says the download stopped or its lease ends, so the sum over the fleet
 * never exceeds the cap. Claims for one origin are serialized by a transaction-scoped advisory
 * lock. The daemon must then open no more connections than granted and keep none idle
 * ({@link DownloadQueue} does both); a redirect or mirror to another host is counted under the
 * job's own origin.
 *
 * <p>Without a cap a claimed job holds no connections, but the hold is still taken and kept the
 * same way: a job paused and resumed at once is not claimed again (by any daemon) until the
 * download that is stopping has stopped, so one {@code .part} never has two writers.
 *
 * <h2>Changes</h2>
 * A trigger sends {@code NOTIFY haul_jobs} with the job's id on every change; each store listens
 * on a second connection, so {@link #changes()} gives a daemon the changes made by the others.
 *
 * <h2>Schema</h2>
 * Tables {@code haul_jobs}, {@code haul_credentials} and {@code haul_schema}, the last recording
 * the migrations applied. Opening migrates forward in one transaction under an advisory lock, so
 * daemons starting together migrate once; a database from a newer Haul is refused.
 *
 * <h2>Credentials</h2>
 * Kept credentials live in {@code haul_credentials}, readable by whoever can read the database:
 * every daemon of the fleet must be able to run every job.
 */
public final class PostgresJobStore implements JobStore {

    /** Channel of the change notifications. */
    static final String CHANNEL = "haul_jobs";
    /** Serializes migrations of daemons starting at once. */
    private static final long MIGRATION_LOCK = 0x6861756c0001L;
    /** Candidates looked at per claim beyond the ones wanted, past jobs whose host is full. */
    private static final int CLAIM_WINDOW = 64;

    /** The schema migrations, in order: element {@code i} takes the schema to version i + 1. */
    private static final List<List<String>> MIGRATIONS = List.of(
            List.of(
                """
                CREATE TABLE haul_jobs (
                    id BIGSERIAL PRIMARY KEY,
                    idempotency_key TEXT UNIQUE,
                    url TEXT NOT NULL,
                    mirrors TEXT NOT NULL DEFAULT '',
                    directory TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    headers TEXT NOT NULL DEFAULT '',
                    sha256 TEXT,
                    max_bytes_per_second BIGINT NOT NULL DEFAULT 0,
                    connections INTEGER NOT NULL DEFAULT 0,
                    credentials TEXT NOT NULL DEFAULT 'none',
                    credentials_ref TEXT,
                    state TEXT NOT NULL,
                    position BIGINT NOT NULL,
                    failure_code TEXT,
                    failure_message TEXT,
                    bytes_done BIGINT NOT NULL DEFAULT 0,
                    total_bytes BIGINT NOT NULL DEFAULT -1,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    owner TEXT,
                    lease_until TIMESTAMPTZ,
                    origin TEXT NOT NULL,
                    slots INTEGER NOT NULL DEFAULT 0,
                    slot_owner TEXT,
                    slot_until TIMESTAMPTZ,
                    delete_partial BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    finished_at BIGINT
                )""",
                "CREATE SEQUENCE haul_positions",
                "CREATE INDEX haul_jobs_by_position ON haul_jobs (position, id)",
                "CREATE INDEX haul_jobs_by_state ON haul_jobs (state, position, id)",
                // No two live jobs write one file: the database, not only the code, says so.
                "CREATE UNIQUE INDEX haul_jobs_live_file ON haul_jobs (directory, file_name)"
                        + " WHERE state IN ('queued', 'active', 'paused')",
                "CREATE INDEX haul_jobs_cleanup ON haul_jobs (id) WHERE delete_partial",
                "CREATE INDEX haul_jobs_slots ON haul_jobs (origin) WHERE slot_owner IS NOT NULL",
                """
                CREATE TABLE haul_credentials (
                    ref TEXT PRIMARY KEY,
                    secrets TEXT NOT NULL
                )""",
                """
                CREATE FUNCTION haul_jobs_notify() RETURNS trigger AS $$
                BEGIN
                    PERFORM pg_notify('haul_jobs', NEW.id::text);
                    RETURN NULL;
                END $$ LANGUAGE plpgsql""",
                "CREATE TRIGGER haul_jobs_changed AFTER INSERT OR UPDATE ON haul_jobs"
                        + " FOR EACH ROW EXECUTE FUNCTION haul_jobs_notify()"),
            // 2: a claim under the per-host cap in one round trip, so the hosts' advisory locks
            // are held for no network round trip (bench/README.md, "A fleet": 6 -> 2 per job)
            List.of(
                """
                CREATE FUNCTION haul_claim(p_owner TEXT, p_max INTEGER, p_lease INTERVAL,
                        p_cap INTEGER, p_window INTEGER, p_now BIGINT, p_default INTEGER,
                        p_small BIGINT) RETURNS SETOF haul_jobs AS $$
                DECLARE
                    ids BIGINT[];
                    origins TEXT[];
                    wants INTEGER[];
                    halves BOOLEAN[];
                    o TEXT;
                    free JSONB := '{}';
                    left_ INTEGER;
                    g INTEGER;
                    grant_ids BIGINT[] := '{}';
                    grant_slots INTEGER[] := '{}';
                BEGIN
                    -- the claimable jobs, the dead daemons' first, locked; rows another daemon
                    -- is claiming are skipped
                    SELECT array_agg(c.id), array_agg(c.origin), array_agg(LEAST(p_cap,
                            CASE WHEN c.connections > 0 THEN c.connections
                                 WHEN c.total_bytes >= 0 AND c.total_bytes < p_small THEN 1
                                 ELSE p_default END)),
                           -- a job whose size and connections are unknown takes at most half
                           -- of what is free: most files are small, and one must not hold
                           -- the whole host while it finds out
                           array_agg(c.connections = 0 AND c.total_bytes < 0)
                      INTO ids, origins, wants, halves
                      FROM (SELECT j.id, j.origin, j.connections, j.total_bytes
                              FROM haul_jobs j
                             WHERE (j.state = 'queued' OR (j.state = 'active'
                                    AND j.lease_until < clock_timestamp()))
                               AND (j.slot_owner IS NULL OR j.slot_until < clock_timestamp())
                             ORDER BY (j.state = 'active') DESC, j.position, j.id
                             LIMIT p_max + p_window
                             FOR UPDATE SKIP LOCKED) c;
                    IF ids IS NULL THEN
                        RETURN;
                    END IF;
                    -- each host once, in a fixed order: claims never wait on each other in a
                    -- cycle; then what every daemon's live holds leave free
                    FOR o IN SELECT DISTINCT u FROM unnest(origins) AS u ORDER BY u LOOP
                        PERFORM pg_advisory_xact_lock(hashtextextended('haul:' || o, 0));
                        free := free || jsonb_build_object(o, p_cap - COALESCE((
                            SELECT SUM(slots) FROM haul_jobs WHERE origin = o
                               AND slot_owner IS NOT NULL
                               AND slot_until >= clock_timestamp()), 0));
                    END LOOP;
                    FOR i IN 1 .. array_length(ids, 1) LOOP
                        EXIT WHEN array_length(grant_ids, 1) >= p_max;
                        left_ := (free ->> origins[i])::INTEGER;
                        IF left_ > 0 THEN
                            g := LEAST(wants[i], CASE WHEN halves[i]
                                    THEN GREATEST(1, left_ / 2) ELSE left_ END);
                            grant_ids := grant_ids || ids[i];
                            grant_slots := grant_slots || g;
                            free := free || jsonb_build_object(origins[i], left_ - g);
                        END IF;
                    END LOOP;
                    RETURN QUERY UPDATE haul_jobs j SET state = 'active', owner = p_owner,
                            lease_until = clock_timestamp() + p_lease, slot_owner = p_owner,
                            slot_until = clock_timestamp() + p_lease, slots = t.slots,
                            attempts = j.attempts + 1, failure_code = NULL,
                            failure_message = NULL, updated_at = p_now
                      FROM unnest(grant_ids, grant_slots) AS t(id, slots)
                     WHERE j.id = t.id
                    RETURNING j.*;
                END $$ LANGUAGE plpgsql"""));

    /** The schema version this code writes. */
    public static final int SCHEMA_VERSION = MIGRATIONS.size();

    private static final String COLUMNS = "id, idempotency_key, url, mirrors, directory, "
            + "file_name, headers, sha256, max_bytes_per_second, connections, credentials, "
            + "credentials_ref, state, position, failure_code, failure_message, bytes_done, "
            + "total_bytes, attempts, created_at, updated_at, finished_at, owner, slots";
    private static final String LIVE = "('queued', 'active', 'paused')";
    /** Ends a job's hold on connections and its lease. */
    private static final String UNHOLD = "owner = NULL, lease_until = NULL, slot_owner = NULL,"
            + " slot_until = NULL, slots = 0";

    private final String where;
    private final String jdbc;
    private final Properties props;
    /** Replaced by {@link #reconnect()} after the connection to the server broke. */
    private Connection db;
    private Connection listen;
    private boolean broken;
    private final int connectionsPerOrigin;
    private final AtomicLong roundTrips = new AtomicLong();
    private boolean closed;

    private PostgresJobStore(String where, String jdbc, Properties props, Connection db,
            Connection listen, int connectionsPerOrigin) {
        this.where = where;
        this.jdbc = jdbc;
        this.props = props;
        this.db = db;
        this.listen = listen;
        this.connectionsPerOrigin = connectionsPerOrigin;
    }

    /**
     * Opens the store at {@code url} with no fleet-wide connection cap (each daemon's own cap
     * applies).
     *
     * @param url {@code postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?PARAMS]}, or a
     *     {@code jdbc:postgresql:} URL
     * @return the open store
     * @throws QueueException {@link QueueException.Code#STORE} if it cannot be opened
     */
    public static PostgresJobStore open(String url) {
        return open(url, 0);
    }

    /**
     * Opens (creating or migrating the schema if needed) the store at {@code url}.
     *
     * <p>A password comes from the URL, else from {@code $PGPASSWORD}. Every statement times
     * out after 10 s, so a daemon cut off from the database notices before its leases end.
     *
     * @param url {@code postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?PARAMS]} (as libpq
     *     and {@code psql} take it; {@code postgres://} too), or a {@code jdbc:postgresql:} URL
     * @param connectionsPerOrigin the most connections all daemons on this store together hold
     *     to one origin; 0 for no fleet-wide cap. Give every daemon of a fleet the same value.
     * @return the open store
     * @throws QueueException {@link QueueException.Code#STORE} if it cannot be opened or is from a
     *     newer Haul
     */
    public static PostgresJobStore open(String url, int connectionsPerOrigin) {
        if (connectionsPerOrigin < 0) {
            throw new IllegalArgumentException("connectionsPerOrigin < 0: " + connectionsPerOrigin);
        }
        Properties props = new Properties();
        String jdbc = jdbcUrl(url, props);
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "10");
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", "haul");
        String where = redact(url);
        Connection db = null;
        Connection listen = null;
        try {
            db = DriverManager.getConnection(jdbc, props);
            migrate(db);
            db.setAutoCommit(true);
            listen = listener(jdbc, props);
            return new PostgresJobStore(where, jdbc, props, db, listen, connectionsPerOrigin);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(db, e);
            closeQuietly(listen, e);
            if (e instanceof QueueException q) {
                throw q;
            }
            throw new QueueException(QueueException.Code.STORE, "cannot open the queue at "
                    + where + ": " + e.getMessage(), e);
        }
    }

    private static Connection listener(String jdbc, Properties props) throws SQLException {
        Connection c = DriverManager.getConnection(jdbc, props);
        try (Statement s = c.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        } catch (SQLException e) {
            closeQuietly(c, e);
            throw e;
        }
        return c;
    }

    /**
     * Opens new connections after the old ones broke (the server restarted, a network cut):
     * the call that found them broken failed; the next one runs on new connections. Nothing is
     * retried, since a statement that broke may have committed. Changes made while the
     * listening connection was down are not replayed; the jobs themselves are read afresh.
     */
    private void reconnect() throws SQLException {
        closeQuietly(db, null);
        closeQuietly(listen, null);
        db = DriverManager.getConnection(jdbc, props);
        db.setAutoCommit(true);
        listen = listener(jdbc, props);
        broken = false;
        java.lang.System.getLogger("dev.haul.queue").log(java.lang.System.Logger.Level.INFO,
                "reconnected to the queue's database at " + where);
    }

    /** Whether a failure means the connection itself is gone (SQLState class 08, or closed). */
    private boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.equals("57P01"))) {
            return true;
        }
        try {
            return db.isClosed() || listen.isClosed();
        } catch (SQLException ignored) {
            return true;
        }
    }

    private static void closeQuietly(Connection c, Exception e) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                if (e != null) {
                    e.addSuppressed(suppressed);
                }
            }
        }
    }

    /** The JDBC form of a libpq-style URL; its user and password go into {@code props}. */
    static String jdbcUrl(String url, Properties props) {
        if (url.startsWith("jdbc:postgresql:")) {
            return url;
        }
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new QueueException(QueueException.Code.STORE, "not a PostgreSQL URL: "
                    + redact(url));
        }
        String scheme = String.valueOf(u.getScheme()).toLowerCase(Locale.ROOT);
        if ((!scheme.equals("postgresql") && !scheme.equals("postgres")) || u.getHost() == null
                || u.getPath() == null || u.getPath().length() < 2) {
            throw new QueueException(QueueException.Code.STORE, "not a PostgreSQL URL (want "
                    + "postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE): " + redact(url));
        }
        String info = u.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            props.setProperty("user", decode(colon < 0 ? info : info.substring(0, colon)));
            if (colon >= 0) {
                props.setProperty("password", decode(info.substring(colon + 1)));
            }
        }
        String env = System.getenv("PGPASSWORD");
        if (!props.containsKey("password") && env != null && !env.isEmpty()) {
            props.setProperty("password", env);
        }
        String host = u.getHost().contains(":") && !u.getHost().startsWith("[")
                ? "[" + u.getHost() + "]" : u.getHost();
        return "jdbc:postgresql://" + host + (u.getPort() >= 0 ? ":" + u.getPort() : "")
                + u.getRawPath() + (u.getRawQuery() != null ? "?" + u.getRawQuery() : "");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * The URL without its password, for messages and logs.
     *
     * @param url a store URL
     * @return the URL with {@code ***} for a password
     */
    public static String redact(String url) {
        return url.replaceAll("(//[^/@:]*):[^/@]*@", "$1:***@");
    }

    private static void migrate(Connection db) throws SQLException {
        db.setAutoCommit(false);
        try (Statement s = db.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            s.execute("CREATE TABLE IF NOT EXISTS haul_schema (version INTEGER PRIMARY KEY,"
                    + " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
            int version;
            try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0)"
                    + " FROM haul_schema")) {
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
                s.execute("INSERT INTO haul_schema (version) VALUES (" + (v + 1) + ")");
            }
            db.commit();
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        }
    }

    /**
     * Where the store is, without a password.
     *
     * @return the redacted URL
     */
    public String location() {
        return where;
    }

    // ---------------------------------------------------------------- adding and reading

    @Override
    public synchronized List<Job> insert(List<NewJob> jobs, Instant now) {
        return transaction(() -> {
            List<Job> added = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO haul_jobs ("
                    + "idempotency_key, url, mirrors, directory, file_name, headers, sha256, "
                    + "max_bytes_per_second, connections, credentials, credentials_ref, state, "
                    + "position, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                    + " ?, ?, ?, ?, nextval('haul_positions'), ?, ?, ?) RETURNING " + COLUMNS)) {
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
                    ps.setString(++i, origin(r.uri()));
                    ps.setLong(++i, now.toEpochMilli());
                    ps.setLong(++i, now.toEpochMilli());
                    try (ResultSet rs = query(ps)) {
                        rs.next();
                        added.add(job(rs));
                    } catch (SQLException e) {
                        throw constraint(e, j);
                    }
                }
            }
            return added;
        });
    }

    /** The origin a job's connections are counted under: scheme, host and port. */
    static String origin(URI uri) {
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + String.valueOf(uri.getHost()).toLowerCase(Locale.ROOT) + ":"
                + port;
    }

    private static RuntimeException constraint(SQLException e, NewJob j) {
        String state = String.valueOf(e.getSQLState());
        String m = String.valueOf(e.getMessage());
        if (state.equals("23505") && m.contains("idempotency_key")) {
            return new QueueException(QueueException.Code.STORE, "key already used: "
                    + j.request().key(), e);
        }
        if (state.equals("23505")) {
            return new QueueException(QueueException.Code.FILE_EXISTS, "another job writes "
                    + j.request().directory().resolve(j.fileName()), e);
        }
        return new QueueException(QueueException.Code.STORE, "cannot add a job: " + m, e);
    }

    @Override
    public synchronized Optional<Job> find(long id) {
        return statement(() -> read(id));
    }

    @Override
    public synchronized Optional<Job> findByKey(String key) {
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                    + " FROM haul_jobs WHERE idempotency_key = ?")) {
                ps.setString(1, key);
                return one(ps);
            }
        });
    }

    @Override
    public synchronized JobPage list(JobFilter filter) {
        return statement(() -> {
            String states = " WHERE state IN " + StoreSql.placeholders(filter.states().size());
            List<Job> jobs = new ArrayList<>();
            long total = 0;
            // one round trip: the total rides on every row (and on none when the page is empty)
            try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                    + ", COUNT(*) OVER () AS total FROM haul_jobs" + states
                    + " ORDER BY position, id LIMIT ? OFFSET ?")) {
                int i = StoreSql.bindStates(ps, filter.states(), 1);
                ps.setInt(i++, filter.limit());
                ps.setLong(i, filter.offset());
                try (ResultSet rs = query(ps)) {
                    while (rs.next()) {
                        jobs.add(job(rs));
                        total = rs.getLong("total");
                    }
                }
            }
            if (jobs.isEmpty() && filter.offset() > 0) {
                try (PreparedStatement ps = db.prepareStatement("SELECT COUNT(*) FROM haul_jobs"
                        + states)) {
                    StoreSql.bindStates(ps, filter.states(), 1);
                    try (ResultSet rs = query(ps)) {
                        total = rs.next() ? rs.getLong(1) : 0;
                    }
                }
            }
            return new JobPage(jobs, total, filter.offset(), filter.limit());
        });
    }

    @Override
    public synchronized Map<JobState, Long> counts() {
        return statement(() -> {
            Map<JobState, Long> counts = new EnumMap<>(JobState.class);
            for (JobState s : JobState.values()) {
                counts.put(s, 0L);
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT state, COUNT(*) FROM haul_jobs GROUP BY state");
                 ResultSet rs = query(ps)) {
                while (rs.next()) {
                    counts.put(JobState.parse(rs.getString(1)), rs.getLong(2));
                }
            }
            return counts;
        });
    }

    @Override
    public synchronized boolean fileTaken(Path dir, String fileName) {
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT 1 FROM haul_jobs"
                    + " WHERE directory = ? AND file_name = ?"
                    + " AND (state IN " + LIVE + " OR delete_partial)")) {
                ps.setString(1, dir.toString());
                ps.setString(2, fileName);
                try (ResultSet rs = query(ps)) {
                    return rs.next();
                }
            }
        });
    }

    // ---------------------------------------------------------------- work: claim, lease, finish

    /** The jobs that may be claimed, the dead daemons' first, in queue order. */
    private static final String CLAIMABLE = "SELECT id, origin, connections, total_bytes"
            + " FROM haul_jobs WHERE (state = 'queued'"
            + " OR (state = 'active' AND lease_until < clock_timestamp()))"
            // a paused and resumed job whose download still runs somewhere waits for it to stop
            + " AND (slot_owner IS NULL OR slot_until < clock_timestamp())"
            + " ORDER BY (state = 'active') DESC, position, id LIMIT ?"
            // rows another daemon is claiming right now are skipped, not waited for
            + " FOR UPDATE SKIP LOCKED";

    @Override
    public synchronized List<Job> claim(String owner, int max, Instant now, Duration lease) {
        if (max <= 0) {
            return List.of();
        }
        if (connectionsPerOrigin == 0) {
            // One statement, one round trip: pick, lock and take.
            return statement(() -> {
                // a hold of no connections: the job is not claimed again until this daemon's
                // download of it stopped (a pause and a resume in quick succession)
                try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET"
                        + " state = 'active', owner = ?, lease_until = clock_timestamp() + ?,"
                        + " slot_owner = ?, slot_until = clock_timestamp() + ?, slots = 0,"
                        + " attempts = attempts + 1, failure_code = NULL, failure_message = NULL,"
                        + " updated_at = ? WHERE id IN (" + CLAIMABLE.replace(", origin,"
                        + " connections, total_bytes", "") + ") RETURNING " + COLUMNS)) {
                    ps.setString(1, owner);
                    ps.setObject(2, interval(lease));
                    ps.setString(3, owner);
                    ps.setObject(4, interval(lease));
                    ps.setLong(5, now.toEpochMilli());
                    ps.setInt(6, max);
                    return inQueueOrder(ps);
                }
            });
        }
        // Under the cap: one call, one round trip (migration 2's haul_claim): lock the claimable
        // jobs, lock their hosts in a fixed order, count what every daemon's holds leave free,
        // grant each job up to its connections (1 if known to be below the split threshold,
        // DEFAULT_CONNECTIONS if it names none) and take them.
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                    + " FROM haul_claim(?, ?, ?, ?, ?, ?, ?, ?)")) {
                int i = 0;
                ps.setString(++i, owner);
                ps.setInt(++i, max);
                ps.setObject(++i, interval(lease));
                ps.setInt(++i, connectionsPerOrigin);
                ps.setInt(++i, CLAIM_WINDOW);
                ps.setLong(++i, now.toEpochMilli());
                ps.setInt(++i, DownloadQueue.DEFAULT_CONNECTIONS);
                ps.setLong(++i, dev.haul.DownloadManager.DEFAULT_SPLIT_THRESHOLD);
                return inQueueOrder(ps);
            }
        });
    }

    /** The jobs a statement returns, in queue order (RETURNING keeps none). */
    private List<Job> inQueueOrder(PreparedStatement ps) throws SQLException {
        List<Job> jobs = new ArrayList<>();
        try (ResultSet rs = query(ps)) {
            while (rs.next()) {
                jobs.add(job(rs));
            }
        }
        jobs.sort(java.util.Comparator.comparingLong(Job::position).thenComparingLong(Job::id));
        return jobs;
    }

    @Override
    public synchronized Set<Long> heartbeat(String owner, Collection<JobProgress> progress,
            Instant now, Duration lease) {
        if (progress.isEmpty()) {
            return Set.of();
        }
        return statement(() -> {
            long[] ids = new long[progress.size()];
            long[] done = new long[ids.length];
            long[] total = new long[ids.length];
            int n = 0;
            for (JobProgress p : progress) {
                ids[n] = p.id();
                done[n] = p.bytesDone();
                total[n++] = p.totalBytes();
            }
            // One statement for every job: renews the leases still held, and the connection
            // holds of jobs still running here even if paused or removed meanwhile.
            Set<Long> held = new HashSet<>();
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs j SET"
                    + " bytes_done = CASE WHEN j.state = 'active' AND j.owner = ?"
                    + " THEN p.done ELSE j.bytes_done END,"
                    + " total_bytes = CASE WHEN j.state = 'active' AND j.owner = ?"
                    + " THEN p.total ELSE j.total_bytes END,"
                    + " lease_until = CASE WHEN j.state = 'active' AND j.owner = ?"
                    + " THEN clock_timestamp() + ? ELSE j.lease_until END,"
                    + " slot_until = CASE WHEN j.slot_owner = ?"
                    + " THEN clock_timestamp() + ? ELSE j.slot_until END,"
                    // a body below the split threshold never gets a second connection
                    + " slots = CASE WHEN j.slot_owner = ? AND p.total >= 0 AND p.total < ?"
                    + " THEN LEAST(j.slots, 1) ELSE j.slots END,"
                    + " updated_at = ?"
                    + " FROM unnest(?::bigint[], ?::bigint[], ?::bigint[]) AS p(id, done, total)"
                    + " WHERE j.id = p.id AND ((j.state = 'active' AND j.owner = ?)"
                    + " OR j.slot_owner = ?)"
                    + " RETURNING j.id, j.state = 'active' AND j.owner = ?")) {
                int i = 0;
                ps.setString(++i, owner);
                ps.setString(++i, owner);
                ps.setString(++i, owner);
                ps.setObject(++i, interval(lease));
                ps.setString(++i, owner);
                ps.setObject(++i, interval(lease));
                ps.setString(++i, owner);
                ps.setLong(++i, dev.haul.DownloadManager.DEFAULT_SPLIT_THRESHOLD);
                ps.setLong(++i, now.toEpochMilli());
                ps.setArray(++i, db.createArrayOf("bigint", box(ids, n)));
                ps.setArray(++i, db.createArrayOf("bigint", box(done, n)));
                ps.setArray(++i, db.createArrayOf("bigint", box(total, n)));
                ps.setString(++i, owner);
                ps.setString(++i, owner);
                ps.setString(++i, owner);
                try (ResultSet rs = query(ps)) {
                    while (rs.next()) {
                        if (rs.getBoolean(2)) {
                            held.add(rs.getLong(1));
                        }
                    }
                }
            }
            Set<Long> lost = new HashSet<>();
            for (int k = 0; k < n; k++) {
                if (!held.contains(ids[k])) {
                    lost.add(ids[k]);
                }
            }
            return lost;
        });
    }

    private static Long[] box(long[] values, int n) {
        Long[] boxed = new Long[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    @Override
    public synchronized Optional<Job> complete(String owner, JobProgress progress, Instant now) {
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET"
                    + " state = 'completed', " + UNHOLD + ", bytes_done = ?, total_bytes = ?,"
                    + " failure_code = NULL, failure_message = NULL, updated_at = ?,"
                    + " finished_at = ? WHERE id = ?"
                    + " AND ((state = 'active' AND owner = ?) OR state = 'paused')"
                    + " RETURNING " + COLUMNS)) {
                ps.setLong(1, progress.bytesDone());
                ps.setLong(2, progress.totalBytes());
                ps.setLong(3, now.toEpochMilli());
                ps.setLong(4, now.toEpochMilli());
                ps.setLong(5, progress.id());
                ps.setString(6, owner);
                Optional<Job> done = one(ps);
                if (done.isEmpty()) {
                    unhold(owner, progress.id());
                }
                return done;
            }
        });
    }

    @Override
    public synchronized Optional<Job> fail(String owner, JobProgress progress, JobFailure failure,
            Instant now) {
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET"
                    + " state = 'failed', " + UNHOLD + ", bytes_done = ?, total_bytes = ?,"
                    + " failure_code = ?, failure_message = ?, updated_at = ?, finished_at = ?"
                    + " WHERE id = ? AND state = 'active' AND owner = ? RETURNING " + COLUMNS)) {
                ps.setLong(1, progress.bytesDone());
                ps.setLong(2, progress.totalBytes());
                ps.setString(3, failure.code());
                ps.setString(4, failure.message());
                ps.setLong(5, now.toEpochMilli());
                ps.setLong(6, now.toEpochMilli());
                ps.setLong(7, progress.id());
                ps.setString(8, owner);
                Optional<Job> failed = one(ps);
                if (failed.isEmpty()) {
                    unhold(owner, progress.id());
                }
                return failed;
            }
        });
    }

    @Override
    public synchronized List<Job> release(String owner, Collection<JobProgress> progress,
            Instant now) {
        return transaction(() -> {
            List<Job> released = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET"
                    + " state = 'queued', " + UNHOLD + ", bytes_done = ?, total_bytes = ?,"
                    + " updated_at = ? WHERE id = ? AND state = 'active' AND owner = ?"
                    + " RETURNING " + COLUMNS)) {
                for (JobProgress p : progress) {
                    ps.setLong(1, p.bytesDone());
                    ps.setLong(2, p.totalBytes());
                    ps.setLong(3, now.toEpochMilli());
                    ps.setLong(4, p.id());
                    ps.setString(5, owner);
                    Optional<Job> j = one(ps);
                    if (j.isPresent()) {
                        released.add(j.get());
                    } else {
                        unhold(owner, p.id());
                    }
                }
            }
            return released;
        });
    }

    @Override
    public synchronized void recordProgress(JobProgress progress, Instant now) {
        statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET bytes_done = ?,"
                    + " total_bytes = ?, updated_at = ? WHERE id = ? AND state <> 'completed'")) {
                ps.setLong(1, progress.bytesDone());
                ps.setLong(2, progress.totalBytes());
                ps.setLong(3, now.toEpochMilli());
                ps.setLong(4, progress.id());
                update(ps);
            }
            return null;
        });
    }

    @Override
    public synchronized void stopped(String owner, long id) {
        statement(() -> {
            unhold(owner, id);
            return null;
        });
    }

    /** Ends {@code owner}'s hold on the job's connections, if it has one. */
    private void unhold(String owner, long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET slot_owner = NULL,"
                + " slot_until = NULL, slots = 0 WHERE id = ? AND slot_owner = ?")) {
            ps.setLong(1, id);
            ps.setString(2, owner);
            update(ps);
        }
    }

    // ---------------------------------------------------------------- commands

    @Override
    public synchronized Job pause(long id, Instant now) {
        return transaction(() -> {
            Job job = lockJob(id);
            if (job.state() == JobState.PAUSED) {
                return job;
            }
            StoreSql.requireState(job, "pause", JobState.QUEUED, JobState.ACTIVE);
            return setState(id, JobState.PAUSED, now, false);
        });
    }

    @Override
    public synchronized Job resume(long id, Instant now) {
        return transaction(() -> {
            Job job = lockJob(id);
            if (job.state() == JobState.QUEUED || job.state() == JobState.ACTIVE) {
                return job;
            }
            StoreSql.requireState(job, "resume", JobState.PAUSED, JobState.FAILED);
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET"
                    + " state = 'queued', failure_code = NULL, failure_message = NULL,"
                    + " finished_at = NULL, updated_at = ? WHERE id = ? RETURNING " + COLUMNS)) {
                ps.setLong(1, now.toEpochMilli());
                ps.setLong(2, id);
                try {
                    return one(ps).orElseThrow();
                } catch (SQLException e) {
                    if ("23505".equals(e.getSQLState())) {
                        // a failed job's file was given to a newer job meanwhile
                        throw new QueueException(QueueException.Code.FILE_EXISTS, "another job "
                                + "writes " + job.file() + " now", e);
                    }
                    throw e;
                }
            }
        });
    }

    @Override
    public synchronized Job move(long id, long index, Instant now) {
        if (index < 0) {
            throw new IllegalArgumentException("index < 0: " + index);
        }
        return transaction(() -> {
            // One move at a time over the fleet: two moves interleaving would mix two orders.
            try (PreparedStatement lock = db.prepareStatement(
                    "SELECT pg_advisory_xact_lock(" + (MIGRATION_LOCK + 1) + ")")) {
                query(lock).close();
            }
            Job job = read(id).orElseThrow(() -> QueueException.notFound(id));
            StoreSql.requireState(job, "move", JobState.QUEUED, JobState.ACTIVE, JobState.PAUSED);
            List<long[]> live = new ArrayList<>(); // {id, position} in queue order
            try (PreparedStatement ps = db.prepareStatement("SELECT id, position FROM haul_jobs"
                    + " WHERE state IN " + LIVE + " ORDER BY position, id");
                 ResultSet rs = query(ps)) {
                while (rs.next()) {
                    live.add(new long[] {rs.getLong(1), rs.getLong(2)});
                }
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE haul_jobs SET position = ?, updated_at = ? WHERE id = ?")) {
                List<long[]> moves = StoreSql.reorder(live, id, index);
                for (long[] m : moves) {
                    ps.setLong(1, m[1]);
                    ps.setLong(2, now.toEpochMilli());
                    ps.setLong(3, m[0]);
                    ps.addBatch();
                }
                if (!moves.isEmpty()) {
                    roundTrips.incrementAndGet();
                    ps.executeBatch();
                }
            }
            return read(id).orElseThrow();
        });
    }

    @Override
    public synchronized Job update(long id, JobRequest r, Instant now) {
        return transaction(() -> {
            Job job = lockJob(id);
            StoreSql.requireState(job, "change", JobState.QUEUED, JobState.ACTIVE, JobState.PAUSED,
                    JobState.FAILED);
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET "
                    + StoreSql.CHANGE + ", origin = ?, updated_at = ? WHERE id = ? RETURNING "
                    + COLUMNS)) {
                int i = StoreSql.bindChange(ps, r, 1);
                ps.setString(i++, origin(r.uri()));
                ps.setLong(i++, now.toEpochMilli());
                ps.setLong(i, id);
                return one(ps).orElseThrow();
            }
        });
    }

    @Override
    public synchronized long indexOf(long id) {
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT me.state IN " + LIVE
                    + ", (SELECT COUNT(*) FROM haul_jobs j WHERE j.state IN " + LIVE
                    + " AND (j.position < me.position OR (j.position = me.position"
                    + " AND j.id < me.id))) FROM haul_jobs me WHERE me.id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = query(ps)) {
                    return rs.next() && rs.getBoolean(1) ? rs.getLong(2) : -1L;
                }
            }
        });
    }

    @Override
    public synchronized Job remove(long id, boolean deletePartial, Instant now) {
        return transaction(() -> {
            Job job = lockJob(id);
            if (job.state() == JobState.REMOVED) {
                return job;
            }
            boolean partial = deletePartial && job.state() != JobState.COMPLETED;
            try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET"
                    + " state = 'removed', owner = NULL, lease_until = NULL, delete_partial = ?,"
                    + " updated_at = ? WHERE id = ? RETURNING " + COLUMNS)) {
                ps.setBoolean(1, partial);
                ps.setLong(2, now.toEpochMilli());
                ps.setLong(3, id);
                return one(ps).orElseThrow();
            }
        });
    }

    @Override
    public synchronized List<Job> cleanups() {
        return statement(() -> {
            List<Job> jobs = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                    + " FROM haul_jobs WHERE delete_partial");
                 ResultSet rs = query(ps)) {
                while (rs.next()) {
                    jobs.add(job(rs));
                }
            }
            return jobs;
        });
    }

    @Override
    public synchronized void cleaned(long id) {
        statement(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE haul_jobs SET delete_partial = FALSE WHERE id = ?")) {
                ps.setLong(1, id);
                update(ps);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- fleets

    @Override
    public int connectionsPerOrigin() {
        return connectionsPerOrigin;
    }

    @Override
    public synchronized List<Job> changes() {
        if (closed) {
            return List.of();
        }
        connected();
        try {
            PGConnection pg = listen.unwrap(PGConnection.class);
            Set<Long> ids = new LinkedHashSet<>();
            roundTrips.incrementAndGet();
            // waits at most 1 ms for what the server sent; the notifications are already here
            PGNotification[] ns = pg.getNotifications(1);
            if (ns != null) {
                for (PGNotification n : ns) {
                    try {
                        ids.add(Long.parseLong(n.getParameter()));
                    } catch (NumberFormatException e) {
                        // not ours
                    }
                }
            }
            if (ids.isEmpty()) {
                return List.of();
            }
            return statement(() -> {
                List<Job> jobs = new ArrayList<>();
                try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                        + " FROM haul_jobs WHERE id = ANY (?) ORDER BY position, id")) {
                    ps.setArray(1, db.createArrayOf("bigint", ids.toArray()));
                    try (ResultSet rs = query(ps)) {
                        while (rs.next()) {
                            jobs.add(job(rs));
                        }
                    }
                }
                return jobs;
            });
        } catch (SQLException e) {
            if (connectionLost(e)) {
                broken = true;
            }
            throw new QueueException(QueueException.Code.STORE, "queue database: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public long roundTrips() {
        return roundTrips.get();
    }

    // ---------------------------------------------------------------- credentials

    @Override
    public synchronized void putCredentials(String ref, Map<String, String> secrets) {
        statement(() -> {
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO haul_credentials"
                    + " (ref, secrets) VALUES (?, ?) ON CONFLICT (ref) DO UPDATE"
                    + " SET secrets = EXCLUDED.secrets")) {
                ps.setString(1, ref);
                ps.setString(2, Codec.headers(secrets));
                update(ps);
            }
            return null;
        });
    }

    @Override
    public synchronized Optional<Map<String, String>> credentials(String ref) {
        return statement(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT secrets FROM haul_credentials WHERE ref = ?")) {
                ps.setString(1, ref);
                try (ResultSet rs = query(ps)) {
                    return rs.next() ? Optional.of(Codec.headers(rs.getString(1)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public synchronized void deleteCredentials(String ref) {
        statement(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "DELETE FROM haul_credentials WHERE ref = ?")) {
                ps.setString(1, ref);
                update(ps);
            }
            return null;
        });
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            listen.close();
        } catch (SQLException e) {
            // the server ends the session with the socket
        }
        try {
            db.close();
        } catch (SQLException e) {
            // the server rolls back what was open
        }
    }

    @Override
    public String toString() {
        return "PostgresJobStore{" + where + "}";
    }

    // ---------------------------------------------------------------- plumbing

    /** A unit of work on the connection, run as one transaction. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Work of several statements as one transaction: BEGIN rides on the first statement, COMMIT
     * is one more round trip.
     */
    private <T> T transaction(Work<T> work) {
        connected();
        try {
            db.setAutoCommit(false);
            T result = work.run();
            roundTrips.incrementAndGet();
            db.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException q && connectionLost(q)) {
                broken = true;
            } else {
                try {
                    db.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw failure(e);
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (SQLException e) {
                // the next statement reports a broken connection
            }
        }
    }

    /**
     * Work that is one statement (or reads whose consistency does not matter), in autocommit:
     * the statement is its own transaction, one round trip.
     */
    private <T> T statement(Work<T> work) {
        connected();
        try {
            return work.run();
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException q && connectionLost(q)) {
                broken = true;
            }
            throw failure(e);
        }
    }

    /** Open, and on working connections: new ones if the last call found them broken. */
    private void connected() {
        requireOpen();
        if (broken) {
            try {
                reconnect();
            } catch (SQLException e) {
                throw new QueueException(QueueException.Code.STORE, "cannot reconnect to the "
                        + "queue's database at " + where + ": " + e.getMessage(), e);
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new QueueException(QueueException.Code.CLOSED, "the queue's store is closed");
        }
    }

    private static RuntimeException failure(Exception e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        return new QueueException(QueueException.Code.STORE, "queue database: "
                + e.getMessage(), e);
    }

    private ResultSet query(PreparedStatement ps) throws SQLException {
        roundTrips.incrementAndGet();
        return ps.executeQuery();
    }

    private int update(PreparedStatement ps) throws SQLException {
        roundTrips.incrementAndGet();
        return ps.executeUpdate();
    }

    private static org.postgresql.util.PGInterval interval(Duration d) throws SQLException {
        org.postgresql.util.PGInterval i = new org.postgresql.util.PGInterval();
        i.setSeconds(d.toNanos() / 1e9);
        return i;
    }

    private Job lockJob(long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                + " FROM haul_jobs WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, id);
            return one(ps).orElseThrow(() -> QueueException.notFound(id));
        }
    }

    private Job setState(long id, JobState state, Instant now, boolean unhold)
            throws SQLException {
        // The connection hold stays until the daemon running the job says it stopped (or its
        // lease ends): the download runs on until that daemon's next heartbeat.
        try (PreparedStatement ps = db.prepareStatement("UPDATE haul_jobs SET state = ?,"
                + (unhold ? UNHOLD : "owner = NULL, lease_until = NULL")
                + ", updated_at = ? WHERE id = ? RETURNING " + COLUMNS)) {
            ps.setString(1, state.wireName());
            ps.setLong(2, now.toEpochMilli());
            ps.setLong(3, id);
            return one(ps).orElseThrow();
        }
    }

    private Optional<Job> read(long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT " + COLUMNS
                + " FROM haul_jobs WHERE id = ?")) {
            ps.setLong(1, id);
            return one(ps);
        }
    }

    private Optional<Job> one(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = query(ps)) {
            return rs.next() ? Optional.of(job(rs)) : Optional.empty();
        }
    }

    private static Job job(ResultSet rs) throws SQLException {
        return Codec.job(rs);
    }
}
