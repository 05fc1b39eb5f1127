package io.vigil.identity.internal;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.vigil.audit.AuditEntry;
import io.vigil.core.Outcome;
import io.vigil.identity.internal.http.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The transactional outbox of audit events bound for Kafka ({@code event_outbox}): {@link #recorded}
 * adds one row on the connection of the transaction that records the audit entry, so the event
 * exists if and only if the change committed. The row carries the record's key (the entry's
 * resource, so one user's events keep their order on one partition), its JSON value, the request id
 * and the current W3C trace context ({@code traceparent}/{@code tracestate}), which the {@link
 * OutboxPublisher} puts back around the send: the record's headers continue the request's trace.
 *
 * <p>The value is a JSON object: {@code event_id} (a UUID, also the {@code message_id} header: a
 * consumer drops a second delivery by it), {@code event_type} ({@code audit}), {@code source}
 * ({@code identity-service}), {@code occurred_at}, {@code actor_id}, {@code action}, {@code
 * resource}, {@code outcome}, {@code error}, {@code request_id}, {@code trace_id} and {@code
 * security} (true for lockouts, token reuse, password changes, failed logins and account
 * deactivation, unlock or deletion). Thread-safe.
 */
public final class EventOutbox implements AuditLog.Listener {
    /** The {@code source} of every event. */
    public static final String SOURCE = "identity-service";

    private static final Set<String> SECURITY_ACTIONS = Set.of(
            "account_locked",
            "refresh_token_reuse",
            "change_password",
            "deactivate_user",
            "unlock_user",
            "delete_user");

    private final String topic;
    private final TextMapPropagator propagator;
    private final Clock clock;

    public EventOutbox(String topic, TextMapPropagator propagator, Clock clock) {
        this.topic = topic;
        this.propagator = propagator;
        this.clock = clock;
    }

    @Override
    public void recorded(Connection c, AuditEntry e) throws SQLException {
        String eventId = UUID.randomUUID().toString();
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("event_id", eventId);
        value.put("event_type", "audit");
        value.put("source", SOURCE);
        value.put("occurred_at", e.occurredAt().toString());
        value.put("actor_id", e.actorId());
        value.put("action", e.action());
        value.put("resource", e.resource());
        value.put("outcome", e.outcome().label());
        value.put("error", e.error());
        value.put("request_id", e.requestId());
        value.put("trace_id", e.traceId());
        value.put("security", security(e));
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(Context.current(), carrier, Map::put);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO event_outbox (event_id, topic, event_key, payload,"
                + " request_id, traceparent, tracestate, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, eventId);
            ps.setString(2, topic);
            ps.setString(3, cut(e.resource(), 256));
            ps.setString(4, Json.write(value));
            ps.setString(5, e.requestId());
            ps.setString(6, cut(carrier.get("traceparent"), 55));
            String state = carrier.get("tracestate");
            ps.setString(7, state == null || state.length() > 512 ? null : state); // cut, it would not parse
            UserStore.setTime(ps, 8, clock.instant());
            ps.executeUpdate();
        }
    }

    private static boolean security(AuditEntry e) {
        return SECURITY_ACTIONS.contains(e.action()) || (e.action().equals("login") && e.outcome() != Outcome.SUCCESS);
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
