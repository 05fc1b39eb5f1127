package io.vigil.logback.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Refuses events below WARN whose trace (the {@code trace_id} the trace-context appender put into the event's MDC, or
 * else the logging thread's current span) a
 * destination does not keep; everything else passes. A refused event is never bridged into the OpenTelemetry logs
 * pipeline, so a sampling destination's dropped records cost nothing upstream.
 */
public final class TraceLogFilter extends Filter<ILoggingEvent> {
    private final Predicate<String> keepsTrace;

    private TraceLogFilter(Predicate<String> keepsTrace) {
        this.keepsTrace = keepsTrace;
        setName("vigil-trace-log-filter");
        start();
    }

    /** A started filter asking {@code keepsTrace} about each routine event's trace id. */
    public static TraceLogFilter of(Predicate<String> keepsTrace) {
        return new TraceLogFilter(keepsTrace);
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            return FilterReply.NEUTRAL;
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        String traceId = mdc == null ? null : mdc.get(EventRenderer.TRACE_ID);
        if (traceId == null) {
            // No hand-off in between: the bridge runs on this thread, whose current span is the event's.
            SpanContext current = Span.current().getSpanContext();
            if (!current.isValid()) {
                return FilterReply.NEUTRAL;
            }
            traceId = current.getTraceId();
        }
        try {
            return keepsTrace.test(traceId) ? FilterReply.NEUTRAL : FilterReply.DENY;
        } catch (RuntimeException e) {
            return FilterReply.NEUTRAL; // a failing filter keeps the record: telemetry is never lost to it
        }
    }
}
