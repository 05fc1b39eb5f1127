package io.vigil.conventions.identity;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * Token lifecycle: span {@code token.<operation_type>.<token_type>.<operation>}, {@code
 * token_operations_total{operation_type,token_type,status}}, {@code
 * token_operation_duration_seconds{operation_type,token_type}} and a log event with {@code
 * event_type=token_operation}.
 */
public final class TokenOperation {
    public static final Set<String> TYPES = Set.of("generate", "validate", "refresh", "revoke");
    public static final Set<String> TOKEN_TYPES = Set.of("access", "refresh");
    public static final Set<String> FAILURE_REASONS = Set.of(
            "invalid",
            "expired",
            "revoked",
            "reused",
            "malformed",
            "invalid_token",
            "token_expired",
            "invalid_refresh_token",
            "missing_token");

    public static final OperationKind KIND = OperationKind.builder("token_operation")
            .dimension("operation_type", "token.operation.type", TYPES)
            .dimension("token_type", "token.type", TOKEN_TYPES)
            .spanName(op -> "token." + op.value(0) + "." + op.value(1) + "." + op.name())
            .outcome("status", "token.operation.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("token.operation.failure_reason", FAILURE_REASONS)
            .durationSpanAttribute("token.operation.duration_seconds")
            // Every authenticated request validates its access token.
            .routineSuccess("operation_type", "validate")
            .counter(
                    "token_operations_total",
                    "Token operations by type, token type and outcome",
                    END,
                    "operation_type",
                    "token_type",
                    "status")
            .durationHistogram(
                    "token_operation_duration_seconds", "Token operation duration", "operation_type", "token_type")
            .build();

    private TokenOperation() {}

    /** A token operation, e.g. {@code of("generate", "access", "create_access_token")}. */
    public static Operation of(String type, String tokenType, String operation) {
        return KIND.operation(operation, type, tokenType);
    }
}
