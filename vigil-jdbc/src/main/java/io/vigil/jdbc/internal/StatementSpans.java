package io.vigil.jdbc.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.impl.InstrumentationUtil;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.incubator.semconv.db.DbClientMetrics;
import io.opentelemetry.instrumentation.api.incubator.semconv.db.DbClientSpanNameExtractor;
import io.opentelemetry.instrumentation.api.incubator.semconv.db.SqlClientAttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.ErrorCauseExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.OperationListener;
import io.opentelemetry.instrumentation.api.instrumenter.SpanNameExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.SpanStatusBuilder;
import io.opentelemetry.instrumentation.api.instrumenter.SpanStatusExtractor;
import io.opentelemetry.instrumentation.api.internal.EmbeddedInstrumentationProperties;
import io.opentelemetry.instrumentation.api.internal.InstrumenterContext;
import io.opentelemetry.instrumentation.api.internal.SemconvExceptionSignal;
import io.opentelemetry.instrumentation.api.internal.SemconvStability;
import io.opentelemetry.instrumentation.api.internal.SpanKey;
import io.opentelemetry.instrumentation.jdbc.internal.DbRequest;
import io.opentelemetry.instrumentation.jdbc.internal.JdbcAttributesGetter;
import io.vigil.core.Scrubber;
import io.vigil.core.internal.ScrubbedExceptions;

/**
 * The statement spans of the OpenTelemetry JDBC library ({@code opentelemetry-jdbc}'s {@code JdbcTelemetry}: its
 * {@code JdbcInstrumenterFactory.createStatementInstrumenter}), made with the same semantic-convention code — its
 * {@link JdbcAttributesGetter}, OpenTelemetry's {@link SqlClientAttributesExtractor} and {@link
 * DbClientSpanNameExtractor} — but without the generic {@code Instrumenter} around them (issue 17).
 *
 * <p>What the {@code Instrumenter} did per statement and how it is done here:
 *
 * <ul>
 *   <li>span name and start attributes: the same extractors, run once per SQL text of a data source (see {@link
 *       #describe}; they depend only on the text, the connection's {@code DbInfo} and the switches) instead of on
 *       every execution; the {@code Instrumenter} analysed the SQL on every call;
 *   <li>same tracer scope ({@code io.opentelemetry.jdbc} and the library's version), kind CLIENT, parent the current
 *       context;
 *   <li>nesting suppression: the span goes under the instrumentation API's {@link SpanKey#DB_CLIENT} in the context,
 *       and a statement whose context already holds one (an outer wrapper, or the OpenTelemetry agent's JDBC advice,
 *       which bridges that key) or that runs under {@link InstrumentationUtil#suppressInstrumentation} makes none —
 *       the {@code Instrumenter}'s default ({@code semconv}) suppression strategy;
 *   <li>end: the {@code Instrumenter}'s error handling (cause unwrapping, the exception as span event or, with the
 *       preview flag, as a log record, the extractors' end attributes, the default status extractor) and, under the
 *       stable database semantic conventions only, {@link DbClientMetrics}' {@code db.client.operation.duration}.
 * </ul>
 *
 * <p>Not carried over: the {@code LocalRootSpan} context entry when a statement span is a trace's local root (read by
 * nothing in a JDBC call) and the experimental {@code span-suppression-strategy} setting. {@code
 * StatementSpansEquivalenceTest} holds the old and new paths side by side.
 */
public final class StatementSpans {
    static final String INSTRUMENTATION_NAME = "io.opentelemetry.jdbc";
    private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    private static final SpanKey DB_CLIENT = SpanKey.DB_CLIENT;

    private final Tracer tracer;
    private final SpanNameExtractor<DbRequest> names;
    private final AttributesExtractor<DbRequest, Void> attributes;
    private final io.opentelemetry.api.logs.Logger exceptionLogs; // null unless exceptions go to logs
    private final OperationListener durations; // null unless the stable database conventions are on
    private final Scrubber scrubber;

