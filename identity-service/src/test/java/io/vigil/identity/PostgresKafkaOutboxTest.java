package io.vigil.identity;

/** {@link KafkaOutboxContract} on the local PostgreSQL, a schema per test. */
class PostgresKafkaOutboxTest extends KafkaOutboxContract {
    @Override
    String newDatabase() {
        return TestDatabases.freshPostgresSchema();
    }

    @Override
    void dropDatabase(String url) {
        TestDatabases.dropPostgresSchema(url);
    }
}
