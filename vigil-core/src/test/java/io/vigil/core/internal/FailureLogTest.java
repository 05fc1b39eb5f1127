package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import org.junit.jupiter.api.Test;

class FailureLogTest {
    @Test
    void countedInAMetricWarnedOncePerOutageAndRecoveryReportedOnce() throws Exception {
        LoggerContext context = new LoggerContext();
        context.start();
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        Logger log = context.getLogger("test");
        log.addAppender(events);
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        FailureLog failures = new FailureLog(log, "http_server", "Recording HTTP telemetry", "requests are served");

        try (SdkMeterProvider meters =
                        SdkMeterProvider.builder().registerMetricReader(reader).build();
                AutoCloseable ignored = failures.register(meters.get("test"))) {
            failures.succeeded(); // healthy: nothing to say
            for (int i = 0; i < 5; i++) {
                failures.failed(new IllegalStateException("broken " + i));
            }
            failures.succeeded();
            failures.succeeded();
            failures.failed(new IllegalStateException("again"));

            assertThat(failures.failures()).isEqualTo(6);
            var point = reader.collectAllMetrics().stream()
                    .filter(m -> m.getName().equals(FailureLog.METRIC))
                    .findFirst()
                    .orElseThrow()
                    .getLongSumData()
                    .getPoints()
                    .iterator()
                    .next();
            assertThat(point.getValue()).isEqualTo(6);
            assertThat(point.getAttributes().get(AttributeKey.stringKey("component")))
                    .isEqualTo("http_server");
        }
        assertThat(events.list).extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.INFO, Level.WARN);
        assertThat(events.list.get(0).getFormattedMessage())
                .startsWith("Recording HTTP telemetry is failing (IllegalStateException: broken 0)")
                .contains("vigil_telemetry_failures_total{component=\"http_server\"}");
        assertThat(events.list.get(1).getFormattedMessage())
                .isEqualTo("Recording HTTP telemetry recovered after 5 failures");
    }
}
