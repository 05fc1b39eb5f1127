package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real OpenTelemetry exporters, over gRPC and HTTP, send to the console; the query API returns what was sent. */
class ExportersTest {
    private static VigilConsole console;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(0)
                .maxBytes(32L << 20)
                .start();
        api = new ApiClient(console);
    }

    @AfterAll
    static void stop() {
        console.close();
    }

    private static Resource resource(String service) {
        return Resource.getDefault()
                .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service)));
    }

    /** A login trace like identity-service's: server span, authentication child (failed), token child. */
    private static String sendLoginTrace(SpanExporter exporter, String service) {
        try (SdkTracerProvider tp = SdkTracerProvider.builder()
                .setResource(resource(service))
                .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build()) {
            Tracer tracer = tp.get("test");
            Span root = tracer.spanBuilder("POST /api/v1/auth/login")
                    .setSpanKind(SpanKind.SERVER)
                    .setAttribute("http.request.method", "POST")
                    .startSpan();
            try (Scope ignored = root.makeCurrent()) {
                Span auth = tracer.spanBuilder("auth.login.authenticate_user")
                        .setAttribute("auth.type", "login")
                        .setAttribute("auth.status", "failure")
                        .setAttribute("security.relevant", true)
                        .startSpan();
                auth.recordException(new IllegalStateException("invalid credentials"));
                auth.setStatus(StatusCode.ERROR, "invalid credentials");
                auth.end();
                tracer.spanBuilder("token.generate.access.create_access_token")
                        .startSpan()
                        .end();
            } finally {
                root.end();
            }
            tp.forceFlush().join(10, TimeUnit.SECONDS);
            assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
            return root.getSpanContext().getTraceId();
        }
    }

    @Test
    void spansSentOverGrpcAreFoundByServiceSpanNameStatusAndAttribute() {
        String traceId = sendLoginTrace(
                OtlpGrpcSpanExporter.builder()
                        .setEndpoint(console.grpcEndpoint())
                        .build(),
                "grpc-service");

        JsonNode traces = api.get("/api/traces?service=grpc-service&name=auth.login.authenticate_user"
                        + "&status=error&attr.auth.status=failure&attr.security.relevant=true")
                .get("traces");
        assertThat(traces).hasSize(1);
        assertThat(traces.get(0).get("traceId").asText()).isEqualTo(traceId);
        assertThat(traces.get(0).get("rootName").asText()).isEqualTo("POST /api/v1/auth/login");
        assertThat(traces.get(0).get("spanCount").asInt()).isEqualTo(3);
        assertThat(traces.get(0).get("errorCount").asInt()).isEqualTo(1);
        assertThat(api.get("/api/traces?service=grpc-service&attr.auth.status=success")
                        .get("traces"))
                .isEmpty();
    }

    @Test
    void aTraceByIdHasItsSpansInStartOrderWithParentsEventsAndAttributes() {
        String traceId = sendLoginTrace(
                OtlpHttpSpanExporter.builder()
                        .setEndpoint(console.httpEndpoint() + "/v1/traces")
                        .build(),
                "http-service");

        JsonNode trace = api.get("/api/traces/" + traceId);
        JsonNode spans = trace.get("spans");
        assertThat(spans).hasSize(3);
        JsonNode root = spans.get(0);
        assertThat(root.get("name").asText()).isEqualTo("POST /api/v1/auth/login");
        assertThat(root.get("kind").asText()).isEqualTo("server");
        assertThat(root.get("service").asText()).isEqualTo("http-service");
        JsonNode auth = spans.get(1);
        assertThat(auth.get("parentSpanId").asText())
                .isEqualTo(root.get("spanId").asText());
        assertThat(auth.get("status").asText()).isEqualTo("error");
        assertThat(auth.get("attributes").get("security.relevant").isBoolean()).isTrue();
        assertThat(auth.get("events").get(0).get("name").asText()).isEqualTo("exception");
        assertThat(api.send("/api/traces/0123456789abcdef0123456789abcdef", true)
                        .statusCode())
                .isEqualTo(404);
    }

    private static void sendLogs(LogRecordExporter exporter, String traceIdHolder[]) {
        try (SdkTracerProvider tp = SdkTracerProvider.builder()
                        .setResource(resource("log-service"))
                        .build();
                SdkLoggerProvider lp = SdkLoggerProvider.builder()
                        .setResource(resource("log-service"))
                        .addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter))
                        .build()) {
            Span span =
                    tp.get("test").spanBuilder("auth.login.authenticate_user").startSpan();
            try (Scope ignored = span.makeCurrent()) {
                lp.get("io.vigil.identity")
                        .logRecordBuilder()
                        .setSeverity(Severity.WARN)
                        .setSeverityText("WARN")
                        .setBody("Login failed for j***@example.com")
                        .setAttribute(AttributeKey.stringKey("event_type"), "authentication")
                        .setAttribute(AttributeKey.longKey("status_code"), 401L)
                        .setContext(Context.current())
                        .emit();
            } finally {
                span.end();
            }
            lp.get("io.vigil.identity")
                    .logRecordBuilder()
                    .setSeverity(Severity.INFO)
                    .setBody("Service started")
                    .emit();
            lp.forceFlush().join(10, TimeUnit.SECONDS);
            assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
            traceIdHolder[0] = span.getSpanContext().getTraceId();
        }
    }

    @Test
    void logsSentOverGrpcAreFoundByLevelTextAttributeAndTraceId() {
        String[] traceId = new String[1];
        sendLogs(
                OtlpGrpcLogRecordExporter.builder()
                        .setEndpoint(console.grpcEndpoint())
                        .build(),
                traceId);

        JsonNode logs = api.get(
                        "/api/logs?service=log-service&level=warn&q=LOGIN%20FAILED&attr.event_type=authentication")
                .get("logs");
        assertThat(logs).hasSize(1);
        assertThat(logs.get(0).get("traceId").asText()).isEqualTo(traceId[0]);
        assertThat(logs.get(0).get("attributes").get("status_code").isNumber()).isTrue();
        assertThat(api.get("/api/logs?traceId=" + traceId[0]).get("logs")).hasSize(1);
        assertThat(api.get("/api/logs?service=log-service&minLevel=info").get("logs"))
                .hasSize(2);
        assertThat(api.get("/api/logs?service=log-service&minLevel=error").get("logs"))
                .isEmpty();
    }

    @Test
    void logsSentOverHttpAreTailedBySequenceNumber() {
        long before = api.get("/api/logs?limit=1").get("latestSeq").asLong();
        sendLogs(
                OtlpHttpLogRecordExporter.builder()
                        .setEndpoint(console.httpEndpoint() + "/v1/logs")
                        .build(),
                new String[1]);

        JsonNode tail = api.get("/api/logs?afterSeq=" + before);
        assertThat(tail.get("logs")).hasSize(2);
        assertThat(tail.get("latestSeq").asLong()).isGreaterThan(before);
        assertThat(api.get("/api/logs?afterSeq=" + tail.get("latestSeq").asLong())
                        .get("logs"))
                .isEmpty();
    }

    @Test
    void countersGiveARateAndHistogramsGiveQuantiles() {
        OtlpGrpcMetricExporter exporter = OtlpGrpcMetricExporter.builder()
                .setEndpoint(console.grpcEndpoint())
                .build();
        PeriodicMetricReader reader = PeriodicMetricReader.builder(exporter)
                .setInterval(Duration.ofHours(1))
                .build();
        try (SdkMeterProvider mp = SdkMeterProvider.builder()
                .setResource(resource("metric-service"))
                .registerMetricReader(reader)
                .build()) {
            LongCounter attempts = mp.get("test")
                    .counterBuilder("authentication_attempts_total")
                    .build();
            DoubleHistogram duration = mp.get("test")
                    .histogramBuilder("authentication_duration_seconds")
                    .setUnit("s")
                    .setExplicitBucketBoundariesAdvice(List.of(0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
                    .build();
            Attributes login = Attributes.of(
                    AttributeKey.stringKey("auth_type"), "login", AttributeKey.stringKey("status"), "success");
            attempts.add(10, login);
            attempts.add(5, Attributes.of(AttributeKey.stringKey("auth_type"), "refresh"));
            for (int i = 0; i < 9; i++) {
                duration.record(0.1, Attributes.of(AttributeKey.stringKey("auth_type"), "login"));
            }
            duration.record(2.0, Attributes.of(AttributeKey.stringKey("auth_type"), "login"));
            mp.forceFlush().join(10, TimeUnit.SECONDS);
            attempts.add(20, login);
            mp.forceFlush().join(10, TimeUnit.SECONDS);
        }

        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
        JsonNode list = api.get("/api/metrics?service=metric-service").get("metrics");
        assertThat(list.findValuesAsText("name"))
                .contains("authentication_attempts_total", "authentication_duration_seconds");

        JsonNode counter = api.get("/api/metrics/authentication_attempts_total/series?label.auth_type=login");
        assertThat(counter.get("type").asText()).isEqualTo("counter");
        JsonNode series = counter.get("series");
        assertThat(series).hasSize(1);
        assertThat(series.get(0).get("stat").asText()).isEqualTo("rate");
        assertThat(series.get(0).get("labels").get("status").asText()).isEqualTo("success");
        JsonNode points = series.get(0).get("points");
        // The first export is a rate against zero at the series' start time; then the increase of 20 over the export
        // interval; the provider's closing export adds an unchanged point.
        assertThat(points.size()).isGreaterThanOrEqualTo(1);
        assertThat(points.get(0).get(1).asDouble()).isPositive();

        JsonNode histogram =
                api.get("/api/metrics/authentication_duration_seconds/series?label.auth_type=login&quantiles=0.5,0.99");
        assertThat(histogram.get("series").findValuesAsText("stat")).containsExactly("p50", "p99");
        double p50 = histogram.get("series").get(0).get("points").get(0).get(1).asDouble();
        double p99 = histogram.get("series").get(1).get("points").get(0).get(1).asDouble();
        assertThat(p50).isBetween(0.05, 0.1);
        assertThat(p99).isBetween(1.0, 2.5);
    }
}
