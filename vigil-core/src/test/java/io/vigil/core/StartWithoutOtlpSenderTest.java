package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * Without a sender for the OTLP exporters on the class path (the application excluded the run-time dependency
 * opentelemetry-exporter-sender-okhttp) and an OTLP endpoint set, Vigil starts without OTLP export and says so in one
 * WARN line naming what is missing and the dependency to add. Autoconfigure refuses the whole SDK then: Vigil
 * reported the refusal as a bad OTEL_* variable, retried with its own settings, which ask for the same exporter, and
 * {@code build()} threw ConfigurationException — the service died. Runs in the surefire execution {@code
 * no-otlp-sender}, whose class path lacks the OkHttp sender (vigil-core's pom).
 */
@Tag("no-otlp-sender")
class StartWithoutOtlpSenderTest {

    @BeforeAll
    static void theClassPathHasNoSender() {
        // The test proves nothing if the surefire execution's exclusion stopped working.
        assertThat(ServiceLoader.load(HttpSenderProvider.class).findFirst()).isEmpty();
        assertThat(ServiceLoader.load(GrpcSenderProvider.class).findFirst()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"http://127.0.0.1:4318, HttpSenderProvider", "http://127.0.0.1:4317, GrpcSenderProvider"})
    void vigilStartsWithoutOtlpExportAndSaysWhatToAdd(String endpoint, String missing) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "SERVICE_NAME", "no-sender"))
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (tracers, config) -> tracers.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                .build()) {
            assertThat(vigil.enabled()).isTrue();

            List<String> warnings = events.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN
                            && e.getThreadName().equals(Thread.currentThread().getName()))
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
            assertThat(warnings)
                    .singleElement()
                    .satisfies(line -> assertThat(line)
                            .startsWith("Telemetry export: OTLP export to " + endpoint + " is off")
                            .contains("No " + missing + " found")
                            .contains("add io.opentelemetry:opentelemetry-exporter-sender-okhttp")
                            .doesNotContain("\n"));

            // Traces, metrics and the logs bridge work without the export.
            Span span =
                    vigil.openTelemetry().getTracer("test").spanBuilder("work").startSpan();
            assertThat(span.isRecording()).isTrue();
            span.end();
            assertThat(spans.getFinishedSpanItems())
                    .singleElement()
                    .satisfies(s -> assertThat(s.getName()).isEqualTo("work"));
            vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("unsent_things")
                    .build()
                    .add(3);
            assertThat(vigil.metricsEndpoint().scrape("text/plain").text()).contains("unsent_things_total 3");
            vigil.openTelemetry()
                    .getLogsBridge()
                    .get("test")
                    .logRecordBuilder()
                    .setBody("still logging")
                    .emit();
        } finally {
            root.detachAppender(events);
        }
    }
}
