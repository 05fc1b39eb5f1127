package io.vigil.identity;

/** The API contract on the embedded H2 database. */
class H2ApiTest extends ApiContractTest {
    @Override
    String databaseUrl() {
        return TestDatabases.h2();
    }
}
