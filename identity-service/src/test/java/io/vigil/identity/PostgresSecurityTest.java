package io.vigil.identity;

/** The security contract on the local PostgreSQL, in a schema of its own. */
class PostgresSecurityTest extends SecurityContractTest {
    @Override
    String databaseUrl() {
        return TestDatabases.freshPostgresSchema();
    }

    @Override
    void dropDatabase(String url) {
        TestDatabases.dropPostgresSchema(url);
    }
}
