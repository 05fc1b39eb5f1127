package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.jdbc.internal.StatementMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** A failing recorder never fails the statement; the failures are counted. */
class TelemetryFailureTest {
    @Test
    void queriesGoOnWhenRecordingThrows() throws SQLException {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:f" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
        AtomicInteger attempts = new AtomicInteger();
        StatementMetrics metrics = new StatementMetrics((op, outcome, seconds, reason, error) -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("meter broken");
        });
        DataSource db = metrics.wrap(h2);
        try (Connection c = db.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INT)");
            assertThat(s.executeUpdate("INSERT INTO t VALUES (1)")).isEqualTo(1);
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM t WHERE id = ?")) {
                ps.setInt(1, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                }
                // What the driver's objects answer is unchanged, except that the proxies stay proxies.
                assertThat(ps.getConnection()).isSameAs(c);
            }
            assertThat(c.unwrap(org.h2.jdbc.JdbcConnection.class)).isNotNull();
        }
        assertThat(attempts).hasValue(3);
        assertThat(metrics.telemetryFailures()).isEqualTo(3);
    }
}
