package io.vigil.conventions.identity;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;

/**
 * Authorization checks: span {@code authz.<resource>.<action>} with {@code authz.granted},
 * {@code authorization_checks_total{resource,action,is_authorized}} and a log event with {@code
 * event_type=authorization}. A denied check ends in {@link io.vigil.core.Outcome#FAILURE}. Resources and actions
 * are application-defined: the first 64 distinct values of each are kept, later ones become
 * {@code other}.
 */
public final class AuthorizationCheck {
    public static final OperationKind KIND = OperationKind.builder("authorization")
            .openDimension("resource", "authz.resource", "resource", 64)
            .openDimension("action", "authz.action", "action", 64)
            .spanName(op -> "authz." + op.value(0) + "." + op.value(1))
            .outcome("is_authorized", "authz.granted", OperationKind.OutcomeEncoding.GRANTED)
            .failureReasons("authz.failure_reason", java.util.Set.of("missing_role", "not_owner", "unauthenticated"))
            .durationSpanAttribute("authz.duration_seconds")
            // A granted check precedes most requests; the span, authorization_checks_total and the
            // access log show it. Denials (FAILURE) log at WARN.
            .successLogLevel(org.slf4j.event.Level.DEBUG)
            .counter(
                    "authorization_checks_total",
                    "Authorization checks by resource, action and decision",
                    END,
                    "resource",
                    "action",
                    "is_authorized")
            .build();

    private AuthorizationCheck() {}

    /** A check of {@code action} on {@code resource}, e.g. {@code of("user", "delete")}. */
    public static Operation of(String resource, String action) {
        return KIND.operation("check", resource, action);
    }
}
