package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code exportInProcess}: the in-process exporters take the OTLP exporters' place; nothing goes over the wire. */
class InProcessExportTest {

    @Test
    void everySignalGoesToTheInProcessExportersAndNothingToTheEndpoint() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        InMemoryLogRecordExporter logs = InMemoryLogRecordExporter.create();
        AtomicReference<AggregationTemporalitySelector> temporality = new AtomicReference<>();
        AtomicReference<InMemoryMetricExporter> metrics = new AtomicReference<>();
        // The start-up summary must not claim an OTLP destination that is never dialled.
        ch.qos.logback.classic.Logger vigilLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Vigil.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        vigilLog.addAppender(lines);
        try (OtlpReceiver receiver = OtlpReceiver.http();
                Vigil vigil = Vigil.builder()
                        .environment(Map.of(
                                "SERVICE_NAME", "in-process-test",
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                        receiver.endpoint().toString(),
                                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta",
                                "OTEL_BSP_SCHEDULE_DELAY", "50",
                                "OTEL_BLRP_SCHEDULE_DELAY", "50",
                                "OTEL_METRIC_EXPORT_INTERVAL", "100"))
                        .runtimeMetrics(false)
                        .exportInProcess(
                                spans,
                                (AggregationTemporalitySelector t, DefaultAggregationSelector a) -> {
                                    temporality.set(t);
                                    metrics.set(InMemoryMetricExporter.create());
                                    return metrics.get();
                                },
                                logs)
                        .build()) {
            String thread = Thread.currentThread().getName();
            synchronized (lines) {
                assertThat(lines.list)
                        .filteredOn(e -> e.getThreadName().equals(thread))
                        .anySatisfy(e -> assertThat(e.getFormattedMessage())
                                .startsWith("Vigil telemetry: service=in-process-test")
                                .contains("OTLP exporters replaced in-process"));
            }
            vigilLog.detachAppender(lines);
            vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("in-process")
                    .startSpan()
                    .end();
            vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("things")
                    .build()
                    .add(3);
            vigil.openTelemetry()
                    .getLogsBridge()
                    .get("test")
                    .logRecordBuilder()
                    .setSeverity(Severity.INFO)
                    .setBody("hello")
                    .emit();

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !spans.getFinishedSpanItems().isEmpty()
                            && !logs.getFinishedLogRecordItems().isEmpty()
                            && metrics.get() != null
                            && metrics.get().getFinishedMetricItems().stream()
                                    .anyMatch(m -> m.getName().equals("things")));
            assertThat(spans.getFinishedSpanItems().getFirst().getName()).isEqualTo("in-process");
            assertThat(logs.getFinishedLogRecordItems()
                            .getFirst()
                            .getBodyValue()
                            .asString())
                    .isEqualTo("hello");
            // The replacement is told what the OTLP exporter would have used (here: delta, as configured).
            assertThat(temporality.get().getAggregationTemporality(InstrumentType.COUNTER))
                    .isEqualTo(AggregationTemporality.DELTA);
            vigil.shutdown(Duration.ofSeconds(5));
            assertThat(receiver.spans()).isEmpty();
            assertThat(receiver.logs()).isEmpty();
            assertThat(receiver.metrics()).isEmpty();
        }
    }
}
