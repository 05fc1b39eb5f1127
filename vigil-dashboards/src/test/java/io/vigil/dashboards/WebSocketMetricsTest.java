package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.websocket.Handshake;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import io.vigil.test.MetricSamples;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The {@code websocket} source of {@link PlatformMetrics} is what vigil-http's WebSocket
 * instrumentation emits: every declared metric is in a runtime's scrape under its Prometheus name
 * (unit suffix, {@code _bucket} for histograms) with no label the dashboards do not know, and every
 * {@code ws_*} series of the scrape is declared, so an instrument added to vigil-http cannot stay
 * without a row entry unnoticed.
 */
class WebSocketMetricsTest {
    /** Added by the OpenTelemetry Prometheus exporter to every series; not used by queries. */
    private static final Set<String> EXPORTER_LABELS =
            Set.of("otel_scope_name", "otel_scope_version", "otel_scope_schema_url");

    private static final String ENDPOINT = "/ws/feed";

    @Test
    void everyWebSocketMetricIsScrapedWithItsDeclaredLabelsAndNoneIsMissing() throws IOException {
        List<Metric> declared = PlatformMetrics.of(List.of(PlatformMetrics.WEBSOCKET));
        try (Vigil vigil = Vigil.builder().config(VigilConfig.builder().build()).build()) {
            WebSocketTelemetry ws = WebSocketTelemetry.builder(vigil)
                    .handlers(Set.of("ping"))
                    .maxMessageBytes(256)
                    .build();
            // As an adapter drives it: one connection with a message each way, one too big (closed
            // 1009), so that every instrument has a series.
            WebSocketConnection c = connection(ws);
            c.text("{\"type\":\"ping\"}", () -> {});
            c.sentText("ping", "{\"type\":\"pong\"}");
            c.text("x".repeat(300), () -> {});
            c.closed(WebSocketTelemetry.CLOSE_TOO_BIG);

            MetricSamples scrape = MetricSamples.parse(
                    vigil.metricsEndpoint().scrape("text/plain").text());
            Set<String> names = new TreeSet<>();
            scrape.all().forEach(s -> names.add(s.name()));
            for (Metric m : declared) {
                String series = m.type() == Metric.Type.HISTOGRAM ? m.name() + "_bucket" : m.name();
                List<MetricSamples.Sample> samples = scrape.named(series);
                assertThat(samples)
                        .as("%s in the scrape; ws series there: %s", series, wsNames(names))
                        .isNotEmpty();
                Set<String> allowed = new HashSet<>(m.labels());
                allowed.addAll(EXPORTER_LABELS);
                allowed.add("le");
                for (MetricSamples.Sample s : samples) {
                    assertThat(allowed)
                            .as(series + " labels")
                            .containsAll(s.labels().keySet());
                    assertThat(s.labels()).as(series).containsEntry("endpoint", ENDPOINT);
                }
            }
            Set<String> scrapedMetrics = new TreeSet<>();
            for (String n : wsNames(names)) {
                scrapedMetrics.add(n.replaceAll("_(bucket|sum|count)$", ""));
            }
            assertThat(declared).extracting(Metric::name).containsExactlyInAnyOrderElementsOf(scrapedMetrics);
            assertThat(scrape.require("ws_connections_closed_total", Map.of("close_code", "1009")))
                    .isEqualTo(1);
            assertThat(scrape.require("ws_message_errors_total", Map.of("error_type", "too_big")))
                    .isEqualTo(1);
        }
    }

    /**
     * The "Errors by type" panel explains every {@code error_type} vigil-http reports, each driven here as an adapter
     * would (bad_frame, a frame type the endpoint has no handler for, was only "reported by the container"), and
     * "Closes by code" each close code the library itself sends.
     */
    @Test
    void theWebSocketPanelsExplainEveryErrorTypeAndCloseCodeTheLibraryReports() throws IOException {
        Map<String, String> described = new HashMap<>();
        for (Dashboard.Placed p : IdentityStack.dashboards().getFirst().panels()) {
            if (!p.isRow()) {
                described.put(p.title(), p.panel().description());
            }
        }
        Set<String> errorTypes = new TreeSet<>();
        try (Vigil vigil = Vigil.builder().config(VigilConfig.builder().build()).build()) {
            WebSocketTelemetry ws = WebSocketTelemetry.builder(vigil)
                    .handlers(Set.of("ping"))
                    .maxMessageBytes(256)
                    .build();
            connection(ws).text("x".repeat(300), () -> {}); // too_big
            connection(ws).unsupportedBinary(2); // bad_frame
            connection(ws).text("{\"type\":\"ping\"}", () -> {
                throw new IllegalStateException("handler failed"); // handler_error
            });
            connection(ws).error(new IOException("connection reset")); // io_error
            connection(ws).error(new IllegalStateException("container failure")); // error
            MetricSamples.parse(vigil.metricsEndpoint().scrape("text/plain").text())
                    .named("ws_message_errors_total")
                    .forEach(s -> errorTypes.add(s.labels().get("error_type")));
        }
        assertThat(errorTypes).containsExactlyInAnyOrder("too_big", "bad_frame", "handler_error", "io_error", "error");
        String errors = described.get("Errors by type");
        for (String type : errorTypes) {
            assertThat(errors).as(type).contains(type + ": ");
        }
        assertThat(errors)
                .contains("bad_frame: a frame type the endpoint has no handler for")
                .contains("1003");
        String closes = described.get("Closes by code");
        for (int code : new int[] {
            WebSocketTelemetry.CLOSE_UNSUPPORTED_DATA,
            WebSocketTelemetry.CLOSE_POLICY_VIOLATION,
            WebSocketTelemetry.CLOSE_TOO_BIG,
            WebSocketTelemetry.CLOSE_SERVER_ERROR
        }) {
            assertThat(closes).as("close code %d", code).contains(code + " ");
        }
    }

    private static WebSocketConnection connection(WebSocketTelemetry ws) {
        Handshake h = ws.handshake(ENDPOINT, Map.<String, String>of(), Map::get, null);
        WebSocketConnection c = ws.connection(h, (code, reason) -> {});
        assertThat(c.admit()).isTrue();
        c.connect(null, e -> false);
        return c;
    }

    private static Set<String> wsNames(Set<String> names) {
        Set<String> ws = new TreeSet<>();
        names.stream().filter(n -> n.startsWith("ws_")).forEach(ws::add);
        return ws;
    }
}
