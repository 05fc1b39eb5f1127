package io.vigil.jobs;

/** {@link JobsContract} on an in-memory H2 database. */
class H2JobsTest extends JobsContract {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2();
    }
}
