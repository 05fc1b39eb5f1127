package io.vigil.audit;

/** {@link AuditContract} on the local PostgreSQL, in a schema of its own. */
class PostgresAuditTest extends AuditContract {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres();
    }
}
