package io.vigil.jobs;

/** {@link JobsContract} on the local PostgreSQL, in a schema of its own. */
class PostgresJobsTest extends JobsContract {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
