package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRoute;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerRouteSource;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.VigilConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ServerSpans} makes the span OpenTelemetry's {@code Instrumenter} made with the same extractors (as
 * {@code HttpServerTelemetry} did until issue 17): for each request shape below, both run on the same request and
 * their spans must agree in name, kind, parent, scope, attributes and status.
 */
class ServerSpansTest {
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private InMemorySpanExporter exporter;
    private OpenTelemetrySdk sdk;
    private HttpServerTelemetry telemetry;
    private Instrumenter<RequestContext, RequestContext> reference;

    @BeforeEach
    void setUp() {
        exporter = InMemorySpanExporter.create();
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                        .build())
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
        telemetry = HttpServerTelemetry.builder(sdk, VigilConfig.builder().build())
                .accessLog(false)
                .build();
        // HttpServerTelemetry's server instrumentation as it was built before ServerSpans.
        ServerAttributes getter = ServerAttributes.INSTANCE;
        reference = Instrumenter.<RequestContext, RequestContext>builder(
                        sdk, "io.vigil.http", HttpSpanNameExtractor.create(getter))
                .setSpanStatusExtractor(HttpSpanStatusExtractor.create(getter))
                .addAttributesExtractor(HttpServerAttributesExtractor.create(getter))
                .addAttributesExtractor(new RequestIdAndUser())
                .addContextCustomizer(HttpServerRoute.create(getter))
                .buildServerInstrumenter(getter);
    }

    @AfterEach
    void tearDown() {
        sdk.close();
    }

    /** One request as the server saw it. */
    record Shape(
            String method,
            String path,
            String query,
            Map<String, String> headers,
            String peer,
            Integer peerPort,
            String protocol,
            String provisionalRoute,
            String route,
            String user,
            int status) {}

    static Stream<Arguments> shapes() {
        return Stream.of(
                        new Shape(
                                "GET",
                                "/api/v1/users/7",
                                "page=2",
                                Map.of(
                                        "user-agent", "curl/8.5",
                                        "host", "example.com:8443",
                                        "traceparent", TRACEPARENT),
                                "10.1.2.3",
                                5555,
                                "1.1",
                                null,
                                "/api/v1/users/{id}",
                                "u-7",
                                200),
                        new Shape(
                                "POST",
                                "/echo",
                                null,
                                Map.of("host", "example.com", "baggage", "k=v"),
                                "10.1.2.3",
                                5555,
                                "2",
                                null,
                                "/echo",
                                null,
                                201),
                        new Shape("FOO", "/x", null, Map.of(), "127.0.0.1", 40000, "1.1", null, null, null, 404),
                        new Shape(
                                "PURGE",
                                "/cache/k1",
                                null,
                                Map.of(),
                                "127.0.0.1",
                                40000,
                                "1.1",
                                null,
                                "/cache/{key}",
                                null,
                                200),
                        new Shape(
                                "GET",
                                "/static/a.css",
                                null,
                                Map.of("host", "localhost"),
                                "127.0.0.1",
                                40000,
                                "1.1",
                                "/static/*",
                                null,
                                null,
                                404),
                        new Shape(
                                "PATCH",
                                "/api/v1/items/3",
                                null,
                                Map.of(),
                                "127.0.0.1",
                                40000,
                                "1.1",
                                "/api/*",
                                "/api/v1/items/{id}",
                                "u-1",
                                503),
                        new Shape(
                                "GET",
                                "/download",
                                "X-Amz-Signature=abc&a=1&sig=zzz",
                                Map.of(),
                                "127.0.0.1",
                                40000,
                                "1.1",
                                null,
                                "/download",
                                null,
                                200),
                        new Shape(
                                "DELETE",
                                "/api/v1/users/9",
                                null,
                                Map.of(
                                        "x-forwarded-host", "evil.example:1",
                                        "forwarded", "for=1.2.3.4;host=forged.example",
                                        "x-forwarded-for", "5.6.7.8",
                                        "x-forwarded-proto", "https"),
                                "192.168.0.4",
                                1234,
                                "1.1",
                                null,
                                "/api/v1/users/{id}",
                                null,
                                500),
                        new Shape(
                                "HEAD",
                                "/",
                                null,
                                Map.of("host", "[::1]:8080"),
                                "::1",
                                null,
                                "1.0",
                                null,
                                "/",
                                null,
                                200),
                        new Shape(
                                "GET",
                                "/api/v1/users/1",
                                null,
                                Map.of("traceparent", "00-zzzz-00f067aa0ba902b7-01"),
                                "127.0.0.1",
                                40000,
                                "1.1",
                                null,
                                "/api/v1/users/{id}",
                                null,
                                200))
                .map(s -> Arguments.of(s.method() + " " + s.path() + " " + s.status(), s));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void theSpanIsTheOneTheInstrumenterMadeWithTheSameExtractors(String name, Shape shape) {
        FakeRequest request = new FakeRequest(shape);
        FakeResponse response = new FakeResponse();

        RequestContext r = telemetry.start(request, response, FakeAccessor.INSTANCE);
        if (shape.provisionalRoute() != null) {
            r.provisionalRoute(shape.provisionalRoute());
        }
        if (shape.route() != null) {
            r.route(shape.route());
        }
        if (shape.user() != null) {
            r.userId(shape.user());
        }
        response.status = shape.status();
        r.end();
        SpanData direct = onlySpan();

        // The same request through the Instrumenter, routes announced the way HttpServerTelemetry announced them.
        Context context = reference.start(Context.root(), r);
        // One deliberate difference: a provisional route (a servlet mapping, Spring's catch-all /**) on a 404 names
        // nothing — no route answered, as the metrics' "unmatched" says — where the Instrumenter kept it.
        if (shape.provisionalRoute() != null && (shape.status() != 404 || shape.route() != null)) {
            HttpServerRoute.update(context, HttpServerRouteSource.SERVER, shape.provisionalRoute());
        }
        if (shape.route() != null) {
            HttpServerRoute.update(context, HttpServerRouteSource.CONTROLLER, shape.route());
        }
        reference.end(context, r, r, null);
        SpanData expected = onlySpan();

        assertThat(direct.getName()).isEqualTo(expected.getName());
        assertThat(direct.getKind()).isEqualTo(SpanKind.SERVER).isEqualTo(expected.getKind());
        assertThat(direct.getParentSpanContext()).isEqualTo(expected.getParentSpanContext());
        assertThat(direct.getTraceId().equals(expected.getTraceId()))
                .isEqualTo(expected.getParentSpanContext().isValid());
        assertThat(direct.getInstrumentationScopeInfo()).isEqualTo(expected.getInstrumentationScopeInfo());
        assertThat(direct.getAttributes().asMap())
                .isEqualTo(expected.getAttributes().asMap());
        assertThat(direct.getStatus()).isEqualTo(expected.getStatus());
        assertThat(direct.getEvents()).isEqualTo(expected.getEvents());
        assertThat(direct.getLinks()).isEqualTo(expected.getLinks());
    }

    @Test
    void theShapesCoverWhatTheConventionsDistinguish() {
        // Guards the matrix above against losing its interesting cases in an edit.
        List<Shape> shapes = shapes().map(a -> (Shape) a.get()[1]).toList();
        assertThat(shapes).anyMatch(s -> s.status() >= 500);
        assertThat(shapes).anyMatch(s -> s.route() == null && s.provisionalRoute() == null);
        assertThat(shapes).anyMatch(s -> s.provisionalRoute() != null && s.route() != null);
        assertThat(shapes).anyMatch(s -> s.method().equals("FOO"));
        assertThat(shapes).anyMatch(s -> s.method().equals("PURGE") && s.route() != null);
        assertThat(shapes).anyMatch(s -> s.headers().containsKey("traceparent"));
        assertThat(shapes).anyMatch(s -> s.headers().containsKey("x-forwarded-host"));
    }

    @Test
    void aSpanWithTracingOffIsNeverStarted() {
        HttpServerTelemetry off = HttpServerTelemetry.builder(
                        sdk, VigilConfig.builder().tracingEnabled(false).build())
                .accessLog(false)
                .build();
        FakeResponse response = new FakeResponse();
        RequestContext r = off.start(
                new FakeRequest(new Shape("GET", "/a", null, Map.of(), "127.0.0.1", 1, "1.1", null, "/a", "u", 200)),
                response,
                FakeAccessor.INSTANCE);
        r.route("/a");
        response.status = 200;
        r.end();
        assertThat(exporter.getFinishedSpanItems()).isEmpty();
        assertThat(r.requestId()).isNotBlank();
    }

    private SpanData onlySpan() {
        List<SpanData> spans = exporter.getFinishedSpanItems();
        assertThat(spans).hasSize(1);
        exporter.reset();
        return spans.getFirst();
    }

    /** What the old instrumenter's own extractor added: the request id at start, the user at the end. */
    private static final class RequestIdAndUser implements AttributesExtractor<RequestContext, RequestContext> {
        @Override
        public void onStart(AttributesBuilder attributes, Context parentContext, RequestContext r) {
            attributes.put(AttributeKey.stringKey("request.id"), r.requestId);
        }

        @Override
        public void onEnd(
                AttributesBuilder attributes,
                Context context,
                RequestContext r,
                RequestContext response,
                Throwable error) {
            if (r.userId() != null) {
                attributes.put("user.id", r.userId());
            }
        }
    }

    static final class FakeRequest {
        final Shape shape;
        final Map<String, String> headers = new HashMap<>();

        FakeRequest(Shape shape) {
            this.shape = shape;
            shape.headers().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        }
    }

    static final class FakeResponse {
        int status;
        final Map<String, String> headers = new HashMap<>();
    }

    enum FakeAccessor implements HttpServerAccessor<FakeRequest, FakeResponse> {
        INSTANCE;

        @Override
        public String method(FakeRequest request) {
            return request.shape.method();
        }

        @Override
        public String scheme(FakeRequest request) {
            return "http";
        }

        @Override
        public String path(FakeRequest request) {
            return request.shape.path();
        }

        @Override
        public String query(FakeRequest request) {
            return request.shape.query();
        }

        @Override
        public List<String> requestHeader(FakeRequest request, String name) {
            String v = request.headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? List.of() : List.of(v);
        }

        @Override
        public String peerAddress(FakeRequest request) {
            return request.shape.peer();
        }

        @Override
        public Integer peerPort(FakeRequest request) {
            return request.shape.peerPort();
        }

        @Override
        public String protocolVersion(FakeRequest request) {
            return request.shape.protocol();
        }

        @Override
        public long requestBodySize(FakeRequest request) {
            return -1;
        }

        @Override
        public int status(FakeResponse response) {
            return response.status;
        }

        @Override
        public long responseBodySize(FakeResponse response) {
            return -1;
        }

        @Override
        public List<String> responseHeader(FakeResponse response, String name) {
            String v = response.headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? List.of() : List.of(v);
        }

        @Override
        public void setResponseHeader(FakeResponse response, String name, String value) {
            response.headers.put(name.toLowerCase(Locale.ROOT), value);
        }
    }
}
