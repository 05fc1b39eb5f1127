package io.vigil.logback.internal;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggerContextVO;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.Map;

/**
 * Puts the trace fields of the span current on the logging thread into each event's MDC, for the appenders behind
 * it (hand-offs whose threads have no span current): what OpenTelemetry's Logback MDC appender ({@code
 * opentelemetry-logback-mdc-1.0}) does with its default keys and no baggage — same fields, same entry order, the
 * same {@link LoggerContextVO} carrying the map — but with a {@link TraceContextMdc} view instead of a {@code
 * HashMap} copy of the MDC per event, which was half of the logging thread's cost of an access-log line.
 *
 * <p>Like OpenTelemetry's, it leaves an event whose MDC already has a {@code trace_id} (or that is not a plain
 * {@link LoggingEvent}) as it is, and sets the map through the event's private field, since Logback's setter refuses
 * a second map; where that field cannot be reached, events pass unchanged and the renderer reads the current span.
 */
public final class TraceContextAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
        implements AppenderAttachable<ILoggingEvent> {
    private static final VarHandle MDC_MAP = mdcMap();

    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();

    private static VarHandle mdcMap() {
        try {
            return MethodHandles.privateLookupIn(LoggingEvent.class, MethodHandles.lookup())
                    .findVarHandle(LoggingEvent.class, "mdcPropertyMap", Map.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        addTraceContext(event);
        appenders.appendLoopOnAppenders(event);
    }

    private static void addTraceContext(ILoggingEvent event) {
        if (MDC_MAP == null || event.getClass() != LoggingEvent.class) {
            return;
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null && mdc.containsKey(EventRenderer.TRACE_ID)) {
            return;
        }
        SpanContext sc = Span.current().getSpanContext();
        TraceContextMdc map = sc.isValid()
                ? new TraceContextMdc(
                        mdc, sc.getTraceId(), sc.getSpanId(), sc.getTraceFlags().asHex())
                : new TraceContextMdc(mdc, null, null, null);
        // Ordered here, where the MDC Logback has just copied is in this core's cache, rather than on the hand-off's
        // thread, which would read every entry of it from memory again: it renders lines in batches, long after.
        map.ordered();
        LoggerContextVO vo = event.getLoggerContextVO();
        MDC_MAP.set((LoggingEvent) event, map);
        ((LoggingEvent) event)
                .setLoggerContextRemoteView(
                        vo == null ? null : new LoggerContextVO(vo.getName(), map, vo.getBirthTime()));
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> newAppender) {
        appenders.addAppender(newAppender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
