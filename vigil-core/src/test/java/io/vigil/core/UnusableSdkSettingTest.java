package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.trace.Span;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An {@code OTEL_*} variable the SDK refuses (autoconfigure throws) is reported once and ignored:
 * telemetry starts on Vigil's own settings and the service with it.
 */
class UnusableSdkSettingTest {

    @Test
    void anSdkVariableTheSdkRefusesIsReportedOnceAndIgnored() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("OTEL_TRACES_SAMPLER", "bogus", "OTEL_METRIC_EXPORT_INTERVAL", "5000"))
                .build()) {
            Span span =
                    vigil.openTelemetry().getTracer("test").spanBuilder("work").startSpan();
            assertThat(span.isRecording())
                    .as("traces still sampled by Vigil's own sampler")
                    .isTrue();
            span.end();
            assertThat(events.list)
                    // This thread's warnings: the root logger also hears other tests' runtimes (an exporter's
                    // outage WARN arrived here once); this one is logged while the runtime is built, on this thread.
                    .filteredOn(e -> e.getLevel() == Level.WARN
                            && e.getThreadName().equals(Thread.currentThread().getName()))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage())
                            .contains("otel.traces.sampler")
                            .contains("bogus"));
        } finally {
            root.detachAppender(events);
        }
    }

    @Test
    void aValueAComponentRefusesIsReportedWithItsReasonNotOnlyAsAnUnexpectedError() {
        // Autoconfigure wraps the batch processor builder's refusal in "Unexpected configuration error"; an outside
        // tester saw only that for OTEL_BSP_MAX_QUEUE_SIZE=-5.
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        try (Vigil vigil = Vigil.builder()
                .environment(
                        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9", "OTEL_BSP_MAX_QUEUE_SIZE", "-5"))
                .build()) {
            assertThat(vigil.enabled()).isTrue();
            assertThat(events.list)
                    .filteredOn(e -> e.getLevel() == Level.WARN
                            && e.getThreadName().equals(Thread.currentThread().getName())
                            && e.getFormattedMessage().startsWith("Telemetry configuration"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage()).containsIgnoringCase("queue"));
        } finally {
            root.detachAppender(events);
        }
    }

    @Test
    void anSdkSettingTheSdkAlsoReadsItselfIsIgnoredTooAndTheServiceStarts() {
        // Autoconfigure reads the process environment and the system properties itself: a refused OTEL_* variable that
        // Vigil does not set must be neutralised there too (OTEL_EXPORTER_OTLP_HEADERS=garbage made the start fail with
        // a stack trace). A system property stands in for the process environment, which a test cannot set.
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        System.setProperty("otel.exporter.otlp.headers", "garbage");
        System.setProperty("otel.exporter.otlp.compression", "gzip");
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9",
                        "OTEL_EXPORTER_OTLP_HEADERS", "garbage",
                        "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"))
                .build()) {
            Span span =
                    vigil.openTelemetry().getTracer("test").spanBuilder("work").startSpan();
            assertThat(span.isRecording()).isTrue();
            span.end();
            assertThat(events.list)
                    .filteredOn(e -> e.getLevel() == Level.WARN
                            && e.getThreadName().equals(Thread.currentThread().getName())
                            && e.getFormattedMessage().startsWith("Telemetry configuration"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage()).contains("otel.exporter.otlp.headers"));
        } finally {
            System.clearProperty("otel.exporter.otlp.headers");
            System.clearProperty("otel.exporter.otlp.compression");
            root.detachAppender(events);
        }
    }

    @Test
    void aBadValueOfAVariableVigilValidatesItselfCostsOnlyThatVariable() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        root.addAppender(events);
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("OTEL_TRACES_SAMPLER_ARG", "2", "OTEL_RESOURCE_ATTRIBUTES", "team=checkout"))
                .build()) {
            assertThat(vigil.config().traceSampleRate()).isEqualTo(1.0);
            assertThat(new String(vigil.metricsEndpoint().scrape(null).body(), StandardCharsets.UTF_8))
                    .as("the other OTEL_* variables still reach the SDK")
                    .containsPattern("target_info\\{[^}]*team=\"checkout\"");
            assertThat(events.list)
                    .filteredOn(e -> e.getLevel() == Level.WARN
                            && e.getThreadName().equals(Thread.currentThread().getName()))
                    .as("one warning, Vigil's own: the raw value is not passed on for the SDK to refuse")
                    .singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage()).contains("OTEL_TRACES_SAMPLER_ARG='2'"));
        } finally {
            root.detachAppender(events);
        }
    }
}
