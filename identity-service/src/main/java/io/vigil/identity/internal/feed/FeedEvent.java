package io.vigil.identity.internal.feed;

import io.vigil.identity.internal.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * One security event as the feed pushes it, and as it travels between instances (a PostgreSQL
 * {@code NOTIFY} payload: small JSON, at most {@link #MAX_PAYLOAD_BYTES}).
 *
 * @param id unique id of the event
 * @param type {@code account_locked}, {@code brute_force_suspected}, {@code refresh_token_reuse},
 *     {@code role_changed}, {@code account_deactivated}, {@code account_unlocked}, …
 * @param severity low, medium, high, critical
 * @param userId the account concerned, or {@code null}
 * @param occurredAt ISO-8601 instant
 * @param requestId the request that raised it, or {@code null}
 * @param traceId the trace of that request, or {@code null}
 * @param details a few bounded values (numbers, ids)
 */
public record FeedEvent(
        String id,
        String type,
        String severity,
        String userId,
        String occurredAt,
        String requestId,
        String traceId,
        Map<String, Object> details) {
    /** PostgreSQL refuses a {@code NOTIFY} payload of 8000 bytes or more; this leaves room. */
    public static final int MAX_PAYLOAD_BYTES = 7000;

    public FeedEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Map<String, Object> kept = new LinkedHashMap<>();
        if (details != null) {
            details.forEach((k, v) -> {
                if (k != null && v != null) {
                    kept.put(k, v);
                }
            });
        }
        details = java.util.Collections.unmodifiableMap(kept);
    }

    /** The event as JSON (snake_case keys); without details when they would make it too large to notify. */
    public String toJson() {
        String json = Json.write(fields(details));
        if (json.getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD_BYTES) {
            json = Json.write(fields(Map.of("truncated", true)));
        }
        return json;
    }

    private Map<String, Object> fields(Map<String, Object> d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("type", type);
        m.put("severity", severity);
        m.put("user_id", userId);
        m.put("occurred_at", occurredAt);
        m.put("request_id", requestId);
        m.put("trace_id", traceId);
        m.put("details", d);
        return m;
    }

    /** Reads {@link #toJson()}'s output. */
    public static FeedEvent fromJson(String json) {
        JsonNode n = Json.MAPPER.readTree(json);
        Map<String, Object> details = new LinkedHashMap<>();
        JsonNode d = n.get("details");
        if (d != null && d.isObject()) {
            for (Map.Entry<String, JsonNode> e : d.properties()) {
                JsonNode v = e.getValue();
                details.put(e.getKey(), v.isNumber() ? v.numberValue() : v.isBoolean() ? v.asBoolean() : v.asString());
            }
        }
        return new FeedEvent(
                text(n, "id"),
                text(n, "type"),
                text(n, "severity"),
                text(n, "user_id"),
                text(n, "occurred_at"),
                text(n, "request_id"),
                text(n, "trace_id"),
                details);
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asString();
    }
}
