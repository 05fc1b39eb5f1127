package io.vigil.jdbc;

import com.zaxxer.hikari.HikariConfig;
import io.vigil.test.TestDatabase;

/**
 * {@link JdbcTelemetryContract} on the local PostgreSQL (127.0.0.1:5432, database {@code test}),
 * in a fresh schema per test. Skipped without the server unless {@code vigil.require.servers}.
 */
class PostgresJdbcTelemetryTest extends JdbcTelemetryContract {
    private String url;

    @Override
    String freshUrl() {
        url = TestDatabase.freshPostgresSchema("vigil_jdbc_");
        return url;
    }

    @Override
    void configure(HikariConfig config) {
        config.setUsername(TestDatabase.PG_USER);
    }

    @Override
    String dbSystem() {
        return "postgresql";
    }

    @Override
    void cleanUp() {
        if (url != null) {
            TestDatabase.dropPostgresSchema(url);
        }
    }
}
