package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.internal.Database;
import io.vigil.jdbc.VigilJdbc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link Database#tx} when the connection dies under the transaction; a database unreachable at start. */
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

    /**
     * A database that cannot be reached at start is one sentence naming where it is (without the credentials, in
     * the URL or not) and the driver's innermost reason: it was the pool's PoolInitializationException and its
     * stack trace.
     */
    @Test
    void anUnreachableDatabaseAtStartIsWhereAndWhyWithoutCredentials() throws IOException {
        int closed = closedPort();
        IdentityConfig config = IdentityConfig.builder()
                .databaseUrl("jdbc:postgresql://127.0.0.1:" + closed + "/db?user=bob&password=s3cret")
                .databasePassword("s3cret")
                .build();
        try (Vigil off = Vigil.builder()
                .config(VigilConfig.builder().enabled(false).build())
                .build()) {
            assertThatThrownBy(() -> new Database(config, VigilJdbc.create(off)).close())
                    .isInstanceOf(Database.UnreachableAtStartException.class)
                    .hasMessage("no connection to the database at 127.0.0.1:" + closed
                            + "/db (DATABASE_URL): Connection refused");
        }
    }

    /** A loopback port nothing listens on: taken from the system, then given back. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
