package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * With {@code TRACING_ENABLED=false} no span is made, so log lines carry no trace or span id: the ids of spans that are
 * never recorded point at nothing (an outside tester found them on a domain operation's lines, while the access log of
 * the same request had none). The log side reads the ids as vigil-logback's trace-context appender does: from the span
 * current on the logging thread when the event is appended.
 */
class TracingDisabledTest {

    /** Each event with the span context current when it was appended. */
    private static final class TraceContextRecorder extends AppenderBase<ILoggingEvent> {
        final List<SpanContext> contexts = new CopyOnWriteArrayList<>();
        final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            contexts.add(Span.current().getSpanContext());
            messages.add(event.getFormattedMessage());
        }
    }

    private record Seen(SpanContext inBody, TraceContextRecorder log) {}

    private static Seen runOperation(String tracingEnabled) {
        LoggerContext logging = new LoggerContext();
        logging.start();
        TraceContextRecorder recorder = new TraceContextRecorder();
        recorder.setContext(logging);
        recorder.start();
        logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(recorder);
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("TRACING_ENABLED", tracingEnabled))
                .loggerFactory(logging)
                .runtimeMetrics(false)
                .build()) {
            SpanContext inBody = vigil.operations()
                    .observe(
                            DatabaseOperation.of("select", "users", "find_user"),
                            op -> Span.current().getSpanContext());
            return new Seen(inBody, recorder);
        } finally {
            logging.stop();
        }
    }

    @Test
    void anOperationsBodyAndItsLogEventCarryNoIdsWhenTracingIsOff() {
        Seen seen = runOperation("false");

        assertThat(seen.inBody().isValid())
                .as("the span current in the body: %s", seen.inBody())
                .isFalse();
        assertThat(seen.log().contexts).as("the operation's log event").isNotEmpty();
        assertThat(seen.log().contexts)
                .as("span contexts current as the events were logged: %s", seen.log().messages)
                .noneMatch(SpanContext::isValid);
    }

    @Test
    void withTracingOnTheSameOperationsLogEventCarriesItsSpansIds() {
        // The recorder sees ids where there are spans: the test above can tell them apart.
        Seen seen = runOperation("true");

        assertThat(seen.inBody().isValid()).isTrue();
        assertThat(seen.inBody().isSampled()).isTrue();
        assertThat(seen.log().contexts).contains(seen.inBody());
    }

    @Test
    void theRuntimesTracersMakeNoSpanWhenTracingIsOff() {
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("TRACING_ENABLED", "false"))
                .runtimeMetrics(false)
                .build()) {
            // Jobs, consumed records and the application's own spans use these tracers.
            Span span =
                    vigil.openTelemetry().getTracer("test").spanBuilder("job").startSpan();
            try {
                assertThat(span.getSpanContext().isValid()).isFalse();
                assertThat(span.isRecording()).isFalse();
            } finally {
                span.end();
            }
            // Metrics still work with tracing off.
            vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("untraced_things")
                    .build()
                    .add(2);
            assertThat(vigil.metricsEndpoint().scrape("text/plain").text())
                    .contains("untraced_things_total 2")
                    .contains("app_info");
        }
    }
}
