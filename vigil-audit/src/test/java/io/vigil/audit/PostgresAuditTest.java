package io.vigil.audit;

import io.vigil.test.TestDatabase;

/** {@link AuditContract} on the local PostgreSQL, in a schema of its own. */
class PostgresAuditTest extends AuditContract {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.postgres("audit_");
    }
}
