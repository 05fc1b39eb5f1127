package io.vigil.identity.internal;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import org.slf4j.MDC;

/**
 * The audit trail: who did what to which resource, with what outcome, written on the caller's
 * connection so that it commits or rolls back with the change it records. The request id comes
 * from the request's log context and the trace id from the current span.
 */
public final class AuditLog {
    /** Told, in the same transaction, of each record that calls for a security notification. */
    @FunctionalInterface
    public interface Notifier {
        /** {@code event} ({@code account_locked}, {@code password_changed}) happened to {@code userId}. */
        void notify(Connection c, String event, String userId) throws SQLException;
    }

    private final Notifier notifier;

    /** An audit log that notifies nobody. */
    public AuditLog() {
        this((c, event, userId) -> {});
    }

    /**
     * An audit log that hands lockouts and successful password changes to {@code notifier}, on the
     * record's connection: the notification is queued if and only if the change commits.
     */
    public AuditLog(Notifier notifier) {
        this.notifier = java.util.Objects.requireNonNull(notifier, "notifier");
    }

    /** Appends one record in the current transaction. */
    public void record(Connection c, String actorId, String action, String resource, String outcome, String error)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (occurred_at, actor_id, action,"
                + " resource, outcome, error, request_id, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            UserStore.setTime(ps, 1, Instant.now());
            ps.setString(2, actorId);
            ps.setString(3, action);
            ps.setString(4, resource);
            ps.setString(5, outcome);
            ps.setString(6, error);
            ps.setString(7, MDC.get("request_id"));
            SpanContext span = Span.current().getSpanContext();
            ps.setString(8, span.isValid() ? span.getTraceId() : null);
            ps.executeUpdate();
        }
        if ("success".equals(outcome) && resource != null && resource.startsWith("user:")) {
            String userId = resource.substring("user:".length());
            switch (action) {
                case "account_locked" -> notifier.notify(c, "account_locked", userId);
                case "change_password" -> notifier.notify(c, "password_changed", userId);
                default -> {
                    // Not a security notification.
                }
            }
        }
    }
}
