package io.vigil.identity;

/** The background jobs contract on the local PostgreSQL, two instances on one schema of its own. */
class PostgresBackgroundJobsTest extends BackgroundJobsContract {
    @Override
    String databaseUrl() {
        return TestDatabases.freshPostgresSchema();
    }

    @Override
    void dropDatabase(String url) {
        TestDatabases.dropPostgresSchema(url);
    }
}
