package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** ENABLE_OBSERVABILITY=false is a true no-op: no SDK, no threads, no sockets, no export. */
class DisabledTest {

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .collect(Collectors.toSet());
    }

    @Test
    void disabledRuntimeIsTheNoopAndStartsNoThreads() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.http()) {
            Set<String> before = threadNames();
            try (Vigil vigil = Vigil.builder()
                    .environment(Map.of(
                            "ENABLE_OBSERVABILITY", "false",
                            "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint().toString(),
                            "ENABLE_TRACE_CONSOLE_EXPORT", "true"))
                    .build()) {
                assertThat(vigil.enabled()).isFalse();
                assertThat(vigil.openTelemetry()).isSameAs(OpenTelemetry.noop());
                Span span =
                        vigil.openTelemetry().getTracer("t").spanBuilder("s").startSpan();
                assertThat(span.isRecording()).isFalse();
                span.end();
                vigil.openTelemetry().getMeter("m").counterBuilder("c").build().add(1);

                Set<String> started = threadNames();
                started.removeAll(before);
                assertThat(started).isEmpty();
                assertThat(vigil.metricsEndpoint().scrape(null).body()).isEmpty();
            }
            assertThat(receiver.spans()).isEmpty();
            assertThat(receiver.metrics()).isEmpty();
        }
    }

    @Test
    void operationsRunTheirBodyAndEmitNothing() {
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        root.addAppender(events);
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("ENABLE_OBSERVABILITY", "false"))
                .build()) {
            events.list.clear();
            String result = vigil.operations().observe(DatabaseOperation.of("select", "users", "find_user"), op -> {
                op.userId("u-1").email("a@example.com").failure("not_found");
                return "ran";
            });
            assertThat(result).isEqualTo("ran");
            // Only what this thread logged: an earlier test's runtime may still be reporting a dead
            // collector from its exporter thread (the root logger is shared by the whole JVM).
            String thread = Thread.currentThread().getName();
            synchronized (events) {
                assertThat(events.list)
                        .filteredOn(e -> e.getThreadName().equals(thread))
                        .isEmpty();
            }
        } finally {
            root.detachAppender(events);
        }
    }
}
