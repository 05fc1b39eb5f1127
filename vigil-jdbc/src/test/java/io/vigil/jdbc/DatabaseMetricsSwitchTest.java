package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.opentelemetry.api.trace.SpanKind;
import io.vigil.test.VigilExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code ENABLE_DATABASE_METRICS=false}: statement spans stay, the database metrics and pool gauges go. */
class DatabaseMetricsSwitchTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create(b -> b.databaseMetricsEnabled(false));

    @Test
    void noDatabaseMetricsButSpans() throws SQLException {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:h2:mem:s" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        hc.setPoolName("switched");
        try (HikariDataSource pool = new HikariDataSource(hc)) {
            DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(pool);
            try (Connection c = db.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id INT)");
                s.executeQuery("SELECT id FROM t").close();
            }
            String metrics = telemetry.metrics().text();
            assertThat(metrics)
                    .doesNotContain("database_operations_total")
                    .doesNotContain("database_operation_duration")
                    .doesNotContain("db_errors_total")
                    .doesNotContain("db_connections_");
            assertThat(telemetry.spans())
                    .filteredOn(sp -> sp.getKind() == SpanKind.CLIENT)
                    .hasSize(2);
        }
    }
}
