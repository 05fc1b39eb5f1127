package io.vigil.identity;

/** The background jobs contract on an in-memory H2 database shared by the test's instances. */
class H2BackgroundJobsTest extends BackgroundJobsContract {
    @Override
    String databaseUrl() {
        return TestDatabases.h2();
    }
}
