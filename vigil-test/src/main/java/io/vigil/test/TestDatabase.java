package io.vigil.test;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.UUID;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh, isolated database for one test: a private in-memory H2, or a new schema on the local
 * PostgreSQL ({@value #PG_BASE}, user {@value #PG_USER}, no password), removed again by {@link #close()}.
 *
 * <p>Plain JDBC only: the kit carries no driver, so the using module puts H2 and/or the PostgreSQL
 * driver on its test classpath, where {@link DriverManager} finds them.
 *
 * <p>When PostgreSQL does not answer, the test is skipped, unless the system property
 * {@code vigil.require.servers} is true (CI sets it): then it fails.
 */
public final class TestDatabase implements AutoCloseable {
    /** The local PostgreSQL test database. */
    public static final String PG_BASE = "jdbc:postgresql://127.0.0.1:5432/test";
    /** Its user (trust authentication, no password). */
    public static final String PG_USER = "postgres";

    private static final String CURRENT_SCHEMA = "currentSchema=";

    private final String url;
    private final String schema;
    private final DataSource dataSource;

    private TestDatabase(String url, String schema) {
        this.url = url;
        this.schema = schema;
        this.dataSource = new DriverManagerDataSource();
    }

    /** A private in-memory H2 named {@code prefix} plus a random suffix, kept until {@link #close()}. */
    public static TestDatabase h2(String prefix) {
        return new TestDatabase(h2Url(prefix, ""), null);
    }

    /**
     * The URL of a private in-memory H2 named {@code prefix} plus a random suffix, with
     * {@code options} ({@code "MODE=PostgreSQL;..."}, or empty) before {@code DB_CLOSE_DELAY=-1}: it lives
     * as long as the JVM, for tests that hand a URL to the code under test.
     */
    public static String h2Url(String prefix, String options) {
        return "jdbc:h2:mem:" + prefix + UUID.randomUUID().toString().replace("-", "")
                + (options.isEmpty() ? "" : ";" + options) + ";DB_CLOSE_DELAY=-1";
    }

    /** A new, empty schema named {@code prefix} plus 16 random hex digits on the local PostgreSQL. */
    public static TestDatabase postgres(String prefix) {
        String url = freshPostgresSchema(prefix);
        return new TestDatabase(url, schemaOf(url));
    }

    /**
     * The JDBC URL ({@code ...?currentSchema=...}) of a new, empty schema named {@code prefix} plus 16
     * random hex digits on the local PostgreSQL; drop it with {@link #dropPostgresSchema(String)}.
     */
    public static String freshPostgresSchema(String prefix) {
        String schema = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(PG_BASE, PG_USER, "");
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            String why = "PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage();
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        return PG_BASE + "?" + CURRENT_SCHEMA + schema;
    }

    /** Drops the schema of a URL made by {@link #freshPostgresSchema(String)}; best effort. */
    public static void dropPostgresSchema(String url) {
        try (Connection c = DriverManager.getConnection(PG_BASE, PG_USER, "");
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schemaOf(url) + " CASCADE");
        } catch (SQLException e) {
            // Best effort: a leftover schema does not affect other runs, which use their own.
        }
    }

    /** A connection to {@code url}: as {@value #PG_USER} on PostgreSQL, with the default user on H2. */
    public static Connection connect(String url) throws SQLException {
        return url.startsWith("jdbc:postgresql:")
                ? DriverManager.getConnection(url, PG_USER, "")
                : DriverManager.getConnection(url);
    }

    private static String schemaOf(String url) {
        return url.substring(url.indexOf(CURRENT_SCHEMA) + CURRENT_SCHEMA.length());
    }

    /** The JDBC URL. */
    public String url() {
        return url;
    }

    /** The PostgreSQL schema, or {@code null} for H2. */
    public String schema() {
        return schema;
    }

    /** The user to connect as: {@value #PG_USER} on PostgreSQL, {@code null} (the default) on H2. */
    public String user() {
        return schema == null ? null : PG_USER;
    }

    /** A data source handing out new connections through {@link DriverManager}. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** Executes one SQL statement. */
    public void execute(String sql) {
        try (Connection c = connect(url);
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Executes statements separated by {@code ;} (none may contain one in a literal), in order. */
    public void executeScript(String statements) {
        try (Connection c = connect(url);
                Statement s = c.createStatement()) {
            for (String sql : statements.split(";")) {
                if (!sql.isBlank()) {
                    s.execute(sql);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The number {@code sql} ({@code SELECT COUNT(*) ...}) selects, with {@code args} bound as strings. */
    public long count(String sql, String... args) {
        return countAt(url, sql, args);
    }

    /** {@link #count(String, String...)} on any database, by its JDBC URL (one of a service under test, say). */
    public static long countAt(String jdbcUrl, String sql, String... args) {
        try (Connection c = connect(jdbcUrl);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Drops the PostgreSQL schema (best effort), or shuts the H2 database down. */
    @Override
    public void close() {
        if (schema != null) {
            dropPostgresSchema(url);
        } else {
            execute("shutdown");
        }
    }

    private final class DriverManagerDataSource implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            return connect(url);
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return DriverManager.getConnection(url, username, password);
        }

        @Override
        public PrintWriter getLogWriter() {
            return DriverManager.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) {
            DriverManager.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) {
            DriverManager.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() {
            return DriverManager.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            if (iface.isInstance(this)) {
                return iface.cast(this);
            }
            throw new SQLException("not a wrapper of " + iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return iface.isInstance(this);
        }
    }
}
