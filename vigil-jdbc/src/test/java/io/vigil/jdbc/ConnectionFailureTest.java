package io.vigil.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.vigil.test.VigilExtension;
import java.net.ServerSocket;
import java.sql.SQLTransientConnectionException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The database unreachable: the pool gives no connection, so no statement runs. The failed wait is a database error
 * (it left db_errors_total and database_operations_total flat through a whole outage, the database dashboard silent).
 */
class ConnectionFailureTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void aConnectionThePoolCannotGiveIsCountedAsADatabaseError() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // nothing listens there once closed
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:h2:tcp://127.0.0.1:" + closedPort + "/mem:unreachable");
        hc.setPoolName("unreachable");
        hc.setConnectionTimeout(250);
        hc.setInitializationFailTimeout(-1); // the pool starts; its connections fail
        try (HikariDataSource pool = new HikariDataSource(hc)) {
            DataSource db = VigilJdbc.create(telemetry.runtime()).wrap(pool);
            assertThatThrownBy(db::getConnection).isInstanceOf(SQLTransientConnectionException.class);
            String metrics = telemetry.metrics().text();
            assertThat(metrics)
                    .contains("db_errors_total{error_type=\"SQLTransientConnectionException\",operation=\"other\"} 1.0")
                    .contains("database_operations_total{operation=\"other\",status=\"error\",table=\"none\"} 1.0");
        }
    }
}
