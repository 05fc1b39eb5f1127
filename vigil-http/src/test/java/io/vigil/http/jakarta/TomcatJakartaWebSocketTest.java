package io.vigil.http.jakarta;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.servlet.VigilHttpFilter;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import io.vigil.test.WebSocketTestClient;
import jakarta.servlet.Filter;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link JakartaWebSocketContract} on embedded Tomcat 11's Jakarta WebSocket container. Tomcat bundles the WebSocket
 * 2.2 and Servlet 6.1 APIs, so the tag {@code tomcat} runs it in a Surefire execution of its own (see the pom), whose
 * class path holds Tomcat's jars instead of the API jars and Jetty's WebSocket server. Tomcat's types stay in {@link
 * TomcatContainer}, so that the other execution can load this class to filter it out.
 */
@Tag("tomcat")
class TomcatJakartaWebSocketTest extends JakartaWebSocketContract {
    @Override
    boolean tellsEndpointsTheClientsAddress() {
        return false;
    }

    @Override
    Container start(List<ServerEndpointConfig> endpoints, Filter front) throws Exception {
        return TomcatContainer.start(endpoints, front);
    }

    /**
     * What makes the client's address known on Tomcat: {@link VigilHttpFilter} ahead of Tomcat's upgrade filter. (Not
     * a contract test: Jetty's upgrade filter goes first, and Jetty tells endpoints the address anyway.)
     */
    @Test
    void behindVigilHttpFilterTheUpgradeRequestIsTheHandshake() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        VigilJakartaWebSocket ws = new VigilJakartaWebSocket(WebSocketTelemetry.builder(telemetry.runtime())
                .maxConnectionsPerKey(1) // keyed by the client's address, which the filter resolves
                .build());
        VigilHttpFilter filter = new VigilHttpFilter(HttpServerTelemetry.create(telemetry.runtime()));
        try (Container other = start(
                List.of(ws.endpoint("/ws/behind", () -> new Endpoint() {
                    @Override
                    public void onOpen(Session session, EndpointConfig config) {
                        WebSocketConnection c = WebSocketConnection.current().orElseThrow();
                        seen.add(c.requestId() + " " + c.clientAddress());
                        session.addMessageHandler(
                                String.class, text -> session.getAsyncRemote().sendText(text));
                    }
                })),
                filter)) {
            URI uri = URI.create("ws://127.0.0.1:" + other.port() + "/ws/behind");
            WebSocketTestClient first = WebSocketTestClient.to(uri)
                    .httpClient(http)
                    .header("X-Request-ID", "req-behind")
                    .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01")
                    .connect();
            first.exchange("hi");
            WebSocketTestClient second =
                    WebSocketTestClient.to(uri).httpClient(http).connect();
            assertThat(second.awaitClose().code()).isEqualTo(1008);
            first.close(1000);
        }
        assertThat(seen).containsExactly("req-behind 127.0.0.1");
        // The filter's server span is the handshake: no span of the adapter's own, messages link to the HTTP span.
        assertThat(telemetry.spans()).noneMatch(sp -> sp.getName().startsWith("WS handshake"));
        SpanData upgrade = telemetry.spans().stream()
                .filter(sp -> sp.getKind() == SpanKind.SERVER && sp.getTraceId().equals(CLIENT_TRACE))
                .filter(sp -> !sp.getName().startsWith("WS "))
                .findFirst()
                .orElseThrow();
        assertThat(upgrade.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        SpanData message = telemetry.spans().stream()
                .filter(sp -> sp.getName().startsWith("WS /ws/behind"))
                .findFirst()
                .orElseThrow();
        assertThat(message.getLinks())
                .singleElement()
                .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(upgrade.getSpanId()));
        assertThat(telemetry
                        .metrics()
                        .require("ws_connections_total", Map.of("endpoint", "/ws/behind", "status", "rejected_limit")))
                .isEqualTo(1);
    }
}
