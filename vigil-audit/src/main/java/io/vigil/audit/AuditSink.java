package io.vigil.audit;

import java.sql.Connection;

/**
 * Where an {@link AuditLog} writes its entries, beside the log event: {@link JdbcAuditSink}, or a
 * sink of the application's own. A sink that throws never fails the caller: the failure is counted
 * ({@code vigil_telemetry_failures_total{component="audit"}}) and logged once per outage.
 */
@FunctionalInterface
public interface AuditSink {
    /**
     * Writes {@code entry}.
     *
     * @param entry the scrubbed entry
     * @param transaction the caller's connection (given to {@link AuditLog#record(Connection, String,
     *     String, String, io.vigil.core.Outcome, String)} or bound by {@link AuditLog#bindTransaction}),
     *     or {@code null} when the caller has none: a sink that writes to the caller's database then
     *     uses it, so the entry commits or rolls back with the change it records
     * @throws Exception when the entry could not be written
     */
    void write(AuditEntry entry, Connection transaction) throws Exception;
}
