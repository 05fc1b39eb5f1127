package io.vigil.identity;

/** The security contract on the embedded H2 database. */
class H2SecurityTest extends SecurityContractTest {
    @Override
    String databaseUrl() {
        return TestDatabases.h2();
    }
}
