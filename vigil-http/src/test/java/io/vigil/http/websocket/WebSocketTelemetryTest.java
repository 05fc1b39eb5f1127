package io.vigil.http.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.test.VigilExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/** The framework-neutral core, driven as an adapter drives it (no server needed for these paths). */
class WebSocketTelemetryTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void withoutAnHttpAdapterTheHandshakeIsAShortSpanContinuingTheUpgradeRequestsTraceparent() {
        WebSocketTelemetry ws = WebSocketTelemetry.builder(telemetry.runtime()).build();
        Map<String, String> headers =
                Map.of("traceparent", "00-" + TRACE + "-" + SPAN + "-01", "X-Request-ID", "req-7");
        Handshake h = ws.handshake("/ws/feed", headers, Map::get, "10.0.0.1");
        assertThat(h.requestId()).isEqualTo("req-7");
        SpanData handshake = telemetry.span("WS handshake /ws/feed");
        assertThat(handshake.getTraceId()).isEqualTo(TRACE);
        assertThat(handshake.getParentSpanId()).isEqualTo(SPAN);
        assertThat(handshake.hasEnded()).isTrue();

        List<String> closes = new ArrayList<>();
        WebSocketConnection c = ws.connection(h, (code, reason) -> closes.add(code + " " + reason));
        assertThat(c.admit()).isTrue();
        c.connect(() -> {}, e -> false);
        List<String> seen = new ArrayList<>();
        c.text("hello", () -> seen.add(MDC.get("request_id") + " " + (MDC.get("message_id") != null)));
        assertThat(seen).containsExactly("req-7 true");
        assertThat(MDC.get("request_id")).isNull(); // cleared after the handler
        SpanData message = telemetry.span("WS /ws/feed message");
        assertThat(message.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshake.getSpanId()));
        c.closed(1001);
        c.closed(1001); // idempotent
        assertThat(telemetry.metrics().require("ws_connections_closed_total", Map.of("close_code", "1001")))
                .isEqualTo(1);
        assertThat(telemetry.metrics().require("ws_connections_active", Map.of("endpoint", "/ws/feed")))
                .isZero();
        assertThat(closes).isEmpty();
    }

    @Test
    void anUndeclaredCloseCodeAndMessagesAfterACloseAreBounded() {
        WebSocketTelemetry ws = WebSocketTelemetry.builder(telemetry.runtime()).build();
        Handshake h = ws.handshake("/ws/feed", Map.<String, String>of(), Map::get, null);
        assertThat(h.requestId()).isNotBlank(); // generated
        WebSocketConnection c = ws.connection(h, (code, reason) -> {});
        c.admit();
        c.connect(null, e -> false);
        c.closed(4321);
        List<String> ran = new ArrayList<>();
        c.text("late", () -> ran.add("handled"));
        assertThat(ran).isEmpty();
        assertThat(telemetry.metrics().require("ws_connections_closed_total", Map.of("close_code", "other")))
                .isEqualTo(1);
    }
}
