package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.test.VigilExtension;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Outgoing calls through an instrumented JDK client to a real instrumented server. */
class HttpClientTelemetryTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private SpanData span(SpanKind kind) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.spans().stream().anyMatch(s -> s.getKind() == kind));
        return telemetry.spans().stream()
                .filter(s -> s.getKind() == kind)
                .findFirst()
                .orElseThrow();
    }

    @Test
    void traceContextAndCorrelationIdReachTheNextService() throws Exception {
        HttpServerTelemetry server = HttpServerTelemetry.create(telemetry.runtime());
        HttpClient client = HttpClientTelemetry.create(telemetry.runtime()).wrap(HttpClient.newHttpClient());
        try (JettyTestServer downstream = JettyTestServer.start(server)) {
            // The call is made while serving a request whose id is "upstream-1".
            var incoming = new HttpServerTelemetryTest.FakeAccessor("GET", "/upstream", "upstream-1");
            RequestContext upstream = server.start(incoming, incoming, incoming);
            HttpResponse<String> response;
            try (Scope ignored = upstream.attach()) {
                response = client.send(
                        HttpRequest.newBuilder(downstream.uri("/api/v1/users/1?token=abc123"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
            }
            upstream.end();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Request-ID")).contains("upstream-1");

            SpanData clientSpan = span(SpanKind.CLIENT);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> telemetry.spans().stream()
                                    .filter(s -> s.getKind() == SpanKind.SERVER)
                                    .count()
                            == 2);
            SpanData downstreamSpan = telemetry.spans().stream()
                    .filter(s -> s.getName().equals("GET " + TestApp.USERS_ROUTE))
                    .findFirst()
                    .orElseThrow();
            assertThat(downstreamSpan.getTraceId()).isEqualTo(clientSpan.getTraceId());
            assertThat(downstreamSpan.getParentSpanId()).isEqualTo(clientSpan.getSpanId());
            assertThat(clientSpan.getName()).isEqualTo("GET");
            var attrs = clientSpan.getAttributes().asMap().toString();
            assertThat(attrs)
                    .contains("http.request.method=GET")
                    .contains("server.address=127.0.0.1")
                    .contains("http.response.status_code=200")
                    .contains("token=[REDACTED]")
                    .doesNotContain("abc123");
        }
    }

    @Test
    void asynchronousCallsAreTracedToo() throws Exception {
        HttpClient client = HttpClientTelemetry.create(telemetry.runtime()).wrap(HttpClient.newHttpClient());
        try (JettyTestServer downstream = JettyTestServer.start(HttpServerTelemetry.create(telemetry.runtime()))) {
            HttpResponse<String> response = client.sendAsync(
                            HttpRequest.newBuilder(downstream.uri("/nothing")).build(),
                            HttpResponse.BodyHandlers.ofString())
                    .join();
            assertThat(response.statusCode()).isEqualTo(404);
            SpanData clientSpan = span(SpanKind.CLIENT);
            assertThat(clientSpan.getAttributes().asMap().toString()).contains("http.response.status_code=404");
            assertThat(span(SpanKind.SERVER).getParentSpanId()).isEqualTo(clientSpan.getSpanId());
        }
    }

    @Test
    void connectionFailureEndsTheSpanAsAnError() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        HttpClient client = HttpClientTelemetry.create(telemetry.runtime()).wrap(HttpClient.newHttpClient());
        assertThatThrownBy(() -> client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + closedPort + "/"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(ConnectException.class);
        SpanData clientSpan = span(SpanKind.CLIENT);
        assertThat(clientSpan.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(clientSpan.getAttributes().asMap().toString()).contains("error.type=java.net.ConnectException");
    }

    @Test
    void clientDurationsAreExposedAsMetrics() throws Exception {
        HttpClient client = HttpClientTelemetry.create(telemetry.runtime()).wrap(HttpClient.newHttpClient());
        try (JettyTestServer downstream = JettyTestServer.start(HttpServerTelemetry.create(telemetry.runtime()))) {
            client.send(HttpRequest.newBuilder(downstream.uri("/x")).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(telemetry.metrics().named("http_client_request_duration_seconds_count"))
                    .singleElement()
                    .satisfies(s -> assertThat(s.value()).isEqualTo(1));
        }
    }
}
