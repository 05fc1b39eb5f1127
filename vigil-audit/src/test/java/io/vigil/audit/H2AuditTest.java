package io.vigil.audit;

/** {@link AuditContract} on a private in-memory H2. */
class H2AuditTest extends AuditContract {
    @Override
    TestDatabase newDatabase() {
        return TestDatabase.h2();
    }
}
