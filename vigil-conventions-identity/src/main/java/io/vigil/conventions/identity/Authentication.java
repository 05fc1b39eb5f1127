package io.vigil.conventions.identity;

import static io.vigil.core.OperationKind.Trigger.END;
import static io.vigil.core.OperationKind.Trigger.FAILURE;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * Authentication attempts (login, refresh, verify): span {@code auth.<auth_type>.<operation>},
 * {@code authentication_attempts_total{auth_type,status}}, {@code
 * authentication_duration_seconds{auth_type}}, {@code failed_login_attempts_total{reason}} and a log
 * event with {@code event_type=authentication}.
 */
public final class Authentication {
    /** Reasons an authentication fails; anything else is reported as {@code other}. */
    public static final Set<String> FAILURE_REASONS = Set.of(
            "invalid_credentials",
            "account_locked",
            "account_inactive",
            "rate_limited",
            "missing_credentials",
            "invalid_token",
            "token_expired",
            "token_revoked",
            "token_reused",
            "invalid_refresh_token",
            "missing_token");

    public static final OperationKind KIND = OperationKind.builder("authentication")
            .dimension("auth_type", "auth.type", Set.of("login", "refresh", "verify"))
            .spanName(op -> "auth." + op.value(0) + "." + op.name())
            .outcome("status", "auth.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("auth.failure_reason", FAILURE_REASONS)
            .durationSpanAttribute("auth.duration_seconds")
            .counter(
                    "authentication_attempts_total",
                    "Authentication attempts by type and outcome",
                    END,
                    "auth_type",
                    "status")
            .durationHistogram("authentication_duration_seconds", "Authentication duration", "auth_type")
            .counterWhen(
                    "auth_type", "login", "failed_login_attempts_total", "Failed logins by reason", FAILURE, "reason")
            .build();

    private Authentication() {}

    /** A login operation, e.g. {@code login("authenticate_user")}. */
    public static Operation login(String operation) {
        return KIND.operation(operation, "login");
    }

    /** A token refresh. */
    public static Operation refresh(String operation) {
        return KIND.operation(operation, "refresh");
    }

    /** A token verification. */
    public static Operation verify(String operation) {
        return KIND.operation(operation, "verify");
    }
}
