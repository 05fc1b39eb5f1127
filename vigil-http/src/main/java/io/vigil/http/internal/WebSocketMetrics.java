package io.vigil.http.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The contract's WebSocket metrics (section 2: {@code ws_connections_active}, {@code
 * ws_connections_total{status}}, {@code ws_messages_received_total}, {@code ws_messages_sent_total},
 * {@code ws_message_processing_duration_seconds}) plus what the contract leaves open: message sizes
 * ({@code ws_message_size_bytes{direction}}), connection duration ({@code
 * ws_connection_duration_seconds}), closes by code ({@code ws_connections_closed_total{close_code}})
 * and message errors ({@code ws_message_errors_total{error_type}}). Every label is bounded.
 */
public final class WebSocketMetrics {
    /** Close codes kept as their own label value (RFC 6455 section 7.4.1); others are {@code other}. */
    private static final Set<Integer> KNOWN_CLOSE_CODES =
            Set.of(1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015);

    private static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("endpoint");
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");
    private static final AttributeKey<String> HANDLER = AttributeKey.stringKey("handler");
    private static final AttributeKey<String> DIRECTION = AttributeKey.stringKey("direction");
    private static final AttributeKey<String> CLOSE_CODE = AttributeKey.stringKey("close_code");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error_type");
    private static final List<Double> SECONDS_BUCKETS =
            List.of(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.5, 1.0, 2.5, 5.0, 10.0);
    private static final List<Double> CONNECTION_BUCKETS =
            List.of(1.0, 10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0, 86400.0);
    private static final List<Long> BYTES_BUCKETS = List.of(64L, 256L, 1_024L, 4_096L, 16_384L, 65_536L, 1_048_576L);

    private final boolean enabled;
    private final LongUpDownCounter active;
    private final LongCounter connections;
    private final LongCounter received;
    private final LongCounter sent;
    private final DoubleHistogram processing;
    private final LongHistogram size;
    private final DoubleHistogram connectionDuration;
    private final LongCounter closed;
    private final LongCounter errors;
    private final Map<String, Attributes> attributes = new ConcurrentHashMap<>();

    public WebSocketMetrics(Meter meter, boolean enabled) {
        this.enabled = enabled;
        active = meter.upDownCounterBuilder("ws_connections_active")
                .setDescription("Open WebSocket connections, by route template")
                .build();
        connections = meter.counterBuilder("ws_connections_total")
                .setDescription(
                        "WebSocket connection attempts by outcome (accepted, rejected_auth, rejected_limit, error)")
                .build();
        received = meter.counterBuilder("ws_messages_received_total")
                .setDescription("WebSocket messages received, by route template and declared handler")
                .build();
        sent = meter.counterBuilder("ws_messages_sent_total")
                .setDescription("WebSocket messages sent, by route template and declared handler")
                .build();
        processing = meter.histogramBuilder("ws_message_processing_duration")
                .setUnit("s")
                .setDescription("Time a WebSocket message handler ran, by declared handler")
                .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS)
                .build();
        size = meter.histogramBuilder("ws_message_size")
                .setUnit("By")
                .setDescription("WebSocket message payload size, by direction (received, sent)")
                .ofLongs()
                .setExplicitBucketBoundariesAdvice(BYTES_BUCKETS)
                .build();
        connectionDuration = meter.histogramBuilder("ws_connection_duration")
                .setUnit("s")
                .setDescription("How long accepted WebSocket connections stayed open")
                .setExplicitBucketBoundariesAdvice(CONNECTION_BUCKETS)
                .build();
        closed = meter.counterBuilder("ws_connections_closed_total")
                .setDescription("Closed WebSocket connections by close code (RFC 6455; others 'other')")
                .build();
        errors = meter.counterBuilder("ws_message_errors_total")
                .setDescription("WebSocket errors by type (too_big, bad_frame, handler_error, io_error)")
                .build();
    }

    private Attributes attrs(String endpoint, AttributeKey<String> key, String value) {
        return attributes.computeIfAbsent(
                key.getKey() + '\n' + endpoint + '\n' + value, k -> Attributes.of(ENDPOINT, endpoint, key, value));
    }

    private Attributes endpointOnly(String endpoint) {
        return attributes.computeIfAbsent(endpoint, k -> Attributes.of(ENDPOINT, endpoint));
    }

    /** One connection attempt's outcome. */
    public void connection(String endpoint, String status) {
        if (enabled) {
            connections.add(1, attrs(endpoint, STATUS, status), Context.root());
        }
    }

    /** An accepted connection opened (+1) or closed (-1). */
    public void active(String endpoint, int delta) {
        if (enabled) {
            active.add(delta, endpointOnly(endpoint), Context.root());
        }
    }

    /** An accepted connection closed after {@code seconds} with {@code code}. */
    public void closed(String endpoint, int code, double seconds) {
        if (enabled) {
            String label = KNOWN_CLOSE_CODES.contains(code) ? Integer.toString(code) : HttpMetrics.OTHER;
            closed.add(1, attrs(endpoint, CLOSE_CODE, label), Context.root());
            connectionDuration.record(seconds, endpointOnly(endpoint), Context.root());
        }
    }

    /** A message received (before it is handled or refused). */
    public void received(String endpoint, String handler, long bytes) {
        if (enabled) {
            received.add(1, attrs(endpoint, HANDLER, handler), Context.root());
            if (bytes >= 0) {
                size.record(bytes, attrs(endpoint, DIRECTION, "received"), Context.root());
            }
        }
    }

    /** A handler ran for {@code seconds}; {@code context} carries the message span (exemplar). */
    public void processed(String endpoint, String handler, double seconds, Context context) {
        if (enabled) {
            processing.record(seconds, attrs(endpoint, HANDLER, handler), context);
        }
    }

    /** A message sent. */
    public void sent(String endpoint, String handler, long bytes) {
        if (enabled) {
            sent.add(1, attrs(endpoint, HANDLER, handler), Context.root());
            if (bytes >= 0) {
                size.record(bytes, attrs(endpoint, DIRECTION, "sent"), Context.root());
            }
        }
    }

    /** An error of a bounded type. */
    public void error(String endpoint, String errorType) {
        if (enabled) {
            errors.add(1, attrs(endpoint, ERROR_TYPE, errorType), Context.root());
        }
    }
}
