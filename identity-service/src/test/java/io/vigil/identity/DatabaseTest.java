package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.internal.Database;
import io.vigil.jdbc.VigilJdbc;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link Database#tx} when the connection dies under the transaction. */
class DatabaseTest {

    @Test
    void theFailureThatEndedTheTransactionSurfacesAndTheCleanUpFailuresAreSuppressed() {
        String url = TestDatabases.freshPostgresSchema();
        IdentityConfig config = IdentityConfig.builder()
                .databaseUrl(url)
                .databaseUser(TestDatabases.PG_USER)
                .databasePoolSize(2)
                .build();
        try (Vigil off = Vigil.builder()
                        .config(VigilConfig.builder().enabled(false).build())
                        .build();
                Database db = new Database(config, VigilJdbc.create(off))) {
            // The server ends this session mid-transaction (an administrator, a failover, a restart).
            Database.DataAccessException e = catchThrowableOfType(
                    Database.DataAccessException.class,
                    () -> db.tx(c -> {
                        try (Statement s = c.createStatement()) {
                            s.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                        }
                        return null;
                    }));

            assertThat(e).isNotNull();
            // The real error: the session was terminated (SQLSTATE 57P01), not "connection is closed".
            assertThat(e.getCause()).isInstanceOf(SQLException.class);
            assertThat(((SQLException) e.getCause()).getSQLState()).isEqualTo("57P01");
            // Rolling back and resetting the dead connection failed too; those are kept, not thrown.
            assertThat(Arrays.stream(e.getSuppressed()).map(Throwable::getMessage))
                    .isNotEmpty()
                    .allSatisfy(m -> assertThat(m).containsIgnoringCase("closed"));
            // The pool replaced the dead connection.
            Integer answer = db.tx(c -> 42);
            assertThat(answer).isEqualTo(42);
        } finally {
            TestDatabases.dropPostgresSchema(url);
        }
    }
}
