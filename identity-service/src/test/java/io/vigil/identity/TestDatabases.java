package io.vigil.identity;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Fresh, isolated databases for tests: an in-memory H2, or a new schema on the local PostgreSQL. */
final class TestDatabases {
    static final String PG_BASE = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String PG_USER = "postgres";

    private TestDatabases() {}

    /** A private in-memory H2 database in PostgreSQL mode, like the embedded default. */
    static String h2() {
        return "jdbc:h2:mem:t" + UUID.randomUUID().toString().replace("-", "")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
    }

    /**
     * A JDBC URL for a new, empty schema of the local PostgreSQL, so runs never collide. Skips the
     * test when PostgreSQL is not there, unless {@code vigil.require.servers} demands it.
     */
    static String freshPostgresSchema() {
        String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
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
        return PG_BASE + "?currentSchema=" + schema;
    }

    /** Drops a schema made by {@link #freshPostgresSchema()}. */
    static void dropPostgresSchema(String url) {
        String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
        try (Connection c = DriverManager.getConnection(PG_BASE, PG_USER, "");
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            // Best effort: a leftover schema does not affect other runs, which use their own.
        }
    }

    static Connection connect(String url) throws SQLException {
        return url.startsWith("jdbc:postgresql:")
                ? DriverManager.getConnection(url, PG_USER, "")
                : DriverManager.getConnection(url);
    }
}
