package io.vigil.audit;

import io.vigil.core.Outcome;
import java.time.Instant;
import java.util.Objects;

/**
 * One audit record: who ({@code actorId}) did what ({@code action}) to which resource, with what
 * outcome, in which request and trace. The values are already scrubbed when an {@link AuditLog}
 * builds it.
 *
 * @param occurredAt when it was recorded
 * @param actorId who acted (a user or service id), or {@code null} when unknown (a failed login)
 * @param action what was done, a short snake_case verb such as {@code delete_user}
 * @param resource what it was done to, e.g. {@code user:42}
 * @param outcome {@link Outcome#SUCCESS}, {@link Outcome#FAILURE} (refused for a domain reason) or
 *     {@link Outcome#ERROR}
 * @param error why it failed or broke, a short code such as {@code invalid_credentials}; {@code null}
 *     on success
 * @param requestId the {@code request_id} of the request it was recorded in, or {@code null}
 * @param traceId the trace id (32 hex digits) current when it was recorded, or {@code null}
 */
public record AuditEntry(
        Instant occurredAt,
        String actorId,
        String action,
        String resource,
        Outcome outcome,
        String error,
        String requestId,
        String traceId) {

    /** Checks the required values. */
    public AuditEntry {
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(outcome, "outcome");
    }
}
