package io.vigil.logback.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TraceContextAppender} gives every event the MDC OpenTelemetry's MDC appender gives it — the same entries in
 * the same iteration order (the JSON line's field order follows it), the same lookups, the same context view — on
 * random MDCs of every size, with and without a span, with the trace keys already there, and with keys that share a
 * hash bucket.
 */
class TraceContextAppenderTest {
    private static final SpanContext SPAN = SpanContext.create(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

    private final LoggerContext context = context();
    private final Logger logger = context.getLogger("test");

    private static LoggerContext context() {
        LoggerContext c = new LoggerContext();
        c.setMDCAdapter(org.slf4j.MDC.getMDCAdapter());
        c.start();
        return c;
    }

    /** Records what the events it receives carry. */
    private static final class Capture extends AppenderBase<ILoggingEvent> {
        final List<List<Map.Entry<String, String>>> entries = new ArrayList<>();
        final List<Map<String, String>> contextMaps = new ArrayList<>();

        @Override
        protected void append(ILoggingEvent e) {
            Map<String, String> mdc = e.getMDCPropertyMap();
            entries.add(mdc == null ? null : List.copyOf(new ArrayList<>(mdc.entrySet())));
            contextMaps.add(
                    e.getLoggerContextVO() == null
                            ? null
                            : e.getLoggerContextVO().getPropertyMap());
        }
    }

    private <A extends UnsynchronizedAppenderBase<ILoggingEvent> & AppenderAttachable<ILoggingEvent>> Capture capture(
            A appender) {
        Capture c = new Capture();
        c.setContext(context);
        c.start();
        appender.setContext(context);
        appender.addAppender(c);
        appender.start();
        return c;
    }

    private LoggingEvent event(Map<String, String> mdc) {
        LoggingEvent e = new LoggingEvent(Logger.FQCN, logger, Level.INFO, "m", null, null);
        if (mdc != null) {
            e.setMDCPropertyMap(mdc);
        }
        return e;
    }

    @Test
    void sameEntriesInTheSameOrderAsOpenTelemetrysAppender() {
        var theirs = new io.opentelemetry.instrumentation.logback.mdc.v1_0.OpenTelemetryAppender();
        TraceContextAppender ours = new TraceContextAppender();
        Capture expected = capture(theirs);
        Capture actual = capture(ours);
        Random random = new Random(42);
        String[] pool = {
            "request_id",
            "method",
            "path",
            "endpoint",
            "ip_address",
            "user_id",
            "tenant",
            "span_id",
            "trace_flags",
            "Aa",
            "BB",
            "AaAa",
            "AaBB",
            "BBAa",
            "BBBB",
            "x",
            "y",
            "zz",
            "q1",
            "q2"
        };
        int cases = 0;
        for (int i = 0; i < 4000; i++) {
            int size = random.nextInt(i % 10 == 0 ? 70 : 14);
            Map<String, String> mdc = random.nextBoolean() ? new HashMap<>() : new LinkedHashMap<>();
            while (mdc.size() < size) {
                String key = random.nextInt(3) == 0
                        ? pool[random.nextInt(pool.length)]
                        : "k" + Integer.toString(random.nextInt(1 << 20), 36);
                mdc.put(key, "v" + random.nextInt(1000));
            }
            if (random.nextInt(20) == 0) {
                mdc.put("trace_id", "from-mdc");
            }
            Map<String, String> given = random.nextInt(30) == 0 ? null : mdc;
            boolean inSpan = random.nextInt(4) != 0;
            try (Scope ignored = inSpan ? Span.wrap(SPAN).makeCurrent() : Scope.noop()) {
                theirs.doAppend(event(given));
                LoggingEvent e = event(given);
                ours.doAppend(e);
                Map<String, String> view = e.getMDCPropertyMap();
                for (String key : List.of("trace_id", "span_id", "trace_flags", "request_id", "nope")) {
                    Map<String, String> reference = new HashMap<>(given == null ? Map.of() : given);
                    if (!reference.containsKey("trace_id") && inSpan) {
                        reference.put("trace_id", SPAN.getTraceId());
                        reference.put("span_id", SPAN.getSpanId());
                        reference.put("trace_flags", "01");
                    }
                    assertThat(view.get(key)).as(key).isEqualTo(reference.get(key));
                    assertThat(view.containsKey(key)).as(key).isEqualTo(reference.containsKey(key));
                }
            }
            cases++;
        }
        assertThat(actual.entries).hasSize(cases);
        for (int i = 0; i < cases; i++) {
            assertThat(actual.entries.get(i)).as("case " + i).containsExactlyElementsOf(expected.entries.get(i));
            assertThat(actual.contextMaps.get(i)).as("case " + i).isEqualTo(expected.contextMaps.get(i));
        }
    }

    @Test
    void keysSharingABucketKeepHashMapsOrder() {
        var theirs = new io.opentelemetry.instrumentation.logback.mdc.v1_0.OpenTelemetryAppender();
        TraceContextAppender ours = new TraceContextAppender();
        Capture expected = capture(theirs);
        Capture actual = capture(ours);
        // "Aa" and "BB" have one hash code, so every string of three such pairs has the same: 8 keys, one bucket.
        List<String> colliding = new ArrayList<>();
        for (String a : List.of("Aa", "BB")) {
            for (String b : List.of("Aa", "BB")) {
                for (String c : List.of("Aa", "BB")) {
                    colliding.add(a + b + c);
                }
            }
        }
        for (int extra = 0; extra < 40; extra += 3) {
            Map<String, String> mdc = new LinkedHashMap<>();
            for (int i = 0; i < extra; i++) {
                mdc.put("f" + i, "v");
            }
            colliding.forEach(k -> mdc.put(k, k));
            try (Scope ignored = Span.wrap(SPAN).makeCurrent()) {
                theirs.doAppend(event(mdc));
                ours.doAppend(event(mdc));
            }
        }
        assertThat(actual.entries).isEqualTo(expected.entries);
    }
}
