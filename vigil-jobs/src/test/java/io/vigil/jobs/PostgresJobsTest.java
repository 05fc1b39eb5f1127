package io.vigil.jobs;

import io.vigil.test.TestDatabase;

/** {@link JobsContract} on the local PostgreSQL, in a schema of its own. */
class PostgresJobsTest extends JobsContract {
    @Override
    TestDatabase newDatabase() {
        return SchedulerTables.postgres();
    }
}
