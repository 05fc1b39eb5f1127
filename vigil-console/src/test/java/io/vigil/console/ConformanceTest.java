package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conformance: what an OpenTelemetry SDK sends is what the query API returns, value for value. The Java SDK over
 * OTLP/HTTP protobuf and OTLP/gRPC (it has no OTLP/HTTP JSON exporter), and hand-made OTLP/JSON fixtures over
 * OTLP/HTTP JSON for what no Java SDK emits (summaries, negative exponential buckets, non-monotonic delta sums).
 */
class ConformanceTest {
    private static VigilConsole console;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        console = VigilConsole.builder().httpPort(0).grpcPort(0).start();
        api = new ApiClient(console);
    }

    @AfterAll
    static void stop() {
        console.close();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static JsonNode points(String metric, String service) {
        return api.get("/api/metrics/" + enc(metric) + "/points?service=" + enc(service));
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asDouble()));
        return out;
    }

    /** One field of each element of a JSON array, as numbers. */
    private static List<Double> field(JsonNode array, String pointer) {
        List<Double> out = new ArrayList<>();
        array.forEach(n -> out.add(n.at(pointer).asDouble()));
        return out;
    }

    private static Map<String, JsonNode> logsByKind(String service) {
        Map<String, JsonNode> out = new HashMap<>();
        api.get("/api/logs?service=" + enc(service))
                .get("logs")
                .forEach(l -> out.put(l.get("attributes").get("kind").asText(), l));
        return out;
    }

    private static void post(String path, String fixture) throws IOException {
        byte[] body;
        try (InputStream in = ConformanceTest.class.getResourceAsStream("/otlp/" + fixture)) {
            body = in.readAllBytes();
        }
        assertThat(ApiClient.post(console.httpEndpoint() + path, "application/json", body, null)
                        .statusCode())
                .isEqualTo(200);
    }

    // ---- hand-made OTLP/JSON ----

    @Test
    void everyMetricDataPointTypeFromOtlpJson() throws Exception {
        post("/v1/metrics", "metrics.json");
        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
        String svc = "fixture-service";

        JsonNode cumulative = points("fx.sum.cumulative.monotonic", svc);
        assertThat(cumulative.get("type").asText()).isEqualTo("counter");
        assertThat(cumulative.get("unit").asText()).isEqualTo("{request}");
        assertThat(cumulative.get("description").asText()).isEqualTo("monotonic cumulative sum");
        assertThat(field(cumulative.get("points"), "/value")).containsExactly(100.0, 150.0);
        JsonNode p0 = cumulative.get("points").get(0);
        assertThat(p0.get("temporality").asText()).isEqualTo("cumulative");
        assertThat(p0.get("labels").get("route").asText()).isEqualTo("/a");
        assertThat(p0.get("startTimeUnixNano").asLong()).isEqualTo(1_699_999_990_000_000_000L);
        assertThat(p0.get("timeUnixNano").asLong()).isEqualTo(1_700_000_000_000_000_000L);
        // A rate from the first point, against zero at its start time (100 in 10 s), then 50 more in 10 s.
        JsonNode rate =
                api.get("/api/metrics/fx.sum.cumulative.monotonic/series").get("series");
        assertThat(rate.get(0).get("stat").asText()).isEqualTo("rate");
        assertThat(field(rate.get(0).get("points"), "/1")).containsExactly(10.0, 5.0);

        JsonNode delta = points("fx.sum.delta.monotonic", svc);
        assertThat(delta.get("type").asText()).isEqualTo("counter");
        assertThat(delta.get("points").get(0).get("temporality").asText()).isEqualTo("delta");
        assertThat(delta.get("points").get(0).get("value").asDouble()).isEqualTo(20.0);
        assertThat(api.get("/api/metrics/fx.sum.delta.monotonic/series")
                        .at("/series/0/points/0/1")
                        .asDouble())
                .isEqualTo(2.0); // 20 in its 10 s interval

        JsonNode upDown = points("fx.sum.cumulative.nonmonotonic", svc);
        assertThat(upDown.get("type").asText()).isEqualTo("up_down_counter");
        assertThat(upDown.at("/points/0/value").asDouble()).isEqualTo(-3.0);
        JsonNode upDownDelta = points("fx.sum.delta.nonmonotonic", svc);
        assertThat(upDownDelta.get("type").asText()).isEqualTo("up_down_counter");
        assertThat(upDownDelta.at("/points/0/temporality").asText()).isEqualTo("delta");
        assertThat(upDownDelta.at("/points/0/value").asDouble()).isEqualTo(4.0);

        JsonNode gauge = points("fx.gauge", svc);
        assertThat(gauge.get("type").asText()).isEqualTo("gauge");
        Map<String, Double> rooms = new HashMap<>();
        gauge.get("points")
                .forEach(p ->
                        rooms.put(p.at("/labels/room").asText(), p.get("value").asDouble()));
        assertThat(rooms).containsEntry("a", 21.5).containsEntry("b", 7.0);

        JsonNode histogram = points("fx.histogram", svc).at("/points/0");
        assertThat(histogram.get("count").asLong()).isEqualTo(6);
        assertThat(histogram.get("sum").asDouble()).isEqualTo(14.5);
        assertThat(doubles(histogram.get("bounds"))).containsExactly(1.0, 5.0);
        assertThat(doubles(histogram.get("counts"))).containsExactly(2.0, 3.0, 1.0);
        assertThat(histogram.at("/exemplars/0/value").asDouble()).isEqualTo(4.2);
        assertThat(histogram.at("/exemplars/0/traceId").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(histogram.at("/exemplars/0/spanId").asText()).isEqualTo("b7ad6b7169203331");
        JsonNode hs = api.get("/api/metrics/fx.histogram/series?stats=quantiles,count,sum&quantiles=0.5")
                .get("series");
        assertThat(hs.findValuesAsText("stat")).containsExactly("p50", "count", "sum");
        assertThat(hs.at("/0/points/0/1").asDouble()).isCloseTo(1 + 4.0 / 3, within(1e-9)); // rank 3 of (1, 5]
        assertThat(hs.at("/1/points/0/1").asDouble()).isEqualTo(6.0);
        assertThat(hs.at("/2/points/0/1").asDouble()).isEqualTo(14.5);

        // Exponential, scale 1 (base √2): negative [-√2, -1) ×4, zero [-0.001, 0.001] ×2, positive (2, 2√2] ×1 and
        // (2√2, 4] ×3.
        JsonNode exp = points("fx.exphistogram", svc).at("/points/0");
        double r = Math.sqrt(2);
        assertThat(exp.get("count").asLong()).isEqualTo(10);
        assertThat(exp.get("sum").asDouble()).isEqualTo(5.0);
        double[] edges = {-r, -1.0, -0.001, 0.001, 2.0, 2 * r, 4.0};
        assertThat(exp.get("bounds")).hasSize(edges.length);
        for (int i = 0; i < edges.length; i++) {
            assertThat(exp.get("bounds").get(i).asDouble()).isCloseTo(edges[i], within(1e-12));
        }
        assertThat(doubles(exp.get("counts"))).containsExactly(0.0, 4.0, 0.0, 2.0, 0.0, 1.0, 3.0, 0.0);
        JsonNode eq = api.get("/api/metrics/fx.exphistogram/series?quantiles=0.1,0.5,0.9")
                .get("series");
        assertThat(eq.at("/0/points/0/1").asDouble()).isCloseTo(-r + (r - 1) / 4, within(1e-12)); // rank 1 of 4
        assertThat(eq.at("/1/points/0/1").asDouble()).isCloseTo(0.0, within(1e-12)); // rank 5: mid zero bucket
        assertThat(eq.at("/2/points/0/1").asDouble()).isCloseTo(2 * r + (4 - 2 * r) * 2 / 3, within(1e-12));

        // The heatmaps of both, through the API: one delta interval each, rows trimmed to the buckets with a count.
        JsonNode heat = api.get("/api/metrics/fx.histogram/heatmap?service=" + enc(svc));
        assertThat(heat.get("buckets").findValuesAsText("upper")).containsExactly("1.0", "5.0", "null");
        assertThat(heat.at("/buckets/0/lower").isNull()).isTrue();
        assertThat(heat.at("/buckets/2/upper").isNull()).isTrue();
        assertThat(doubles(heat.at("/columns/0/counts"))).containsExactly(2.0, 3.0, 1.0);
        assertThat(heat.at("/columns/0/startMs").asDouble()).isEqualTo(1_699_999_990_000.0);
        assertThat(heat.at("/columns/0/timeMs").asDouble()).isEqualTo(1_700_000_000_000.0);
        assertThat(heat.at("/exemplars/0/bucket").asInt()).isEqualTo(1); // 4.2 is in (1, 5]
        assertThat(heat.at("/exemplars/0/traceId").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        JsonNode expHeat = api.get("/api/metrics/fx.exphistogram/heatmap?service=" + enc(svc));
        assertThat(expHeat.get("buckets")).hasSize(6); // from [-√2, -1) to (2√2, 4]
        assertThat(expHeat.at("/buckets/0/lower").asDouble()).isCloseTo(-r, within(1e-12));
        assertThat(expHeat.at("/buckets/5/upper").asDouble()).isEqualTo(4.0);
        assertThat(doubles(expHeat.at("/columns/0/counts"))).containsExactly(4.0, 0.0, 2.0, 0.0, 1.0, 3.0);
        assertThat(expHeat.get("maxCount").asLong()).isEqualTo(4);
        assertThat(api.send("/api/metrics/fx.summary/heatmap", true).statusCode())
                .isEqualTo(400);
        assertThat(api.send("/api/metrics/fx.nothing/heatmap", true).statusCode())
                .isEqualTo(404);

        JsonNode summary = points("fx.summary", svc).at("/points/0");
        assertThat(summary.get("count").asLong()).isEqualTo(4);
        assertThat(summary.get("sum").asDouble()).isEqualTo(10.0);
        assertThat(summary.at("/quantileValues/1/quantile").asDouble()).isEqualTo(0.99);
        assertThat(summary.at("/quantileValues/1/value").asDouble()).isEqualTo(4.5);
        JsonNode ss = api.get("/api/metrics/fx.summary/series?quantiles=0.5,0.99&stats=quantiles,count,sum")
                .get("series");
        assertThat(ss.findValuesAsText("stat")).containsExactly("p50", "p99", "count", "sum");
        assertThat(field(ss, "/points/0/1")).containsExactly(2.0, 4.5, 4.0, 10.0);
    }

    @Test
    void spansWithEveryAttributeTypeEventsAndLinksFromOtlpJson() throws Exception {
        post("/v1/traces", "traces.json");
        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();

        JsonNode trace = api.get("/api/traces/0af7651916cd43dd8448eb211c80319c");
        assertThat(trace.get("spanCount").asInt()).isEqualTo(2);
        assertThat(trace.get("errorCount").asInt()).isEqualTo(1);
        assertThat(trace.get("durationMs").asDouble()).isEqualTo(250.0);
        JsonNode root = trace.at("/spans/0");
        assertThat(root.get("kind").asText()).isEqualTo("server");
        assertThat(root.get("status").asText()).isEqualTo("ok");
        JsonNode a = root.get("attributes");
        assertThat(a.get("s").asText()).isEqualTo("text");
        assertThat(a.get("b").asBoolean()).isTrue();
        assertThat(a.get("i").asLong()).isEqualTo(42);
        assertThat(a.get("d").asDouble()).isEqualTo(1.5);
        assertThat(a.get("arr").toString()).isEqualTo("[\"x\",1]");
        assertThat(a.get("kv").toString()).isEqualTo("{\"k\":\"v\"}");
        assertThat(a.get("bytes").asText()).isEqualTo("AQID");

        JsonNode child = trace.at("/spans/1");
        assertThat(child.get("kind").asText()).isEqualTo("client");
        assertThat(child.get("parentSpanId").asText()).isEqualTo("b7ad6b7169203331");
        assertThat(child.get("status").asText()).isEqualTo("error");
        assertThat(child.get("statusMessage").asText()).isEqualTo("timeout");
        assertThat(child.get("offsetMs").asDouble()).isEqualTo(10.0);
        assertThat(child.at("/events/0/name").asText()).isEqualTo("retry");
        assertThat(child.at("/events/0/offsetMs").asDouble()).isEqualTo(50.0);
        assertThat(child.at("/events/0/attributes/attempt").asLong()).isEqualTo(2);
        assertThat(child.at("/events/1/name").asText()).isEqualTo("exception");
        assertThat(child.at("/events/1/attributes/exception.message").asText()).isEqualTo("read timed out");
        assertThat(child.at("/links/0/traceId").asText()).isEqualTo("5b8efff798038103d269b633813fc60c");
        assertThat(child.at("/links/0/spanId").asText()).isEqualTo("eee19b7ec3c1b174");
        assertThat(child.at("/links/0/attributes/link.kind").asText()).isEqualTo("follows");
    }

    @Test
    void logsWithEveryBodyTypeFromOtlpJson() throws Exception {
        long before = System.currentTimeMillis();
        post("/v1/logs", "logs.json");
        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
        long after = System.currentTimeMillis();

        Map<String, JsonNode> logs = logsByKind("fixture-service");
        assertThat(logs.get("string").get("body").asText()).isEqualTo("string body");
        assertThat(logs.get("string").get("traceId").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(logs.get("string").get("level").asText()).isEqualTo("INFO");
        assertThat(logs.get("int").get("body").asText()).isEqualTo("42");
        assertThat(logs.get("int").get("level").asText()).isEqualTo("WARN");
        assertThat(logs.get("double").get("body").asText()).isEqualTo("2.5");
        assertThat(logs.get("double").get("level").asText()).isEqualTo("ERROR");
        assertThat(logs.get("bool").get("body").asText()).isEqualTo("false");
        assertThat(logs.get("bytes").get("body").asText()).isEqualTo("AQID");
        assertThat(logs.get("array").get("body").asText()).isEqualTo("[\"a\",1,true]");
        assertThat(logs.get("array").get("level").asText()).isEqualTo("FATAL");
        assertThat(logs.get("map").get("body").asText()).isEqualTo("{\"user\":\"u-1\",\"nested\":{\"n\":0.5}}");
        assertThat(logs.get("empty").get("body").asText()).isEmpty();
        assertThat(logs.get("observed").get("timeMs").asDouble()).isEqualTo(1_700_000_000_009.0);
        assertThat(logs.get("observed").get("level").asText()).isEqualTo("WARN");
        assertThat(logs.get("arrival").get("timeMs").asDouble()).isBetween(before - 1.0, after + 1.0);
        assertThat(logs.get("int").get("timeMs").asDouble()).isEqualTo(1_700_000_000_002.0);
    }

    // ---- the Java SDK over OTLP/HTTP protobuf and OTLP/gRPC ----

    private record Exporters(
            SpanExporter spans, LogRecordExporter logs, MetricExporter cumulative, MetricExporter delta) {}

    private static Exporters exporters(String protocol) {
        String http = console.httpEndpoint();
        String grpc = console.grpcEndpoint();
        return switch (protocol) {
            case "http/protobuf" ->
                new Exporters(
                        OtlpHttpSpanExporter.builder()
                                .setEndpoint(http + "/v1/traces")
                                .build(),
                        OtlpHttpLogRecordExporter.builder()
                                .setEndpoint(http + "/v1/logs")
                                .build(),
                        OtlpHttpMetricExporter.builder()
                                .setEndpoint(http + "/v1/metrics")
                                .build(),
                        OtlpHttpMetricExporter.builder()
                                .setEndpoint(http + "/v1/metrics")
                                .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred())
                                .build());
            case "grpc" ->
                new Exporters(
                        OtlpGrpcSpanExporter.builder().setEndpoint(grpc).build(),
                        OtlpGrpcLogRecordExporter.builder().setEndpoint(grpc).build(),
                        OtlpGrpcMetricExporter.builder().setEndpoint(grpc).build(),
                        OtlpGrpcMetricExporter.builder()
                                .setEndpoint(grpc)
                                .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred())
                                .build());
            default -> throw new IllegalArgumentException(protocol);
        };
    }

    private static SdkMeterProvider meters(Resource resource, MetricExporter exporter) {
        return SdkMeterProvider.builder()
                .setResource(resource)
                .registerMetricReader(PeriodicMetricReader.builder(exporter)
                        .setInterval(Duration.ofHours(1))
                        .build())
                .registerView(
                        InstrumentSelector.builder().setName("sdk.exp").build(),
                        View.builder()
                                .setAggregation(Aggregation.base2ExponentialBucketHistogram())
                                .build())
                .build();
    }

    /** Everything the SDK can send; returns the trace id of the root span and of the linked producer span. */
    private static String[] emit(Exporters exporters, String service) {
        Resource resource = Resource.getDefault()
                .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service)));
        try (SdkTracerProvider tp = SdkTracerProvider.builder()
                        .setResource(resource)
                        .addSpanProcessor(
                                BatchSpanProcessor.builder(exporters.spans()).build())
                        .build();
                SdkLoggerProvider lp = SdkLoggerProvider.builder()
                        .setResource(resource)
                        .addLogRecordProcessor(BatchLogRecordProcessor.builder(exporters.logs())
                                .build())
                        .build();
                SdkMeterProvider cumulative = meters(resource, exporters.cumulative());
                SdkMeterProvider delta = meters(resource, exporters.delta())) {
            Tracer tracer = tp.get("conformance");
            Span producer = tracer.spanBuilder("produce").startSpan();
            producer.end();
            Span root = tracer.spanBuilder("GET /sdk")
                    .setSpanKind(SpanKind.SERVER)
                    .setAttribute("s", "text")
                    .setAttribute("b", true)
                    .setAttribute("i", 42L)
                    .setAttribute("d", 1.5)
                    .setAttribute(AttributeKey.stringArrayKey("arr"), List.of("x", "y"))
                    .startSpan();
            Meter meter = cumulative.get("conformance");
            try (Scope ignored = root.makeCurrent()) {
                Span child = tracer.spanBuilder("db.query")
                        .setSpanKind(SpanKind.CLIENT)
                        .addLink(
                                producer.getSpanContext(),
                                Attributes.of(AttributeKey.stringKey("link.kind"), "follows"))
                        .startSpan();
                try (Scope c = child.makeCurrent()) {
                    child.addEvent("retry", Attributes.of(AttributeKey.longKey("attempt"), 2L));
                    child.recordException(new IllegalStateException("boom"));
                    child.setStatus(StatusCode.ERROR, "timeout");
                    logs(lp.get("conformance"));
                    // Recorded in a sampled span: the SDK attaches an exemplar pointing at it.
                    var latency = meter.histogramBuilder("sdk.latency")
                            .setUnit("ms")
                            .setExplicitBucketBoundariesAdvice(List.of(1.0, 5.0))
                            .build();
                    for (double v : new double[] {0.5, 0.7, 2, 3, 4, 7}) {
                        latency.record(v);
                    }
                } finally {
                    child.end();
                }
            } finally {
                root.end();
            }
            var requests = meter.counterBuilder("sdk.requests").build();
            Attributes routeA = Attributes.of(AttributeKey.stringKey("route"), "/a");
            requests.add(5, routeA);
            var queue = meter.upDownCounterBuilder("sdk.queue").build();
            queue.add(3);
            queue.add(-1);
            meter.gaugeBuilder("sdk.temperature").setUnit("Cel").build().set(21.5);
            var exp = meter.histogramBuilder("sdk.exp").setUnit("s").build();
            exp.record(0);
            for (int i = 0; i < 10; i++) {
                exp.record(600);
            }
            delta.get("conformance")
                    .counterBuilder("sdk.delta.requests")
                    .build()
                    .add(3);
            cumulative.forceFlush().join(10, TimeUnit.SECONDS);
            requests.add(7, routeA);
            cumulative.forceFlush().join(10, TimeUnit.SECONDS);
            delta.forceFlush().join(10, TimeUnit.SECONDS);
            tp.forceFlush().join(10, TimeUnit.SECONDS);
            lp.forceFlush().join(10, TimeUnit.SECONDS);
            return new String[] {
                root.getSpanContext().getTraceId(),
                producer.getSpanContext().getTraceId(),
                producer.getSpanContext().getSpanId()
            };
        }
    }

    private static void logs(Logger logger) {
        long t = 1_700_000_000_000L;
        Map<String, Value<?>> bodies = new java.util.LinkedHashMap<>();
        bodies.put("string", Value.of("string body"));
        bodies.put("int", Value.of(42L));
        bodies.put("double", Value.of(2.5));
        bodies.put("bool", Value.of(false));
        bodies.put("bytes", Value.of(new byte[] {1, 2, 3}));
        bodies.put("array", Value.of(Value.of("a"), Value.of(1L), Value.of(true)));
        bodies.put("map", Value.of(Map.of("user", Value.of("u-1"))));
        bodies.put("empty", Value.empty());
        int i = 0;
        for (Map.Entry<String, Value<?>> b : bodies.entrySet()) {
            logger.logRecordBuilder()
                    .setTimestamp(t + i++, TimeUnit.MILLISECONDS)
                    .setSeverity(Severity.INFO)
                    .setBody(b.getValue())
                    .setAttribute(AttributeKey.stringKey("kind"), b.getKey())
                    .emit();
        }
        // No timestamp: the SDK sets the observed time, which the console uses.
        logger.logRecordBuilder()
                .setSeverity(Severity.WARN)
                .setBody("no timestamp")
                .setAttribute(AttributeKey.stringKey("kind"), "observed")
                .emit();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http/protobuf", "grpc"})
    void theJavaSdkOverEveryProtocol(String protocol) {
        String service = "sdk-" + protocol.replace('/', '-');
        long before = System.currentTimeMillis();
        String[] ids = emit(exporters(protocol), service);
        long after = System.currentTimeMillis();
        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();

        // Traces: found by a span filter (the failing child) and a trace filter (the root's name) together.
        JsonNode list = api.get("/api/traces?service=" + enc(service) + "&status=error&rootName=" + enc("GET /sdk"));
        assertThat(list.get("traces")).hasSize(1);
        JsonNode trace = api.get("/api/traces/" + ids[0]);
        assertThat(trace.get("rootName").asText()).isEqualTo("GET /sdk");
        JsonNode root = trace.at("/spans/0");
        assertThat(root.get("kind").asText()).isEqualTo("server");
        assertThat(root.at("/attributes/s").asText()).isEqualTo("text");
        assertThat(root.at("/attributes/b").asBoolean()).isTrue();
        assertThat(root.at("/attributes/i").asLong()).isEqualTo(42);
        assertThat(root.at("/attributes/d").asDouble()).isEqualTo(1.5);
        assertThat(root.at("/attributes/arr").toString()).isEqualTo("[\"x\",\"y\"]");
        assertThat(root.at("/resource/service.name").asText()).isEqualTo(service);
        JsonNode child = trace.at("/spans/1");
        assertThat(child.get("name").asText()).isEqualTo("db.query");
        assertThat(child.get("kind").asText()).isEqualTo("client");
        assertThat(child.get("statusMessage").asText()).isEqualTo("timeout");
        assertThat(child.at("/events/0/name").asText()).isEqualTo("retry");
        assertThat(child.at("/events/0/attributes/attempt").asLong()).isEqualTo(2);
        assertThat(child.at("/events/1/name").asText()).isEqualTo("exception");
        assertThat(child.at("/events/1/attributes/exception.type").asText())
                .isEqualTo("java.lang.IllegalStateException");
        assertThat(child.at("/events/1/attributes/exception.message").asText()).isEqualTo("boom");
        assertThat(child.at("/links/0/traceId").asText()).isEqualTo(ids[1]);
        assertThat(child.at("/links/0/spanId").asText()).isEqualTo(ids[2]);
        assertThat(child.at("/links/0/attributes/link.kind").asText()).isEqualTo("follows");

        // Metrics: every instrument kind, cumulative and delta.
        JsonNode requests = points("sdk.requests", service).get("points");
        assertThat(requests.get(0).get("value").asDouble()).isEqualTo(5.0);
        assertThat(requests.get(1).get("value").asDouble()).isEqualTo(12.0);
        assertThat(requests.get(0).get("temporality").asText()).isEqualTo("cumulative");
        assertThat(requests.get(0).at("/labels/route").asText()).isEqualTo("/a");
        double seconds = (requests.get(1).get("timeUnixNano").asLong()
                        - requests.get(0).get("timeUnixNano").asLong())
                / 1e9;
        // The first point is a rate against zero at its start time, the second one against the first: 7 more.
        JsonNode rates = api.get("/api/metrics/sdk.requests/series?service=" + enc(service))
                .at("/series/0/points");
        double first = (requests.get(0).get("timeUnixNano").asLong()
                        - requests.get(0).get("startTimeUnixNano").asLong())
                / 1e9;
        assertThat(rates.at("/0/1").asDouble()).isCloseTo(5 / first, within(1e-6 * 5 / first));
        assertThat(rates.at("/1/1").asDouble()).isCloseTo(7 / seconds, within(1e-6 * 7 / seconds));

        JsonNode deltaRequests = points("sdk.delta.requests", service);
        assertThat(deltaRequests.get("type").asText()).isEqualTo("counter");
        assertThat(deltaRequests.at("/points/0/temporality").asText()).isEqualTo("delta");
        assertThat(deltaRequests.at("/points/0/value").asDouble()).isEqualTo(3.0);

        JsonNode queue = points("sdk.queue", service);
        assertThat(queue.get("type").asText()).isEqualTo("up_down_counter");
        assertThat(queue.at("/points/0/value").asDouble()).isEqualTo(2.0);

        JsonNode gauge = points("sdk.temperature", service);
        assertThat(gauge.get("type").asText()).isEqualTo("gauge");
        assertThat(gauge.get("unit").asText()).isEqualTo("Cel");
        assertThat(gauge.at("/points/0/value").asDouble()).isEqualTo(21.5);

        JsonNode latency = points("sdk.latency", service).at("/points/0");
        assertThat(latency.get("count").asLong()).isEqualTo(6);
        assertThat(latency.get("sum").asDouble()).isCloseTo(17.2, within(1e-9));
        assertThat(doubles(latency.get("bounds"))).containsExactly(1.0, 5.0);
        assertThat(doubles(latency.get("counts"))).containsExactly(2.0, 3.0, 1.0);
        assertThat(latency.get("exemplars").size()).isPositive();
        assertThat(latency.at("/exemplars/0/traceId").asText()).isEqualTo(ids[0]);

        JsonNode exp = points("sdk.exp", service).at("/points/0");
        assertThat(exp.get("count").asLong()).isEqualTo(11);
        assertThat(exp.get("sum").asDouble()).isEqualTo(6000.0);
        JsonNode q = api.get("/api/metrics/sdk.exp/series?quantiles=0.05,0.5,1&service=" + enc(service))
                .get("series");
        assertThat(q.at("/0/points/0/1").asDouble()).isEqualTo(0.0); // the zero bucket
        assertThat(q.at("/1/points/0/1").asDouble()).isCloseTo(600, within(600 * 0.01)); // scale 20: a narrow bucket
        assertThat(q.at("/2/points/0/1").asDouble()).isGreaterThanOrEqualTo(600);

        // Logs: every body type; without a timestamp, the observed time.
        Map<String, JsonNode> logs = logsByKind(service);
        assertThat(logs.get("string").get("body").asText()).isEqualTo("string body");
        assertThat(logs.get("string").get("traceId").asText()).isEqualTo(ids[0]);
        assertThat(logs.get("int").get("body").asText()).isEqualTo("42");
        assertThat(logs.get("double").get("body").asText()).isEqualTo("2.5");
        assertThat(logs.get("bool").get("body").asText()).isEqualTo("false");
        assertThat(logs.get("bytes").get("body").asText()).isEqualTo("AQID");
        assertThat(logs.get("array").get("body").asText()).isEqualTo("[\"a\",1,true]");
        assertThat(logs.get("map").get("body").asText()).isEqualTo("{\"user\":\"u-1\"}");
        assertThat(logs.get("empty").get("body").asText()).isEmpty();
        assertThat(logs.get("int").get("timeMs").asDouble()).isEqualTo(1_700_000_000_001.0);
        assertThat(logs.get("observed").get("timeMs").asDouble()).isBetween(before - 1.0, after + 1.0);
    }
}
