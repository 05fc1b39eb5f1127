package io.vigil.identity;

import io.vigil.test.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;

/** Fresh, isolated databases for tests as JDBC URLs: an in-memory H2, or a new schema on the local PostgreSQL. */
final class TestDatabases {
    static final String PG_USER = TestDatabase.PG_USER;

    private TestDatabases() {}

    /** A private in-memory H2 database in PostgreSQL mode, like the embedded default. */
    static String h2() {
        return TestDatabase.h2Url("t", "MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
    }

    /**
     * A JDBC URL for a new, empty schema of the local PostgreSQL, so runs never collide. Skips the
     * test when PostgreSQL is not there, unless {@code vigil.require.servers} demands it.
     */
    static String freshPostgresSchema() {
        return TestDatabase.freshPostgresSchema("it_");
    }

    /** Drops a schema made by {@link #freshPostgresSchema()}. */
    static void dropPostgresSchema(String url) {
        TestDatabase.dropPostgresSchema(url);
    }

    static Connection connect(String url) throws SQLException {
        return TestDatabase.connect(url);
    }
}