    /**
     * Spans on {@code openTelemetry}'s tracer; statement texts sanitised when {@code querySanitization}; exception
     * messages and stack traces through {@code scrubber}.
     */
    public StatementSpans(OpenTelemetry openTelemetry, boolean querySanitization, Scrubber scrubber) {
        this.scrubber = scrubber;
        JdbcAttributesGetter getter = new JdbcAttributesGetter();
        String version = EmbeddedInstrumentationProperties.findVersion(INSTRUMENTATION_NAME);
        TracerBuilder tracerBuilder = openTelemetry.getTracerProvider().tracerBuilder(INSTRUMENTATION_NAME);
        if (version != null) {
            tracerBuilder.setInstrumentationVersion(version);
        }
        this.tracer = tracerBuilder.build();
        this.names = DbClientSpanNameExtractor.create(getter);
        this.attributes = SqlClientAttributesExtractor.builder(getter)
                .setQuerySanitizationEnabled(querySanitization)
                .build();
        if (SemconvExceptionSignal.emitExceptionAsLogs()) {
            var loggerBuilder = openTelemetry.getLogsBridge().loggerBuilder(INSTRUMENTATION_NAME);
            if (version != null) {
                loggerBuilder.setInstrumentationVersion(version);
            }
            this.exceptionLogs = loggerBuilder.build();
        } else {
            this.exceptionLogs = null;
        }
        if (SemconvStability.emitStableDatabaseSemconv()) {
            MeterBuilder meterBuilder = openTelemetry.getMeterProvider().meterBuilder(INSTRUMENTATION_NAME);
            if (version != null) {
                meterBuilder.setInstrumentationVersion(version);
            }
            this.durations = DbClientMetrics.get().create(meterBuilder.build());
        } else {
            this.durations = null;
        }
    }

    /** What a span of {@code request} starts with: its name and attributes. */
    record Description(String name, Attributes attributes) {}

    /** Runs the extractors on {@code request}: the span name and start attributes, as the Instrumenter's start. */
    Description describe(DbRequest request) {
        try {
            String name = names.extract(request);
            AttributesBuilder builder = Attributes.builder();
            attributes.onStart(builder, Context.root(), request);
            return new Description(name, builder.build());
        } finally {
            // The extractors share the SQL analysis through this per-thread map; the Instrumenter clears it after
            // each start.
            InstrumenterContext.reset();
        }
    }

    /** Whether a statement under {@code parent} gets a span: no database client span is current already. */
    static boolean shouldStart(Context parent) {
        return DB_CLIENT.fromContextOrNull(parent) == null
                && !InstrumentationUtil.shouldSuppressInstrumentation(parent);
    }

    /**
     * Starts the span of a statement described by {@code description} under {@code parent}; returns the context that
     * holds it (under {@link SpanKey#DB_CLIENT} too), to be made current around the driver's call once {@link
     * #timed} has added the start time.
     */
    Context start(Context parent, Description description) {
        Span span = tracer.spanBuilder(description.name())
                .setSpanKind(SpanKind.CLIENT)
                .setParent(parent)
                .setAllAttributes(description.attributes())
                .startSpan();
        return DB_CLIENT.storeInContext(parent.with(span), span);
    }

    /** {@code context} with the start time of the operation metrics the library's Instrumenter kept (if any). */
    Context timed(Context context, Description description, long startNanos) {
        return durations != null ? durations.onStart(context, description.attributes(), startNanos) : context;
    }

    /** Ends the span in {@code context}, with {@code error} (null on success) recorded as the Instrumenter did. */
    void end(Context context, DbRequest request, Throwable error, long endNanos) {
        Span span = Span.fromContext(context);
        Attributes end = Attributes.empty();
        if (error != null) {
            error = ErrorCauseExtractor.getDefault().extract(error);
            // A driver's message quotes the values it refused: "duplicate key … Key (email)=(jane@example.com)",
            // H2's "… VALUES ( /* 2 */ 'jane@example.com' )". The statement text is sanitised; its error must be too.
            Attributes exception = ScrubbedExceptions.attributes(scrubber, error);
            if (SemconvExceptionSignal.emitExceptionAsSpanEvents()) {
                span.recordException(error, exception);
            }
            if (exceptionLogs != null) {
                LogRecordBuilder log = exceptionLogs.logRecordBuilder();
                log.setContext(context);
                log.setEventName("db.client.operation.exception");
                log.setSeverity(Severity.WARN);
                log.setAttribute(EXCEPTION_TYPE, error.getClass().getName());
                log.setAllAttributes(exception);
                log.emit();
            }
            // The end attributes (error.type under the stable conventions); on success the extractor adds none.
            AttributesBuilder builder = Attributes.builder();
            attributes.onEnd(builder, context, request, null, error);
            end = builder.build();
            span.setAllAttributes(end);
            SpanStatusExtractor.getDefault().extract(new StatusOf(span), request, null, error);
        }
        if (durations != null) {
            durations.onEnd(context, end, endNanos);
        }
        span.end();
    }

    private record StatusOf(Span span) implements SpanStatusBuilder {
        @Override
        public SpanStatusBuilder setStatus(StatusCode code, String description) {
            span.setStatus(code, description);
            return this;
        }
    }
}
