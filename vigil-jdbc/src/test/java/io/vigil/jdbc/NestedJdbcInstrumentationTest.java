package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.test.VigilExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Nesting suppression: another JDBC instrumentation of the instrumentation API (the OpenTelemetry library's wrapper
 * here; the agent's advice on the driver bridges the same database-client span key) makes no second span for a
 * statement that already runs in Vigil's, and Vigil makes none inside one of theirs — but records its metrics either
 * way, as before issue 17.
 */
class NestedJdbcInstrumentationTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void anInstrumentationUnderneathMakesNoSecondSpan() throws SQLException {
        DataSource underneath = JdbcTelemetry.builder(telemetry.runtime().openTelemetry())
                .build()
                .wrap(h2());
        DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(underneath);
        runStatements(db);
        assertThat(clientSpans()).extracting(SpanData::getName).hasSize(2);
        assertThat(clientSpans())
                .allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
        assertThat(telemetry
                        .metrics()
                        .value(
                                "database_operations_total",
                                Map.of("operation", "select", "table", "t", "status", "success")))
                .isEqualTo(1);
    }

    @Test
    void insideAnotherInstrumentationVigilMakesNoSpanButRecordsItsMetrics() throws SQLException {
        DataSource vigil = VigilJdbc.create(telemetry.runtime()).wrap(h2());
        DataSource db = JdbcTelemetry.builder(telemetry.runtime().openTelemetry())
                .build()
                .wrap(vigil);
        runStatements(db);
        assertThat(clientSpans()).hasSize(2);
        assertThat(clientSpans())
                .allSatisfy(s ->
                        assertThat(s.getInstrumentationScopeInfo().getName()).isEqualTo("io.opentelemetry.jdbc"));
        assertThat(telemetry
                        .metrics()
                        .value(
                                "database_operations_total",
                                Map.of("operation", "select", "table", "t", "status", "success")))
                .isEqualTo(1);
    }

    private java.util.List<SpanData> clientSpans() {
        return telemetry.spans().stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT)
                .toList();
    }

    private static void runStatements(DataSource db) throws SQLException {
        try (Connection c = db.getConnection()) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id INT)");
            }
            try (PreparedStatement p = c.prepareStatement("SELECT id FROM t WHERE id = ?")) {
                p.setInt(1, 1);
                p.executeQuery().close();
            }
        }
    }

    private static DataSource h2() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:nested" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        return h2;
    }
}
