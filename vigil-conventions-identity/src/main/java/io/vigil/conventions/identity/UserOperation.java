package io.vigil.conventions.identity;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * User management: span {@code user.<operation_type>.<operation>}, {@code
 * user_operations_total{operation_type,status}}, {@code user_operation_duration_seconds{operation_type}}
 * and a log event with {@code event_type=user_operation}.
 */
public final class UserOperation {
    public static final Set<String> TYPES =
            Set.of("create", "update", "delete", "get", "list", "activate", "deactivate", "unlock");
    public static final Set<String> FAILURE_REASONS = Set.of(
            "not_found",
            "conflict",
            "forbidden",
            "invalid_input",
            "validation_failed",
            "email_taken",
            "cannot_delete_self",
            "cannot_deactivate_self");

    public static final OperationKind KIND = OperationKind.builder("user_operation")
            .dimension("operation_type", "user.operation.type", TYPES)
            .spanName(op -> "user." + op.value(0) + "." + op.name())
            .outcome("status", "user.operation.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("user.operation.failure_reason", FAILURE_REASONS)
            .durationSpanAttribute("user.operation.duration_seconds")
            .subjectSpanAttribute("user.target.id")
            // Reads change nothing: the access log already records who read what, when, how fast.
            .routineSuccess("operation_type", "get")
            .counter("user_operations_total", "User operations by type and outcome", END, "operation_type", "status")
            .durationHistogram("user_operation_duration_seconds", "User operation duration", "operation_type")
            .build();

    private UserOperation() {}

    /** A user operation of {@code type} (one of {@link #TYPES}). */
    public static Operation of(String type, String operation) {
        return KIND.operation(operation, type);
    }
}
