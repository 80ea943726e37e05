package dev.haul.queue.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL server for the fleet's tests: the one {@code $HAUL_TEST_POSTGRES} names
 * ({@code postgresql://USER@HOST:PORT/DATABASE}; {@code .ci/run} starts one with
 * {@code .ci/postgres}). Without it the tests are skipped, unless {@code $HAUL_REQUIRE_POSTGRES}
 * is set (as CI sets it): then they fail, so a CI run cannot pass by skipping them.
 *
 * <p>Each test gets a database of its own, dropped when it closes.
 */
public final class Postgres implements AutoCloseable {
    private final String server;
    private final String name;

    private Postgres(String server, String name) {
        this.server = server;
        this.name = name;
    }

    /** The server's URL, or a skipped (or, where required, failed) test. */
    public static String server() {
        String url = System.getenv("HAUL_TEST_POSTGRES");
        boolean required = System.getenv("HAUL_REQUIRE_POSTGRES") != null;
        if (url == null || url.isEmpty()) {
            if (required) {
                throw new AssertionError("HAUL_REQUIRE_POSTGRES is set but HAUL_TEST_POSTGRES is "
                        + "not: start one with .ci/postgres start DIR PORT");
            }
            Assumptions.abort("no PostgreSQL: set HAUL_TEST_POSTGRES (see .ci/postgres)");
        }
        return url;
    }

    /** A new, empty database on the server. */
    public static Postgres fresh() throws SQLException {
        String server = server();
        String name = "haul_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = connect(server); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new Postgres(server, name);
    }

    /** The database's URL, in the form {@code haul daemon --store} takes. */
    public String url() {
        int slash = server.lastIndexOf('/');
        return server.substring(0, slash + 1) + name;
    }

    /** A JDBC connection to this database, for a test's own checks. */
    public Connection connect() throws SQLException {
        return connect(url());
    }

    private static Connection connect(String url) throws SQLException {
        Properties p = new Properties();
        String jdbc = "jdbc:" + url.replaceFirst("^postgres(ql)?://([^@/]*)@", "postgresql://");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^postgres(?:ql)?://([^@/:]*)@")
                .matcher(url);
        if (m.find()) {
            p.setProperty("user", m.group(1));
        }
        return DriverManager.getConnection(jdbc, p);
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = connect(server); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }
}
