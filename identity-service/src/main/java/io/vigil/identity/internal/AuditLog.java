package io.vigil.identity.internal;

import io.vigil.audit.AuditEntry;
import io.vigil.core.Outcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The service's audit trail, on vigil-audit: who did what to which resource, with what outcome,
 * written to {@code audit_log} on the caller's connection so that it commits or rolls back with the
 * change it records, and logged as an {@code event_type=audit} event; the request id comes from the
 * request's log context and the trace id from the current span (vigil-audit fills both and scrubs
 * the values). The service's own steps follow on the same connection: the entry is handed to the
 * {@link Listener} (the Kafka outbox) and lockouts and password changes to the {@link Notifier}.
 */
public final class AuditLog {
    /** Told, in the same transaction, of each record that calls for a security notification. */
    @FunctionalInterface
    public interface Notifier {
        /** {@code event} ({@code account_locked}, {@code password_changed}) happened to {@code userId}. */
        void notify(Connection c, String event, String userId) throws SQLException;
    }

    /** Told, in the same transaction, of every entry written. */
    @FunctionalInterface
    public interface Listener {
        /** Nobody listens. */
        Listener NONE = (c, entry) -> {};

        /** {@code entry} was recorded on {@code c}. */
        void recorded(Connection c, AuditEntry entry) throws SQLException;
    }

    private final io.vigil.audit.AuditLog trail;
    private final Notifier notifier;
    private final Listener listener;

    /**
     * An audit log writing through {@code trail}, handing every entry to {@code listener} and
     * lockouts and successful password changes to {@code notifier}, on the record's connection: what
     * they queue is queued if and only if the change commits. Unlike the trail's own sinks (whose
     * failures are counted and skipped), a listener or notifier that throws fails the transaction.
     */
    public AuditLog(io.vigil.audit.AuditLog trail, Notifier notifier, Listener listener) {
        this.trail = Objects.requireNonNull(trail, "trail");
        this.notifier = Objects.requireNonNull(notifier, "notifier");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Appends one record in the current transaction. */
    public void record(Connection c, String actorId, String action, String resource, String outcome, String error)
            throws SQLException {
        AuditEntry entry = trail.record(c, actorId, action, resource, outcome(outcome), error);
        listener.recorded(c, entry);
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

    private static Outcome outcome(String label) {
        return switch (label) {
            case "success" -> Outcome.SUCCESS;
            case "failure" -> Outcome.FAILURE;
            default -> Outcome.ERROR;
        };
    }
}
