package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.test.VigilExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ENABLE_OBSERVABILITY=false}: the data source is returned as it is, so a JDBC instrumentation
 * underneath (the OpenTelemetry Java agent's on the driver) still makes its spans.
 */
class ObservabilityOffTest {
    /** Stands for the other tracer (the agent): its own SDK, its own JDBC instrumentation on the driver. */
    @RegisterExtension
    final VigilExtension other = VigilExtension.create();

    @Test
    void wrapReturnsTheDataSourceItself() {
        DataSource driver = h2();
        try (Vigil off = off()) {
            assertThat(VigilJdbc.create(off).wrap(driver)).isSameAs(driver);
        }
    }

    @Test
    void anotherJdbcInstrumentationUnderneathStillMakesItsSpans() throws SQLException {
        // Before, the no-op wrapper's instrumenter put its (non-recording) span under the database
        // client span key of every statement's context; the instrumentation underneath, which shares
        // that key (the agent bridges it), took its statement for a nested one and made no span: the
        // agent exported no JDBC span for identity-service's requests with Vigil off.
        DataSource instrumentedDriver =
                JdbcTelemetry.builder(other.runtime().openTelemetry()).build().wrap(h2());
        try (Vigil off = off()) {
            DataSource db = VigilJdbc.create(off).wrap(instrumentedDriver);
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
        assertThat(other.spans())
                .filteredOn(sp -> sp.getKind() == SpanKind.CLIENT)
                .extracting(sp -> sp.getName())
                .satisfiesExactly(
                        name -> assertThat(name).startsWith("CREATE TABLE ").endsWith(".t"),
                        name -> assertThat(name).startsWith("SELECT ").endsWith(".t"));
    }

    private static Vigil off() {
        return Vigil.builder()
                .config(VigilConfig.builder().enabled(false).build())
                .build();
    }

    private static DataSource h2() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:off" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        return h2;
    }
}
