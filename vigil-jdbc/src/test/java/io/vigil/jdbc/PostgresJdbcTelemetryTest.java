package io.vigil.jdbc;

import com.zaxxer.hikari.HikariConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * {@link JdbcTelemetryContract} on the local PostgreSQL (127.0.0.1:5432, database {@code test}),
 * in a fresh schema per test. Skipped without the server unless {@code vigil.require.servers}.
 */
class PostgresJdbcTelemetryTest extends JdbcTelemetryContract {
    private static final String BASE = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String USER = "postgres";
    private String schema;

    @Override
    String freshUrl() {
        schema = "vigil_jdbc_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(BASE, USER, "");
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            String why = "PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage();
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        return BASE + "?currentSchema=" + schema;
    }

    @Override
    void configure(HikariConfig config) {
        config.setUsername(USER);
    }

    @Override
    String dbSystem() {
        return "postgresql";
    }

    @Override
    void cleanUp() {
        if (schema == null) {
            return;
        }
        try (Connection c = DriverManager.getConnection(BASE, USER, "");
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            // best effort: other runs use schemas of their own
        }
    }
}
