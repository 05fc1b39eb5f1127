package io.vigil.conventions.identity;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * Security events: span {@code security.<event_type>}, {@code security_events_total{event_type,severity}}
 * and a log event with {@code event_type=security}, {@code security_event_type} and {@code severity}.
 */
public final class SecurityEvent {
    public static final Set<String> TYPES = Set.of(
            "account_deactivated",
            "account_locked",
            "account_unlocked",
            "brute_force_suspected",
            "refresh_token_reuse",
            "password_changed",
            "role_changed",
            "suspicious_activity");
    public static final Set<String> SEVERITIES = Set.of("low", "medium", "high", "critical");

    public static final OperationKind KIND = OperationKind.builder("security_event")
            .eventType("security")
            .dimension("event_type", "security.event.type", "security_event_type", TYPES)
            .dimension("severity", "security.event.severity", "severity", SEVERITIES)
            .spanName(op -> "security." + op.value(0))
            .outcome("status", null, OperationKind.OutcomeEncoding.STATUS)
            .counter("security_events_total", "Security events by type and severity", END, "event_type", "severity")
            .build();

    private SecurityEvent() {}

    /** A security event, e.g. {@code of("account_locked", "high")}. */
    public static Operation of(String type, String severity) {
        return KIND.operation("event", type, severity);
    }
}
