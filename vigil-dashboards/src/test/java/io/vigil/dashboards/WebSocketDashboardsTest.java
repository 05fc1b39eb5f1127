package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.identity.telemetry.IdentityCatalogue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The overview's WebSocket row: a panel for every instrument of the {@code websocket} source (the
 * contract's five and the close codes, connection duration, message sizes and errors vigil-http
 * also emits), each query naming the series as Prometheus exposes them, and each panel generated
 * only when the catalogue holds its metrics.
 */
class WebSocketDashboardsTest {
    private static final String SEL = "{job=~\"$job\",instance=~\"$instance\"}";
    private static final String OVER = SEL + "[$__rate_interval]";

    /** The metrics vigil-http's WebSocketMetrics emits beyond the contract's section 2. */
    private static final Set<String> BEYOND_CONTRACT = Set.of(
            "ws_connections_closed_total",
            "ws_connection_duration_seconds",
            "ws_message_size_bytes",
            "ws_message_errors_total");

    @Test
    void identityServicesRowShowsEveryWebSocketInstrument() {
        Map<String, List<String>> row = webSocketRow(IdentityStack.dashboards().getFirst());
        assertThat(row.keySet())
                .containsExactly(
                        "Open connections",
                        "Connections by outcome",
                        "Messages",
                        "Message processing p95 by handler",
                        "Closes by code",
                        "Connection duration p50 / p95",
                        "Message size p95",
                        "Errors by type");
        // 0 while there are connections, before the first close or error (AbsentSeriesQueriesTest runs them)
        assertThat(row.get("Closes by code"))
                .containsExactly(
                        "sum by (close_code) (rate(ws_connections_closed_total" + OVER + "))" + orNone("close_code"));
        assertThat(row.get("Connection duration p50 / p95"))
                .containsExactly(
                        "histogram_quantile(0.5, sum by (endpoint, le) (rate(ws_connection_duration_seconds_bucket"
                                + OVER + ")))",
                        "histogram_quantile(0.95, sum by (endpoint, le) (rate(ws_connection_duration_seconds_bucket"
                                + OVER + ")))");
        assertThat(row.get("Message size p95"))
                .containsExactly("histogram_quantile(0.95, sum by (direction, le) (rate(ws_message_size_bytes_bucket"
                        + OVER + ")))");
        assertThat(row.get("Errors by type"))
                .containsExactly(
                        "sum by (error_type) (rate(ws_message_errors_total" + OVER + "))" + orNone("error_type"));
        // every instrument of the source is read by a panel of the row
        String all =
                String.join("\n", row.values().stream().flatMap(List::stream).toList());
        for (Metric m : PlatformMetrics.of(List.of(PlatformMetrics.WEBSOCKET))) {
            String series = m.type() == Metric.Type.HISTOGRAM ? m.name() + "_bucket" : m.name();
            assertThat(all).as(m.name()).contains(series + "{");
        }
    }

    @Test
    void eachNewPanelIsGeneratedOnlyWhenTheCatalogueHoldsItsMetric() {
        Map<String, String> panelOf = Map.of(
                "ws_connections_closed_total", "Closes by code",
                "ws_connection_duration_seconds", "Connection duration p50 / p95",
                "ws_message_size_bytes", "Message size p95",
                "ws_message_errors_total", "Errors by type");
        assertThat(panelOf.keySet()).isEqualTo(BEYOND_CONTRACT);
        for (String missing : BEYOND_CONTRACT) {
            List<Metric> platform = PlatformMetrics.of(IdentityStack.SOURCES).stream()
                    .filter(m -> !m.name().equals(missing))
                    .toList();
            MetricCatalogue catalogue = MetricCatalogue.of(new IdentityCatalogue().get(), platform);
            Map<String, List<String>> row = webSocketRow(
                    StandardDashboards.all(catalogue, IdentityStack.TARGET).getFirst());
            assertThat(row).as("without " + missing).doesNotContainKey(panelOf.get(missing));
            assertThat(row).as("without " + missing).hasSize(7);
            assertThat(String.join(
                            "\n", row.values().stream().flatMap(List::stream).toList()))
                    .doesNotContain(missing);
        }
        // a service with the contract's five only (e.g. an instrumentation of its own) keeps the first four
        List<Metric> contractOnly = PlatformMetrics.of(IdentityStack.SOURCES).stream()
                .filter(m -> !BEYOND_CONTRACT.contains(m.name()))
                .toList();
        Map<String, List<String>> row = webSocketRow(StandardDashboards.all(
                        MetricCatalogue.of(new IdentityCatalogue().get(), contractOnly), IdentityStack.TARGET)
                .getFirst());
        assertThat(row.keySet())
                .containsExactly(
                        "Open connections", "Connections by outcome", "Messages", "Message processing p95 by handler");
    }

    /** The 0 labelled {@code label="none"} while the service has connections. */
    private static String orNone(String label) {
        return " or on () label_replace(sum(rate(ws_connections_total" + OVER + ")) * 0, \"" + label
                + "\", \"none\", \"\", \"\")";
    }

    /** Panel title to its PromQL texts, for the panels under the overview's WebSocket row header. */
    private static Map<String, List<String>> webSocketRow(Dashboard overview) {
        assertThat(overview.uid()).endsWith("-" + StandardDashboards.OVERVIEW);
        Map<String, List<String>> row = new LinkedHashMap<>();
        boolean in = false;
        for (Dashboard.Placed p : overview.panels()) {
            if (p.isRow()) {
                in = p.rowTitle().equals("WebSocket");
            } else if (in) {
                List<String> queries = new ArrayList<>();
                p.panel().queries().forEach(q -> queries.add(q.text()));
                row.put(p.title(), queries);
            }
        }
        return row;
    }
}
