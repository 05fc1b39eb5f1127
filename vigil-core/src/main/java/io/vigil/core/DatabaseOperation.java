package io.vigil.core;

import static io.vigil.core.OperationKind.Trigger.END;
import static io.vigil.core.OperationKind.Trigger.ERROR;

import java.util.Set;

/**
 * Database operations at the repository level: span {@code db.<operation>.<table>}, {@code
 * database_operations_total{operation,table,status}}, {@code
 * database_operation_duration_seconds{operation,table}}, {@code db_errors_total{operation,error_type}}
 * and a log event with {@code event_type=database}. Statement-level spans come from the
 * OpenTelemetry JDBC instrumentation beneath these.
 */
public final class DatabaseOperation {
    public static final Set<String> OPERATIONS = Set.of("select", "insert", "update", "delete");

    public static final OperationKind KIND = OperationKind.builder("database_operation")
            .eventType("database")
            .family(OperationKind.MetricFamily.DATABASE)
            // Several per request: successes are in the metrics and spans, their log lines at DEBUG.
            .successLogLevel(org.slf4j.event.Level.DEBUG)
            .dimension("operation", "db.operation", "db_operation", OPERATIONS)
            .openDimension("table", "db.sql.table", "table", 128)
            .spanName(op -> "db." + op.value(0) + "." + op.value(1))
            .outcome("status", "db.operation.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("db.operation.failure_reason", Set.of("not_found", "constraint_violation", "conflict"))
            .durationSpanAttribute("db.operation.duration_seconds")
            .counter(
                    "database_operations_total",
                    "Database operations by type, table and outcome",
                    END,
                    "operation",
                    "table",
                    "status")
            .durationHistogram(
                    "database_operation_duration_seconds", "Database operation duration", "operation", "table")
            .counter(
                    "db_errors_total",
                    "Database errors by operation and exception type",
                    ERROR,
                    "operation",
                    "error_type")
            .build();

    private DatabaseOperation() {}

    /** An operation on {@code table}, e.g. {@code of("select", "users", "find_user_by_email")}. */
    public static Operation of(String operation, String table, String name) {
        return KIND.operation(name, operation, table);
    }
}
