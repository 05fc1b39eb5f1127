package io.vigil.jobs;

import io.vigil.test.TestDatabase;

/** {@link JobsContract} on an in-memory H2 database. */
class H2JobsTest extends JobsContract {
    @Override
    TestDatabase newDatabase() {
        return SchedulerTables.h2();
    }
}
