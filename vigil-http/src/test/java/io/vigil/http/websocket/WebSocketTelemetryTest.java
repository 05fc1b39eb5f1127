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

    @Test
    void aClientGoneIsCountedAndLoggedWithoutAStackTraceWhileAServerSideIoErrorStaysAWarning() {
        WebSocketTelemetry ws = WebSocketTelemetry.builder(telemetry.runtime()).build();
        Handshake h = ws.handshake("/ws/feed", Map.<String, String>of(), Map::get, null);
        WebSocketConnection gone = ws.connection(h, (code, reason) -> {});
        gone.admit();
        gone.connect(null, e -> false);
        // As Jetty reports a peer that closed its TCP connection without a close frame (wrapped, as it may be).
        gone.error(new java.io.UncheckedIOException(new java.nio.channels.ClosedChannelException()));
        gone.closed(1006);
        WebSocketConnection broken = ws.connection(h, (code, reason) -> {});
        broken.admit();
        broken.connect(null, e -> false);
        broken.error(new java.io.IOException("No space left on device"));

        assertThat(telemetry.metrics().require("ws_message_errors_total", Map.of("error_type", "io_error")))
                .isEqualTo(2);
        assertThat(telemetry.metrics().require("ws_connections_closed_total", Map.of("close_code", "1006")))
                .isEqualTo(1);
        // The test runs at INFO: the disconnect's DEBUG line is not there, the server-side failure is.
        assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo("WARN");
            assertThat(e.exceptionType()).isEqualTo("java.io.IOException");
        });
    }

    @Test
    void aMessageOfATypeTheEndpointCannotAcceptIsCountedAndClosesWith1003() {
        WebSocketTelemetry ws = WebSocketTelemetry.builder(telemetry.runtime())
                .handlers(java.util.Set.of("binary"))
                .build();
        Handshake h = ws.handshake("/ws/feed", Map.<String, String>of(), Map::get, null);
        List<String> closes = new ArrayList<>();
        WebSocketConnection c = ws.connection(h, (code, reason) -> closes.add(code + " " + reason));
        c.admit();
        c.connect(null, e -> false);
        c.unsupportedBinary(3);
        c.unsupportedBinary(3); // the close is under way: counted received, not refused again
        assertThat(closes).containsExactly("1003 binary messages are not supported");
        assertThat(telemetry.metrics().require("ws_messages_received_total", Map.of("handler", "binary")))
                .isEqualTo(2);
        assertThat(telemetry.metrics().require("ws_message_errors_total", Map.of("error_type", "bad_frame")))
                .isEqualTo(1);
        assertThat(telemetry.logs("websocket")).singleElement().satisfies(e -> {
            assertThat(e.level()).isEqualTo("WARN");
            assertThat(e.field("close_code")).isEqualTo(1003);
        });
    }
}
