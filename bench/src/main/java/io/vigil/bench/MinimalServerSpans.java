package io.vigil.bench;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;

/**
 * The {@code minimal} mode of {@link HttpLoadServer}: the least an HTTP server instrumentation on the OpenTelemetry SDK
 * does per request — a sampled server span with the semantic conventions' request attributes, current while the route
 * runs, named by the route, and one {@code http.server.request.duration} recording. Written by hand, without Vigil or
 * the instrumentation API, so the load run has a floor to put Vigil's and the agent's figures against.
 */
final class MinimalServerSpans {
    private static final String STATE = MinimalServerSpans.class.getName();
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    private static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
    private static final AttributeKey<String> PROTOCOL = AttributeKey.stringKey("network.protocol.version");

    private static final TextMapGetter<Context> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Context carrier) {
            return carrier.headerMap().keySet();
        }

        @Override
        public String get(Context carrier, String key) {
            return carrier == null ? null : carrier.header(key);
        }
    };

    private record InFlight(Span span, Scope scope, long startNanos) {}

    private MinimalServerSpans() {}

    static void install(JavalinConfig config, OpenTelemetry otel) {
        Tracer tracer = otel.getTracer("bench.minimal");
        DoubleHistogram duration = otel.getMeter("bench.minimal")
                .histogramBuilder("http.server.request.duration")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(
                        List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0))
                .build();
        config.routes.before(ctx -> {
            long start = System.nanoTime();
            io.opentelemetry.context.Context parent = otel.getPropagators()
                    .getTextMapPropagator()
                    .extract(io.opentelemetry.context.Context.root(), ctx, HEADERS);
            Span span = tracer.spanBuilder(ctx.method().name())
                    .setParent(parent)
                    .setSpanKind(SpanKind.SERVER)
                    .setAttribute(METHOD, ctx.method().name())
                    .setAttribute(SCHEME, ctx.scheme())
                    .setAttribute(PATH, ctx.path())
                    .setAttribute(SERVER_ADDRESS, ctx.req().getServerName())
                    .setAttribute(SERVER_PORT, (long) ctx.port())
                    .setAttribute(CLIENT_ADDRESS, ctx.req().getRemoteAddr())
                    .setAttribute(USER_AGENT, ctx.userAgent())
                    .setAttribute(PROTOCOL, "1.1")
                    .startSpan();
            ctx.attribute(STATE, new InFlight(span, span.makeCurrent(), start));
        });
        config.routes.after(ctx -> {
            InFlight inFlight = ctx.attribute(STATE);
            if (inFlight == null) {
                return;
            }
            Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
            String route = endpoint != null ? endpoint.path : null;
            int status = ctx.statusCode();
            Span span = inFlight.span();
            if (route != null) {
                span.updateName(ctx.method().name() + " " + route);
                span.setAttribute(ROUTE, route);
            }
            span.setAttribute(STATUS, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            // Recorded while the span is current, as the conventions' instrumentations do, so an exemplar can link it.
            duration.record(
                    (System.nanoTime() - inFlight.startNanos()) / 1e9,
                    route != null
                            ? Attributes.of(
                                    METHOD, ctx.method().name(), ROUTE, route, STATUS, (long) status, SCHEME, "http")
                            : Attributes.of(METHOD, ctx.method().name(), STATUS, (long) status, SCHEME, "http"));
            span.end();
            inFlight.scope().close();
        });
    }
}
