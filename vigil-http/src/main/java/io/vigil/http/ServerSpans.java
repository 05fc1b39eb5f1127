package io.vigil.http;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.SpanNameExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.SpanStatusBuilder;
import io.opentelemetry.instrumentation.api.instrumenter.SpanStatusExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpServerAttributesExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanNameExtractor;
import io.opentelemetry.instrumentation.api.semconv.http.HttpSpanStatusExtractor;
import io.vigil.http.internal.HttpMetrics;
import java.util.function.Predicate;

/**
 * The server span of one request, made with OpenTelemetry's HTTP semantic-convention extractors
 * ({@link HttpServerAttributesExtractor}, {@link HttpSpanNameExtractor}, {@link HttpSpanStatusExtractor})
 * but without the generic {@code Instrumenter} around them.
 *
 * <p>Why: on a small request the {@code Instrumenter} cost about as much as the span itself (bench/README,
 * issue 17) — it gathers the extractors' attributes into a map of its own and copies them into the span
 * builder, at the end into a second map copied into the span, and adds context entries (span suppression,
 * local root, route state) that nothing in a Vigil-instrumented server reads. Here the same extractors
 * write straight into the span builder and the span; the route, which the {@code Instrumenter} kept in a
 * context entry of its own ({@code HttpServerRoute}), lives on the {@link RequestContext}, with the
 * same naming ({@code "GET /users/{id}"}, {@code "HTTP"} for a method outside the known set).
 * {@code ServerSpansTest} holds the two side by side: the same name, kind, parent, attributes and status.
 */
final class ServerSpans {
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("request.id");
    static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final SpanNameExtractor<RequestContext> names;
    private final AttributesExtractor<RequestContext, RequestContext> semconv;
    private final SpanStatusExtractor<RequestContext, RequestContext> status;
    private final boolean enabled;

    ServerSpans(OpenTelemetry openTelemetry, boolean enabled) {
        ServerAttributes getter = ServerAttributes.INSTANCE;
        this.tracer = openTelemetry.getTracer("io.vigil.http");
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
        this.names = HttpSpanNameExtractor.create(getter);
        this.semconv = HttpServerAttributesExtractor.create(getter);
        this.status = HttpSpanStatusExtractor.create(getter);
        this.enabled = enabled;
    }

    /** Whether server spans are made at all ({@code ENABLE_OBSERVABILITY}, {@code ENABLE_TRACING}). */
    boolean enabled() {
        return enabled;
    }

    /**
     * Starts the request's server span as a child of the incoming W3C trace context (or of {@code parent}
     * when there is none) and returns the context holding it.
     */
    Context start(Context parent, RequestContext r) {
        Context upstream = propagator.extract(parent, r, ServerAttributes.INSTANCE);
        SpanBuilder builder = tracer.spanBuilder(names.extract(r))
                .setSpanKind(SpanKind.SERVER)
                .setParent(upstream);
        // Attributes are on the builder before the span starts, so a sampler sees them.
        semconv.onStart(DirectAttributes.of(builder), upstream, r);
        builder.setAttribute(REQUEST_ID, r.requestId);
        return upstream.with(builder.startSpan());
    }

    /**
     * The route template is known: the span is named by it ({@code "GET /users/{id}"}); {@code name} is that name
     * when the caller has it made already, else {@code null}.
     */
    static void routed(RequestContext r, String template, String name) {
        if (name == null) {
            name = HttpMetrics.spanName(HttpMetrics.methodLabel(r.methodIndex), template);
        }
        Span.fromContext(r.context).updateName(name);
    }

    /** Ends the span with the response's attributes and status ({@code r.status} is set). */
    void end(RequestContext r) {
        Span span = Span.fromContext(r.context);
        semconv.onEnd(DirectAttributes.of(span), r.context, r, r, null);
        String route = r.finalRoute();
        if (route != null) {
            span.setAttribute(HTTP_ROUTE, route);
        } else if (r.endpoint() != null) {
            // A provisional route (a servlet mapping, Spring's catch-all /**) named the span, and the response is a
            // 404: no route answered, so the name goes back to the method alone, as the metrics say unmatched.
            span.updateName(names.extract(r));
        }
        status.extract(new StatusOf(span), r, r, null);
        span.end();
    }

    /** The extractors' {@code put}s straight into a span builder or a span: no map in between. */
    private abstract static class DirectAttributes implements AttributesBuilder {
        static DirectAttributes of(SpanBuilder builder) {
            return new DirectAttributes() {
                @Override
                <T> void set(AttributeKey<T> key, T value) {
                    builder.setAttribute(key, value);
                }

                @Override
                void setAll(Attributes attributes) {
                    builder.setAllAttributes(attributes);
                }
            };
        }

        static DirectAttributes of(Span span) {
            return new DirectAttributes() {
                @Override
                <T> void set(AttributeKey<T> key, T value) {
                    span.setAttribute(key, value);
                }

                @Override
                void setAll(Attributes attributes) {
                    span.setAllAttributes(attributes);
                }
            };
        }

        abstract <T> void set(AttributeKey<T> key, T value);

        abstract void setAll(Attributes attributes);

        @Override
        public <T> AttributesBuilder put(AttributeKey<T> key, T value) {
            if (key != null && value != null) {
                set(key, value);
            }
            return this;
        }

        @Override
        public <T> AttributesBuilder put(AttributeKey<Long> key, int value) {
            return put(key, (long) value);
        }

        @Override
        public AttributesBuilder putAll(Attributes attributes) {
            setAll(attributes);
            return this;
        }

        @Override
        public Attributes build() {
            throw new UnsupportedOperationException("attributes go straight to the span");
        }

        @Override
        public <T> AttributesBuilder remove(AttributeKey<T> key) {
            throw new UnsupportedOperationException("attributes go straight to the span");
        }

        @Override
        public AttributesBuilder removeIf(Predicate<AttributeKey<?>> filter) {
            throw new UnsupportedOperationException("attributes go straight to the span");
        }
    }

    private record StatusOf(Span span) implements SpanStatusBuilder {
        @Override
        public SpanStatusBuilder setStatus(StatusCode code, String description) {
            span.setStatus(code, description);
            return this;
        }
    }
}
