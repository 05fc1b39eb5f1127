package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.rpc.Status;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vigil.test.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** OTLP/HTTP edge cases: JSON with hex ids, gzip, malformed bodies, wrong content types. */
class OtlpHttpReceiverTest {
    private static final String JSON_TRACE = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-service"}}]},
             "scopeSpans":[{"scope":{"name":"js"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
             "spanId":"eee19b7ec3c1b174","parentSpanId":"","name":"GET /json","kind":2,
             "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000",
             "attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}}],"status":{"code":1}}]}]}]}
            """;

    private static VigilConsole console;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        console = VigilConsole.builder().httpPort(0).grpcPort(-1).start();
        api = new ApiClient(console);
    }

    @AfterAll
    static void stop() {
        console.close();
    }

    private static String url(String path) {
        return console.httpEndpoint() + path;
    }

    static ExportTraceServiceRequest protobufTrace(String service, String traceIdHex, String name) {
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .setResource(Resource.newBuilder()
                                .addAttributes(KeyValue.newBuilder()
                                        .setKey("service.name")
                                        .setValue(AnyValue.newBuilder().setStringValue(service))))
                        .addScopeSpans(ScopeSpans.newBuilder()
                                .addSpans(Span.newBuilder()
                                        .setTraceId(com.google.protobuf.ByteString.copyFrom(
                                                HexFormat.of().parseHex(traceIdHex)))
                                        .setSpanId(com.google.protobuf.ByteString.copyFrom(
                                                HexFormat.of().parseHex("00f067aa0ba902b7")))
                                        .setName(name)
                                        .setStartTimeUnixNano(1_700_000_000_000_000_000L)
                                        .setEndTimeUnixNano(1_700_000_000_250_000_000L))))
                .build();
    }

    @Test
    void jsonWithHexIdsIsAcceptedAndQueryable() {
        HttpResponse<byte[]> r = ApiClient.post(
                url("/v1/traces"), "application/json", JSON_TRACE.getBytes(StandardCharsets.UTF_8), null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
        JsonNode trace = org.awaitility.Awaitility.await()
                .until(() -> api.send("/api/traces/5b8efff798038103d269b633813fc60c", true), x -> x.statusCode() == 200)
                .body()
                .transform(ApiClient::json);
        JsonNode span = trace.get("spans").get(0);
        assertThat(span.get("spanId").asText()).isEqualTo("eee19b7ec3c1b174");
        assertThat(span.get("durationMs").asDouble()).isEqualTo(500.0);
        assertThat(span.get("attributes").get("http.response.status_code").asLong())
                .isEqualTo(200);
    }

    /** What a Node.js SDK's OTLP/JSON exporter sends, with three spans OTLP calls invalid among two valid ones. */
    private static final String JSON_WITH_INVALID_IDS = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ids-service"}}]},
             "scopeSpans":[{"scope":{"name":"js","version":"1.0.0"},"spans":[
              {"traceId":"7a7f8d2b1c9e4f60a1b2c3d4e5f60718","spanId":"1111111111111111","name":"valid root",
               "kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000300000000"},
              {"traceId":"7a7f8d2b1c9e4f60a1b2c3d4e5f60718","spanId":"2222222222222222",
               "parentSpanId":"1111111111111111","name":"valid child",
               "startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000200000000",
               "links":[{"traceId":"0102","spanId":"0304"}]},
              {"traceId":"0102030405060708","spanId":"3333333333333333","name":"short trace id",
               "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"},
              {"traceId":"00000000000000000000000000000000","spanId":"4444444444444444","name":"zero trace id",
               "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"},
              {"traceId":"7a7f8d2b1c9e4f60a1b2c3d4e5f60719","spanId":"","name":"no span id",
               "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}
            """;

    @Test
    void spansWithInvalidIdsAreRejectedByPartialSuccessAndTheRestIsStored() throws Exception {
        HttpResponse<byte[]> json = ApiClient.post(
                url("/v1/traces"), "application/json", JSON_WITH_INVALID_IDS.getBytes(StandardCharsets.UTF_8), null);
        ExportTraceServiceRequest asProtobuf = io.vigil.console.internal.OtlpJsonTestAccess.traces(
                JSON_WITH_INVALID_IDS.replace("ids-service", "ids-service-protobuf"));
        HttpResponse<byte[]> protobuf =
                ApiClient.post(url("/v1/traces"), "application/x-protobuf", asProtobuf.toByteArray(), null);

        // OTLP: a request accepted in part is 200 with partial_success counting what was rejected, and why.
        assertThat(json.statusCode()).isEqualTo(200);
        JsonNode partial =
                ApiClient.json(new String(json.body(), StandardCharsets.UTF_8)).get("partialSuccess");
        assertThat(partial.get("rejectedSpans").asLong()).isEqualTo(3);
        assertThat(partial.get("errorMessage").asText()).contains("3 span(s) rejected");
        assertThat(protobuf.statusCode()).isEqualTo(200);
        ExportTraceServiceResponse response = ExportTraceServiceResponse.parseFrom(protobuf.body());
        assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(3);
        assertThat(response.getPartialSuccess().getErrorMessage()).contains("trace id must be 16 bytes");

        assertThat(console.flush(java.time.Duration.ofSeconds(10))).isTrue();
        for (String service : new String[] {"ids-service", "ids-service-protobuf"}) {
            JsonNode traces = api.get("/api/traces?service=" + service).get("traces");
            assertThat(traces).hasSize(1);
            assertThat(traces.get(0).get("spanCount").asInt()).isEqualTo(2);
        }
        JsonNode trace = api.get("/api/traces/7a7f8d2b1c9e4f60a1b2c3d4e5f60718");
        // The link to an invalid context is left out: there is nothing to follow.
        assertThat(trace.get("spans").get(1).get("links")).isEmpty();
        assertThat(api.send("/api/traces/00000000000000000000000000000000", true)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void whatTheSendersLimitsDroppedIsCountedOnTheSpanAndOnlyWhenAny() {
        // As a Node.js SDK with attributeCountLimit 128, eventCountLimit 2 and linkCountLimit 1 sends it.
        String trace = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"limits"}}]},
                 "scopeSpans":[{"spans":[{"traceId":"4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d","spanId":"1111111111111111",
                  "name":"limited","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000",
                  "droppedAttributesCount":73,"droppedEventsCount":3,"droppedLinksCount":1},
                  {"traceId":"4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d","spanId":"2222222222222222","parentSpanId":"1111111111111111",
                  "name":"whole","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000",
                  "droppedAttributesCount":0}]}]}]}
                """;
        assertThat(ApiClient.post(url("/v1/traces"), "application/json", trace.getBytes(StandardCharsets.UTF_8), null)
                        .statusCode())
                .isEqualTo(200);

        JsonNode spans = org.awaitility.Awaitility.await()
                .until(() -> api.send("/api/traces/4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d", true), x -> x.statusCode() == 200)
                .body()
                .transform(ApiClient::json)
                .get("spans");
        JsonNode limited = spans.get(0).get("name").asText().equals("limited") ? spans.get(0) : spans.get(1);
        JsonNode whole = limited == spans.get(0) ? spans.get(1) : spans.get(0);
        assertThat(limited.get("dropped").get("attributes").asInt()).isEqualTo(73);
        assertThat(limited.get("dropped").get("events").asInt()).isEqualTo(3);
        assertThat(limited.get("dropped").get("links").asInt()).isEqualTo(1);
        assertThat(whole.has("dropped")).isFalse();
    }

    @Test
    void theInstrumentationScopesVersionAndALogsEventNameAreKept() throws Exception {
        // As a Node.js SDK sends a tracer's and a logger's scope, and logger.emit({eventName: ...}).
        String trace = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"scoped"}}]},
                 "scopeSpans":[{"scope":{"name":"interop-scope","version":"9.8.7"},"spans":[
                  {"traceId":"2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e","spanId":"1111111111111111","name":"scoped span",
                   "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}
                """;
        String logs = """
                {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"scoped"}}]},
                 "scopeLogs":[{"scope":{"name":"interop-logger","version":"1.0.0"},"logRecords":[
                  {"timeUnixNano":"1700000000000000000","severityNumber":13,"severityText":"WARN",
                   "body":{"stringValue":"warn"},"eventName":"my.event"},
                  {"timeUnixNano":"1700000000000000001","body":{"stringValue":"plain"}}]}]}]}
                """;
        assertThat(ApiClient.post(url("/v1/traces"), "application/json", trace.getBytes(StandardCharsets.UTF_8), null)
                        .statusCode())
                .isEqualTo(200);
        assertThat(ApiClient.post(url("/v1/logs"), "application/json", logs.getBytes(StandardCharsets.UTF_8), null)
                        .statusCode())
                .isEqualTo(200);
        assertThat(console.flush(java.time.Duration.ofSeconds(10))).isTrue();

        JsonNode span = api.get("/api/traces/2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e")
                .get("spans")
                .get(0);
        assertThat(span.get("scope").asText()).isEqualTo("interop-scope");
        assertThat(span.get("scopeVersion").asText()).isEqualTo("9.8.7");
        JsonNode records = api.get("/api/logs?service=scoped").get("logs");
        assertThat(records).hasSize(2);
        for (JsonNode l : records) {
            assertThat(l.get("scope").asText()).isEqualTo("interop-logger");
            assertThat(l.get("scopeVersion").asText()).isEqualTo("1.0.0");
            assertThat(l.get("eventName").asText())
                    .isEqualTo(l.get("body").asText().equals("warn") ? "my.event" : "");
        }
    }

    /** One cumulative point of {@code multi.requests{route="/a"}} from one instance of node-multi. */
    private static String instancePoint(String instance, long startSeconds, long timeSeconds, long value) {
        return """
                {"resourceMetrics":[{"resource":{"attributes":[
                  {"key":"service.name","value":{"stringValue":"node-multi"}},
                  {"key":"service.instance.id","value":{"stringValue":"%s"}}]},
                 "scopeMetrics":[{"metrics":[{"name":"multi.requests","sum":{"isMonotonic":true,
                  "aggregationTemporality":2,"dataPoints":[{"startTimeUnixNano":"%d000000000",
                  "timeUnixNano":"%d000000000","asInt":"%d",
                  "attributes":[{"key":"route","value":{"stringValue":"/a"}}]}]}}]}]}]}
                """.formatted(instance, startSeconds, timeSeconds, value);
    }

    @Test
    void twoInstancesOfAServiceSendingTheSameCumulativeSeriesAreTwoSeriesWithTheirRates() {
        // Two replicas, their exports interleaved: 10/s from i-1, 1000/s from i-2, each since its own start.
        for (int t = 1; t <= 4; t++) {
            for (String body : new String[] {
                instancePoint("i-1", 1_700_000_000L, 1_700_000_000L + t, 10L * t),
                instancePoint("i-2", 1_700_000_000L + 1, 1_700_000_000L + t, 1000L * (t - 1))
            }) {
                assertThat(ApiClient.post(
                                        url("/v1/metrics"),
                                        "application/json",
                                        body.getBytes(StandardCharsets.UTF_8),
                                        null)
                                .statusCode())
                        .isEqualTo(200);
            }
        }
        assertThat(console.flush(java.time.Duration.ofSeconds(10))).isTrue();

        JsonNode series = api.get("/api/metrics/multi.requests/series?service=node-multi&label.route=/a")
                .get("series");
        assertThat(series).hasSize(2);
        java.util.Map<String, Double> lastRate = new java.util.HashMap<>();
        for (JsonNode one : series) {
            JsonNode points = one.get("points");
            // i-1's first point is a rate since its start; i-2's first export is at its start, no interval yet.
            assertThat(points)
                    .hasSize(
                            one.get("labels")
                                            .get("service.instance.id")
                                            .asText()
                                            .equals("i-1")
                                    ? 4
                                    : 3);
            assertThat(points.get(0).get(1).asDouble()).isIn(10.0, 1000.0);
            lastRate.put(
                    one.get("labels").get("service.instance.id").asText(),
                    points.get(points.size() - 1).get(1).asDouble());
        }
        assertThat(lastRate).containsEntry("i-1", 10.0).containsEntry("i-2", 1000.0);
    }

    @Test
    void aValidRequestIsAnsweredWithAnEmptyResponseInItsEncoding() throws Exception {
        HttpResponse<byte[]> protobuf = ApiClient.post(
                url("/v1/traces"),
                "application/x-protobuf",
                protobufTrace("empty-answer", "0af7651916cd43dd8448eb211c80319d", "ok")
                        .toByteArray(),
                null);

        assertThat(protobuf.statusCode()).isEqualTo(200);
        assertThat(ExportTraceServiceResponse.parseFrom(protobuf.body()).hasPartialSuccess())
                .isFalse();
    }

    @Test
    void logIdsOtlpCallsInvalidLeaveTheRecordUnassociatedWithATrace() throws Exception {
        String logs = """
                {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"log-ids"}}]},
                 "scopeLogs":[{"logRecords":[
                  {"timeUnixNano":"1700000000000000000","body":{"stringValue":"short ids"},
                   "traceId":"0102","spanId":"01"},
                  {"timeUnixNano":"1700000000000000001","body":{"stringValue":"zero ids"},
                   "traceId":"00000000000000000000000000000000","spanId":"0000000000000000"},
                  {"timeUnixNano":"1700000000000000002","body":{"stringValue":"valid ids"},
                   "traceId":"7a7f8d2b1c9e4f60a1b2c3d4e5f60718","spanId":"1111111111111111"}]}]}]}
                """;
        HttpResponse<byte[]> r =
                ApiClient.post(url("/v1/logs"), "application/json", logs.getBytes(StandardCharsets.UTF_8), null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
        assertThat(console.flush(java.time.Duration.ofSeconds(10))).isTrue();
        java.util.Map<String, String> traceIds = new java.util.HashMap<>();
        java.util.Map<String, String> spanIds = new java.util.HashMap<>();
        for (JsonNode l : api.get("/api/logs?service=log-ids").get("logs")) {
            traceIds.put(l.get("body").asText(), l.get("traceId").asText());
            spanIds.put(l.get("body").asText(), l.get("spanId").asText());
        }
        assertThat(traceIds)
                .containsEntry("short ids", "")
                .containsEntry("zero ids", "")
                .containsEntry("valid ids", "7a7f8d2b1c9e4f60a1b2c3d4e5f60718");
        assertThat(spanIds)
                .containsEntry("short ids", "")
                .containsEntry("zero ids", "")
                .containsEntry("valid ids", "1111111111111111");
    }

    @Test
    void aSpanSentTwiceIsShownAndCountedOnce() {
        // An exporter that lost the answer sends the batch again: the same span, twice.
        ExportTraceServiceRequest.Builder request =
                protobufTrace("retried", "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", "child").toBuilder();
        request.getResourceSpansBuilder(0)
                .getScopeSpansBuilder(0)
                .getSpansBuilder(0)
                .setSpanId(
                        com.google.protobuf.ByteString.copyFrom(HexFormat.of().parseHex("1234567812345678")))
                .setParentSpanId(
                        com.google.protobuf.ByteString.copyFrom(HexFormat.of().parseHex("00f067aa0ba902b7")))
                .getStatusBuilder()
                .setCode(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
        byte[] child = request.build().toByteArray();
        byte[] root = protobufTrace("retried", "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", "root")
                .toByteArray();
        for (byte[] body : new byte[][] {child, child, root, root}) {
            assertThat(ApiClient.post(url("/v1/traces"), "application/x-protobuf", body, null)
                            .statusCode())
                    .isEqualTo(200);
        }

        org.awaitility.Awaitility.await().untilAsserted(() -> {
            JsonNode trace = api.get("/api/traces/5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
            assertThat(trace.get("spans")).hasSize(2);
            assertThat(trace.get("spanCount").asInt()).isEqualTo(2);
            assertThat(trace.get("errorCount").asInt()).isEqualTo(1);
            JsonNode listed =
                    api.get("/api/traces?service=retried").get("traces").get(0);
            assertThat(listed.get("spanCount").asInt()).isEqualTo(2);
            assertThat(listed.get("errorCount").asInt()).isEqualTo(1);
        });
    }

    @Test
    void aSpanWithoutAnEndGivesItsTraceNoNegativeDuration() {
        String noEnd = """
                {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"no-end"}}]},
                 "scopeSpans":[{"spans":[{"traceId":"6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b","spanId":"1111111111111111",
                  "name":"never ended","startTimeUnixNano":"1700000000000000000"}]}]}]}
                """;
        assertThat(ApiClient.post(url("/v1/traces"), "application/json", noEnd.getBytes(StandardCharsets.UTF_8), null)
                        .statusCode())
                .isEqualTo(200);

        org.awaitility.Awaitility.await().untilAsserted(() -> {
            assertThat(api.get("/api/traces/6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b")
                            .get("durationMs")
                            .asDouble())
                    .isZero();
            assertThat(api.get("/api/traces?service=no-end")
                            .get("traces")
                            .get(0)
                            .get("durationMs")
                            .asDouble())
                    .isZero();
        });
    }

    @Test
    void gzipProtobufIsAccepted() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(buf)) {
            gz.write(protobufTrace("gzip-service", "0af7651916cd43dd8448eb211c80319c", "gzipped")
                    .toByteArray());
        }
        HttpResponse<byte[]> r = ApiClient.post(url("/v1/traces"), "application/x-protobuf", buf.toByteArray(), "gzip");

        assertThat(r.statusCode()).isEqualTo(200);
        org.awaitility.Awaitility.await()
                .until(() -> api.get("/api/traces?service=gzip-service")
                                .get("traces")
                                .size()
                        == 1);
    }

    /**
     * {@code x-gzip} is gzip (RFC 9110 §8.4.1.3: a recipient SHOULD consider them equivalent); it was answered 415.
     * Applied twice, in either spelling, it is still refused.
     */
    @Test
    void xGzipProtobufIsAcceptedAsGzip() throws IOException {
        byte[] once = gzip(protobufTrace("x-gzip-service", "5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d", "x-gzipped")
                .toByteArray());
        HttpResponse<byte[]> r = ApiClient.post(url("/v1/traces"), "application/x-protobuf", once, "x-gzip");

        assertThat(r.statusCode()).isEqualTo(200);
        org.awaitility.Awaitility.await()
                .until(() -> api.get("/api/traces?service=x-gzip-service")
                                .get("traces")
                                .size()
                        == 1);
        for (String twice : new String[] {"x-gzip, x-gzip", "gzip, X-GZIP"}) {
            HttpResponse<byte[]> refused =
                    ApiClient.post(url("/v1/traces"), "application/x-protobuf", gzip(once), twice);
            assertThat(refused.statusCode()).as(twice).isEqualTo(415);
            assertThat(refused.headers().firstValue("Accept-Encoding"))
                    .as(twice)
                    .hasValue("gzip, identity");
        }
    }

    @Test
    void malformedProtobufGets400WithAStatusAndLaterRequestsStillSucceed() throws IOException {
        HttpResponse<byte[]> bad = ApiClient.post(
                url("/v1/traces"), "application/x-protobuf", new byte[] {0x0a, (byte) 0xff, 0x01, 0x02}, null);

        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Status.parseFrom(bad.body()).getMessage()).contains("Malformed OTLP traces request");

        HttpResponse<byte[]> good = ApiClient.post(
                url("/v1/traces"),
                "application/x-protobuf",
                protobufTrace("after-bad", "4bf92f3577b34da6a3ce929d0e0e4736", "fine")
                        .toByteArray(),
                null);
        assertThat(good.statusCode()).isEqualTo(200);
        org.awaitility.Awaitility.await()
                .until(() ->
                        api.get("/api/traces?service=after-bad").get("traces").size() == 1);
    }

    @Test
    void malformedJsonGets400() {
        HttpResponse<byte[]> notJson = ApiClient.post(
                url("/v1/logs"), "application/json", "{\"resourceLogs\": [".getBytes(StandardCharsets.UTF_8), null);
        HttpResponse<byte[]> badId = ApiClient.post(
                url("/v1/traces"),
                "application/json",
                JSON_TRACE.replace("eee19b7ec3c1b174", "not-hex!").getBytes(StandardCharsets.UTF_8),
                null);
        HttpResponse<byte[]> wrongShape =
                ApiClient.post(url("/v1/metrics"), "application/json", "[1,2]".getBytes(StandardCharsets.UTF_8), null);

        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(new String(badId.body(), StandardCharsets.UTF_8)).contains("spanId is not a hex string");
        assertThat(wrongShape.statusCode()).isEqualTo(400);
    }

    @Test
    void anOversizedBodyGets413WithAStatusInTheRequestsEncoding() throws IOException {
        byte[] huge = new byte[16 * 1024 * 1024 + 1];

        HttpResponse<byte[]> protobuf = ApiClient.post(url("/v1/traces"), "application/x-protobuf", huge, null, true);
        HttpResponse<byte[]> json = ApiClient.post(url("/v1/logs"), "application/json", huge, null, true);

        assertThat(protobuf.statusCode()).isEqualTo(413);
        assertThat(protobuf.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
        Status status = Status.parseFrom(protobuf.body());
        assertThat(status.getCode()).isEqualTo(8); // RESOURCE_EXHAUSTED
        assertThat(status.getMessage()).contains("exceeds 16777216 bytes");
        assertThat(json.statusCode()).isEqualTo(413);
        assertThat(ApiClient.json(new String(json.body(), StandardCharsets.UTF_8))
                        .get("message")
                        .asText())
                .contains("exceeds");

        // A small gzip body that inflates past the limit is refused the same way.
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write(huge);
        }
        HttpResponse<byte[]> bomb =
                ApiClient.post(url("/v1/traces"), "application/x-protobuf", zipped.toByteArray(), "gzip");
        assertThat(bomb.statusCode()).isEqualTo(413);
        assertThat(Status.parseFrom(bomb.body()).getCode()).isEqualTo(8);
    }

    @Test
    void unsupportedContentTypeGets415() {
        HttpResponse<byte[]> r =
                ApiClient.post(url("/v1/traces"), "text/plain", "hello".getBytes(StandardCharsets.UTF_8), null);

        assertThat(r.statusCode()).isEqualTo(415);
    }

    /**
     * A content coding the receiver cannot decode is 415 (RFC 9110 §15.5.16), with the codings it takes in
     * {@code Accept-Encoding} (§12.5.3) and OTLP's Status in the request's encoding; it was 400, which tells an
     * exporter its payload is malformed. Stacked gzip is one the receiver does not undo.
     */
    @Test
    void anUnsupportedContentEncodingGets415NamingTheCodingsTaken() throws IOException {
        byte[] trace = protobufTrace("coded", "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c", "coded")
                .toByteArray();
        byte[] once = gzip(trace);
        for (String encoding : new String[] {"br", "gzip, gzip", "DEFLATE"}) {
            byte[] body = encoding.equals("gzip, gzip") ? gzip(once) : trace;
            HttpResponse<byte[]> r = ApiClient.post(url("/v1/traces"), "application/x-protobuf", body, encoding);

            assertThat(r.statusCode()).as(encoding).isEqualTo(415);
            assertThat(r.headers().firstValue("Accept-Encoding")).as(encoding).hasValue("gzip, identity");
            assertThat(r.headers().firstValue("Content-Type")).as(encoding).hasValue("application/x-protobuf");
            // Ignoring case: Jetty hands a coding it knows over in lower case.
            assertThat(Status.parseFrom(r.body()).getMessage())
                    .as(encoding)
                    .containsIgnoringCase("Content-Encoding " + encoding + " is not supported");
        }
        HttpResponse<byte[]> json =
                ApiClient.post(url("/v1/logs"), "application/json", "{}".getBytes(StandardCharsets.UTF_8), "br");
        assertThat(json.statusCode()).isEqualTo(415);
        assertThat(json.headers().firstValue("Accept-Encoding")).hasValue("gzip, identity");
        assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(ApiClient.json(new String(json.body(), StandardCharsets.UTF_8))
                        .get("message")
                        .asText())
                .contains("Content-Encoding br is not supported");
        // The codings taken still are: identity, named or not, and gzip in any case.
        String[][] taken = {{"identity", "i"}, {"GZIP", "g"}, {"identity, gzip", "g"}};
        for (String[] t : taken) {
            byte[] body = t[1].equals("g") ? once : trace;
            assertThat(ApiClient.post(url("/v1/traces"), "application/x-protobuf", body, t[0])
                            .statusCode())
                    .as(t[0])
                    .isEqualTo(200);
        }
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write(bytes);
        }
        return zipped.toByteArray();
    }

    /**
     * A malformed percent-escape in an API request's query is 400 naming the parameter and the escape, as a value
     * that does not parse is: the framework's query parsing dropped the parameter, so {@code limit=%zz} was answered
     * as if no limit had been sent. Over a raw socket: Java's URI refuses to send such a request.
     */
    @Test
    void aMalformedPercentEscapeInTheQueryIs400NamingIt() throws IOException {
        URI base = URI.create(console.httpEndpoint());
        String[][] cases = {
            {"/api/traces?limit=%zz", "'limit'", "%zz"},
            {"/api/traces?service=a&limit=1%", "'limit'", "%"},
            {"/api/logs?q=%G1", "'q'", "%G1"},
            {"/api/metrics/x/series?service=caf%e9", "'service'", "%e9"}, // Latin-1 é: not UTF-8
            {"/api/traces?%zz=1", "'%zz'", "%zz"}, // in the name
        };
        for (String method : new String[] {"GET", "HEAD"}) {
            for (String[] c : cases) {
                RawHttp.Response r = RawHttp.send(
                        base,
                        method + " " + c[0] + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + console.token()
                                + "\r\nConnection: close\r\n\r\n",
                        false);
                assertThat(r.status()).as("%s %s: %s", method, c[0], r).isEqualTo(400);
                assertThat(r.header("Content-Type")).as(c[0]).startsWith("application/problem+json");
                if (method.equals("GET")) {
                    JsonNode problem = ApiClient.json(r.body());
                    assertThat(problem.get("title").asText()).isEqualTo("Bad Request");
                    assertThat(problem.get("detail").asText()).as(c[0]).contains(c[1], c[2]);
                }
            }
        }
        // Well-formed escapes still decode (limit=%31 is limit=1), and a bad escape does not hide a missing token.
        assertThat(api.send("/api/traces?limit=%31&service=%E2%9C%93", true).statusCode())
                .isEqualTo(200);
        RawHttp.Response anonymous = RawHttp.send(
                base, "GET /api/traces?limit=%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", false);
        assertThat(anonymous.status()).isEqualTo(401);
    }

    @Test
    void badQueryParametersGetAProblemDocument() {
        HttpResponse<String> r = api.send("/api/traces?minDurationMs=fast", true);

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(ApiClient.json(r.body()).get("detail").asText()).contains("minDurationMs");
        // type about:blank: the title is the status's own phrase (RFC 9457 §4.2.1), what went wrong is the detail
        assertThat(r.body())
                .startsWith("{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"detail\":\"")
                .endsWith(",\"instance\":\"/api/traces\"}");
        HttpResponse<String> missing = api.send("/api/traces/1234567890abcdef1234567890abcdef", true);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(ApiClient.json(missing.body()).get("title").asText()).isEqualTo("Not Found");
        assertThat(ApiClient.json(missing.body()).get("detail").asText()).startsWith("No trace 1234567890abcdef");
        // Beyond a long's nanoseconds: refused, not wrapped round into a filter that matches everything.
        for (String query :
                new String[] {"start=1e300", "end=-1", "minDurationMs=1e20", "maxDurationMs=9223372036855"}) {
            HttpResponse<String> outOfRange = api.send("/api/traces?" + query, true);
            assertThat(outOfRange.statusCode()).as(query).isEqualTo(400);
            assertThat(ApiClient.json(outOfRange.body()).get("detail").asText())
                    .contains("milliseconds from 0 to 9223372036853");
        }
        assertThat(api.send("/api/traces?start=9223372036853", true).statusCode())
                .isEqualTo(200);
        assertThat(api.send("/api/logs?level=loud", true).statusCode()).isEqualTo(400);
        assertThat(api.send("/api/logs?cursor=yesterday", true).statusCode()).isEqualTo(400);
        assertThat(api.send("/api/metrics/x/heatmap?limit=0", true).statusCode())
                .isEqualTo(400);
        assertThat(api.send("/api/traces/xyz", true).statusCode()).isEqualTo(400);
    }

    @Test
    void aWrongMethodOnAPathThatExistsIs405() throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        for (String[] call : new String[][] {{"GET", "/v1/traces"}, {"DELETE", "/api/traces"}, {"POST", "/api/logs"}}) {
            java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url(call[1])))
                    .header("Authorization", "Bearer " + console.token())
                    .method(call[0], java.net.http.HttpRequest.BodyPublishers.noBody())
                    .build();
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(call[0] + " " + call[1]).isEqualTo(405);
            assertThat(r.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
            assertThat(ApiClient.json(r.body()).get("title").asText()).isEqualTo("Method Not Allowed");
            assertThat(ApiClient.json(r.body()).get("detail").asText()).contains(call[0]);
        }
        // A path that does not exist at all is still 404.
        assertThat(api.send("/api/nothing-here", true).statusCode()).isEqualTo(404);
    }

    /** Requests Jetty refuses before any route runs: problem+json like the console's own refusals, no HTML page. */
    @Test
    void requestsTheServerRefusesItselfGetAProblemDocument() throws IOException {
        for (String request : new String[] {
            "GET /api/metrics/%ff/series HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n",
            "GET /?" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.2\r\nHost: x\r\n\r\n"
        }) {
            String response = raw(request);
            String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n")));
            String body = response.substring(head.length()).strip();
            assertThat(head).as(response).matches("(?s)HTTP/1\\.1 (4|5)\\d\\d .*");
            assertThat(head.toLowerCase(java.util.Locale.ROOT))
                    .as(response)
                    .contains("content-type: application/problem+json");
            JsonNode problem = ApiClient.json(body);
            assertThat(problem.get("status").asInt()).isEqualTo(Integer.parseInt(head.substring(9, 12)));
            assertThat(problem.get("title").asText()).isNotBlank();
            assertThat(body).doesNotContain("<html", "Exception");
        }
    }

    /** One request on a fresh connection, its whole answer as text (the server closes after an error). */
    private static String raw(String request) throws IOException {
        java.net.URI uri = java.net.URI.create(console.httpEndpoint());
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream()
                    .write(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
