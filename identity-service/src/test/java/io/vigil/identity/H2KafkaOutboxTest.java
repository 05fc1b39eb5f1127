package io.vigil.identity;

/** {@link KafkaOutboxContract} on in-memory H2 (the embedded default's dialect). */
class H2KafkaOutboxTest extends KafkaOutboxContract {
    @Override
    String newDatabase() {
        return TestDatabases.h2();
    }

    @Override
    void dropDatabase(String url) {
        // In memory, private to this test (like every H2 test database here).
    }
}
