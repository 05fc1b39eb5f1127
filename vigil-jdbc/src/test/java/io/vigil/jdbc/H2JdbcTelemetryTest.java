package io.vigil.jdbc;

import java.util.UUID;

/** {@link JdbcTelemetryContract} on an in-memory H2. */
class H2JdbcTelemetryTest extends JdbcTelemetryContract {
    @Override
    String freshUrl() {
        return "jdbc:h2:mem:t" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1";
    }

    @Override
    String dbSystem() {
        return "h2";
    }
}
