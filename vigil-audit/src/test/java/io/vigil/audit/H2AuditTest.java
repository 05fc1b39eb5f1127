package io.vigil.audit;

import io.vigil.test.TestDatabase;

/** {@link AuditContract} on a private in-memory H2. */
class H2AuditTest extends AuditContract {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2("audit");
    }
}
