package io.vigil.conventions.identity;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * Password operations, always security-relevant: span {@code password.<operation_type>.<operation>}
 * with {@code security.relevant=true}, {@code password_operations_total{operation_type,status}} and a
 * log event with {@code event_type=password_operation}.
 */
public final class PasswordOperation {
    public static final Set<String> TYPES = Set.of("change", "validate", "reset", "hash", "verify");
    public static final Set<String> FAILURE_REASONS =
            Set.of("invalid_current_password", "policy_violation", "validation_failed", "mismatch", "reused");

    public static final OperationKind KIND = OperationKind.builder("password_operation")
            .dimension("operation_type", "password.operation.type", TYPES)
            .spanName(op -> "password." + op.value(0) + "." + op.name())
            .outcome("status", "password.operation.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("password.operation.failure_reason", FAILURE_REASONS)
            .constantSpanAttribute("security.relevant", true)
            .counter(
                    "password_operations_total",
                    "Password operations by type and outcome",
                    END,
                    "operation_type",
                    "status")
            .build();

    private PasswordOperation() {}

    /** A password operation of {@code type} (one of {@link #TYPES}). */
    public static Operation of(String type, String operation) {
        return KIND.operation(operation, type);
    }
}
