package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.vigil.core.ContextPropagation;
import io.vigil.test.LogEvent;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Options of {@link HttpServerTelemetry}, over real requests to an embedded Jetty. */
class HttpServerTelemetryTest {
    @RegisterExtension
    // The handler's own log line ("user loaded") comes from an application logger.
    final VigilExtension telemetry = VigilExtension.create().capturingApplicationLogs();

    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> get(JettyTestServer server, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private LogEvent accessLog() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !telemetry.logs("http_request").isEmpty());
        return telemetry.logs("http_request").getFirst();
    }

    /**
     * Its failure counter is an observable one, recorded from the start: scraped at 0 before any failure, so rate()
     * and increase() see the first.
     */
    @Test
    void itsTelemetryFailuresAreScrapedAtZeroBeforeAnyFailure() {
        HttpServerTelemetry.create(telemetry.runtime());
        assertThat(telemetry.metrics().require("vigil_telemetry_failures_total", Map.of("component", "http_server")))
                .isZero();
    }

    @Test
    void forwardedForIsIgnoredByDefault() throws Exception {
        try (JettyTestServer server = JettyTestServer.start(HttpServerTelemetry.create(telemetry.runtime()))) {
            get(server, "/api/v1/users/1", "X-Forwarded-For", "203.0.113.9");
            assertThat(accessLog().mdc()).containsEntry("ip_address", "127.0.0.1");
        }
    }

    @Test
    void forwardedForIsBelievedFromATrustedProxy() throws Exception {
        HttpServerTelemetry http = HttpServerTelemetry.builder(telemetry.runtime())
                .trustedProxies(List.of("127.0.0.0/8", "10.0.0.0/8"))
                .build();
        try (JettyTestServer server = JettyTestServer.start(http)) {
            get(server, "/api/v1/users/1", "X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.1.2.3");
            assertThat(accessLog().mdc()).containsEntry("ip_address", "203.0.113.9");
            await().until(() -> !telemetry.spans().isEmpty());
            assertThat(telemetry.spans().getFirst().getAttributes().asMap().toString())
                    .contains("client.address=203.0.113.9");
        }
    }

    @Test
    void exemplarsLinkDurationsToTraces() throws Exception {
        try (JettyTestServer server = JettyTestServer.start(HttpServerTelemetry.create(telemetry.runtime()))) {
            get(server, "/api/v1/users/1");
            await().until(() -> !telemetry.spans().isEmpty());
            String traceId = telemetry.spans().getFirst().getTraceId();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                MetricSamples om = MetricSamples.parse(telemetry
                        .runtime()
                        .metricsEndpoint()
                        .scrape("application/openmetrics-text; version=1.0.0")
                        .text());
                assertThat(om.named("http_request_duration_seconds_bucket"))
                        .anySatisfy(s -> assertThat(s.exemplar()).contains(traceId));
            });
        }
    }

    @Test
    void successfulRequestsCanBeSampledOutOfTheAccessLogButErrorsNot() throws Exception {
        HttpServerTelemetry http = HttpServerTelemetry.builder(telemetry.runtime())
                .successfulRequestLogSampleRate(0.0)
                .build();
        try (JettyTestServer server = JettyTestServer.start(http)) {
            for (int i = 0; i < 5; i++) {
                get(server, "/api/v1/users/" + i);
            }
            get(server, "/nowhere");
            LogEvent only = accessLog();
            assertThat(only.field("status_code")).isEqualTo(404);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(telemetry
                                    .metrics()
                                    .value(
                                            "http_requests_total",
                                            Map.of(
                                                    "method",
                                                    "GET",
                                                    "endpoint",
                                                    TestApp.USERS_ROUTE,
                                                    "status_code",
                                                    "200")))
                            .isEqualTo(5));
            assertThat(telemetry.logs("http_request")).hasSize(1);
        }
    }

    @Test
    void metricsPathIsExcludedByDefault() throws Exception {
        try (JettyTestServer server = JettyTestServer.start(HttpServerTelemetry.create(telemetry.runtime()))) {
            HttpResponse<String> response = get(server, "/metrics");
            assertThat(response.headers().firstValue("X-Request-ID")).isEmpty();
            get(server, "/api/v1/users/1");
            accessLog();
            assertThat(telemetry.logs("http_request")).hasSize(1);
        }
    }

    @Test
    void requestContextTravelsIntoBackgroundWork() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        ExecutorService pool = ContextPropagation.wrap(Executors.newSingleThreadExecutor());
        HttpServerTelemetry http = HttpServerTelemetry.create(telemetry.runtime());
        var request = new FakeAccessor("GET", "/jobs", "bg-456");
        RequestContext r = http.start(request, request, request);
        try (var scope = r.attach()) {
            pool.submit(() -> seen.set(RequestContext.currentRequestId() + "/" + org.slf4j.MDC.get("request_id")))
                    .get();
        } finally {
            pool.shutdownNow();
        }
        r.end();
        assertThat(seen.get()).isEqualTo("bg-456/bg-456");
        assertThat(org.slf4j.MDC.get("request_id")).isNull();
        assertThat(telemetry.spans())
                .singleElement()
                .satisfies(s -> assertThat(s.getKind()).isEqualTo(SpanKind.SERVER));
    }

    @Test
    void attachingSetsTheRequestsMdcAndDetachingRestoresTheThreadsOwn() {
        HttpServerTelemetry http = HttpServerTelemetry.create(telemetry.runtime());
        var request = new FakeAccessor("GET", "/api/v1/things", "mdc-123");
        RequestContext r = http.start(request, request, request);
        org.slf4j.MDC.put("tenant", "acme"); // the thread's own entry, e.g. from a job around the call
        org.slf4j.MDC.put("path", "/outer");
        try {
            try (var scope = r.attach()) {
                assertThat(org.slf4j.MDC.get("request_id")).isEqualTo("mdc-123");
                assertThat(org.slf4j.MDC.get("method")).isEqualTo("GET");
                assertThat(org.slf4j.MDC.get("path")).isEqualTo("/api/v1/things");
                assertThat(org.slf4j.MDC.get("tenant")).isEqualTo("acme");
                r.userId("u-7");
                org.slf4j.MDC.put("order_id", "o-1"); // the handler's own, left behind
                assertThat(org.slf4j.MDC.get("user_id")).isEqualTo("u-7");
            }
            assertThat(org.slf4j.MDC.getCopyOfContextMap()).isEqualTo(Map.of("tenant", "acme", "path", "/outer"));
            org.slf4j.MDC.clear();
            try (var scope = r.attach()) {
                assertThat(org.slf4j.MDC.get("user_id")).isEqualTo("u-7"); // later attachments carry the user
            }
            // nothing of the request outlives it on a thread that had no MDC: the next request starts clean
            var left = org.slf4j.MDC.getCopyOfContextMap();
            assertThat(left == null ? Map.of() : left).isEmpty();
        } finally {
            org.slf4j.MDC.clear();
            r.end();
        }
    }

    @Test
    void httpMetricsSwitchTurnsOffOnlyMetrics() throws Exception {
        try (var vigil = io.vigil.core.Vigil.builder()
                .environment(Map.of("ENABLE_HTTP_METRICS", "false"))
                .runtimeMetrics(false)
                .build()) {
            HttpServerTelemetry http = HttpServerTelemetry.create(vigil);
            try (JettyTestServer server = JettyTestServer.start(http)) {
                HttpResponse<String> response = get(server, "/api/v1/users/1");
                assertThat(response.headers().firstValue("X-Request-ID")).isPresent();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !telemetry.logs("http_request").isEmpty());
            }
            assertThat(vigil.metricsEndpoint().scrape("text/plain").text()).doesNotContain("http_requests");
        }
    }

    @Test
    void withObservabilityOffRequestsStillGetCorrelationIds() throws Exception {
        try (var vigil = io.vigil.core.Vigil.builder()
                .environment(Map.of("ENABLE_OBSERVABILITY", "false"))
                .build()) {
            try (JettyTestServer server = JettyTestServer.start(HttpServerTelemetry.create(vigil))) {
                HttpResponse<String> response = get(server, "/api/v1/users/1", "X-Request-ID", "still-1");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Request-ID")).contains("still-1");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> telemetry.logs().stream()
                                .anyMatch(e -> e.message().equals("user loaded")));
                assertThat(telemetry.logs())
                        .filteredOn(e -> e.message().equals("user loaded"))
                        .singleElement()
                        .satisfies(e -> assertThat(e.mdc()).containsEntry("request_id", "still-1"));
            }
            assertThat(telemetry.logs("http_request")).isEmpty();
        }
    }

    @Test
    void routesPastTheBoundAreRecordedAsOtherAndCountedOncePerRequest() {
        HttpServerTelemetry http =
                HttpServerTelemetry.builder(telemetry.runtime()).maxEndpoints(2).build();
        String[] routes = {"/a/{id}", "/b/{id}", "/c/{id}", "/d/{id}", "/c/{id}"};
        for (String route : routes) {
            var request = new FakeAccessor("GET", route.replace("{id}", "1"), "ovf-1");
            RequestContext r = http.start(request, request, request);
            r.route(route);
            r.end();
        }
        MetricSamples samples = MetricSamples.parse(
                telemetry.runtime().metricsEndpoint().scrape("text/plain").text());
        assertThat(samples.require("http_requests_total", Map.of("endpoint", "/a/{id}")))
                .isEqualTo(1.0);
        assertThat(samples.require("http_requests_total", Map.of("endpoint", "/b/{id}")))
                .isEqualTo(1.0);
        assertThat(samples.require("http_requests_total", Map.of("endpoint", "other")))
                .isEqualTo(3.0);
        assertThat(samples.find("http_requests_total", Map.of("endpoint", "/c/{id}")))
                .isEmpty();
        // Three requests were recorded under "other": each once, though its route was looked up when routed and
        // again when it ended.
        assertThat(samples.require("vigil_http_endpoint_overflow_total", Map.of()))
                .isEqualTo(3.0);
        // The span keeps its real route: only the metric label is bounded.
        assertThat(telemetry.spans()).extracting(s -> s.getName()).contains("GET /c/{id}", "GET /d/{id}");
    }

    @Test
    void badTrustedProxyIsRejectedAtBuildTime() {
        assertThatThrownBy(() ->
                        HttpServerTelemetry.builder(telemetry.runtime()).trustedProxies(List.of("proxy.internal")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("proxy.internal");
    }

    /** A request that is its own response, for driving the core without a server. */
    record FakeAccessor(String method, String path, String requestId)
            implements HttpServerAccessor<FakeAccessor, FakeAccessor> {
        @Override
        public String method(FakeAccessor r) {
            return method;
        }

        @Override
        public String scheme(FakeAccessor r) {
            return "http";
        }

        @Override
        public String path(FakeAccessor r) {
            return path;
        }

        @Override
        public String query(FakeAccessor r) {
            return null;
        }

        @Override
        public List<String> requestHeader(FakeAccessor r, String name) {
            return name.equalsIgnoreCase("X-Request-ID") ? List.of(requestId) : List.of();
        }

        @Override
        public String peerAddress(FakeAccessor r) {
            return "127.0.0.1";
        }

        @Override
        public Integer peerPort(FakeAccessor r) {
            return null;
        }

        @Override
        public String protocolVersion(FakeAccessor r) {
            return "1.1";
        }

        @Override
        public long requestBodySize(FakeAccessor r) {
            return -1;
        }

        @Override
        public int status(FakeAccessor r) {
            return 200;
        }

        @Override
        public long responseBodySize(FakeAccessor r) {
            return 0;
        }

        @Override
        public List<String> responseHeader(FakeAccessor r, String name) {
            return List.of();
        }

        @Override
        public void setResponseHeader(FakeAccessor r, String name, String value) {}
    }
}
