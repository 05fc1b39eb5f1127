package io.vigil.identity;

/** The API contract on the local PostgreSQL, in a schema of its own. */
class PostgresApiTest extends ApiContractTest {
    @Override
    String databaseUrl() {
        return TestDatabases.freshPostgresSchema();
    }

    @Override
    void dropDatabase(String url) {
        TestDatabases.dropPostgresSchema(url);
    }
}
