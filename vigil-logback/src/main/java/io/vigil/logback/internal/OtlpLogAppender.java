package io.vigil.logback.internal;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.vigil.core.Scrubber;
import java.util.Map;

/**
 * Sends events, scrubbed, into the OpenTelemetry logs pipeline through OpenTelemetry's own Logback
 * bridge. On the logging thread the bridge reads the current span for correlation; behind a hand-off
 * (events that carry {@code trace_id}/{@code span_id} in their MDC, put there on the logging thread)
 * that span context is made current for the bridge instead. The SDK's batch processor behind it is
 * bounded and never blocks.
 */
public final class OtlpLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    private final OpenTelemetryAppender bridge = new OpenTelemetryAppender();
    private final Scrubber scrubber;

    public OtlpLogAppender(OpenTelemetry openTelemetry, Scrubber scrubber) {
        this.scrubber = scrubber;
        bridge.setOpenTelemetry(openTelemetry);
        bridge.setKeyValuePairAttributesIncluded("*"); // every key-value pair and MDC entry (glob)
        bridge.setMdcAttributesIncluded("*");
        bridge.setName("vigil-otlp-bridge");
    }

    @Override
    public void start() {
        bridge.setContext(getContext());
        bridge.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        Context context = traceContext(event);
        if (context == null) {
            bridge.doAppend(new ScrubbedEvent(event, scrubber));
            return;
        }
        // On a hand-off's thread the current context is not the logging thread's: the bridge correlates the record
        // with the span whose ids the trace-context appender put into the event's MDC there.
        try (Scope ignored = context.makeCurrent()) {
            bridge.doAppend(new ScrubbedEvent(event, scrubber));
        }
    }

    /** The span context the event's MDC names, or {@code null} when it names none (then the current one applies). */
    static Context traceContext(ILoggingEvent event) {
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc == null || mdc.isEmpty()) {
            return null;
        }
        String traceId = mdc.get(EventRenderer.TRACE_ID);
        String spanId = mdc.get(EventRenderer.SPAN_ID);
        if (traceId == null || spanId == null) {
            return null;
        }
        String flags = mdc.get(EventRenderer.TRACE_FLAGS);
        TraceFlags traceFlags = TraceFlags.getDefault();
        if (flags != null && flags.length() == 2) {
            try {
                traceFlags = TraceFlags.fromHex(flags, 0);
            } catch (IllegalArgumentException e) {
                // not hex: the ids still correlate the record; the sampled bit is only a hint
            }
        }
        SpanContext spanContext = SpanContext.create(traceId, spanId, traceFlags, TraceState.getDefault());
        return spanContext.isValid() ? Context.root().with(Span.wrap(spanContext)) : null;
    }

    @Override
    public void stop() {
        super.stop();
        bridge.stop();
    }
}
