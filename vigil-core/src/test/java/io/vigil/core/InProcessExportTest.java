package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /**
     * The span filter of {@code exportInProcess} is given the batch processor around the in-process span exporter, and
     * only that one (not the processor of another configured exporter); what it returns takes that processor's place.
     */
    @Test
    void theSpanFilterGoesAroundTheInProcessBatchProcessorOnly() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        List<SpanProcessor> given = new CopyOnWriteArrayList<>();
        try (OtlpReceiver receiver = OtlpReceiver.http();
                Vigil vigil = Vigil.builder()
                        .environment(Map.of(
                                "SERVICE_NAME", "in-process-test",
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                        receiver.endpoint().toString(),
                                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                                // a second exporter, with a processor of its own that the filter must not see
                                "OTEL_TRACES_EXPORTER", "otlp,console",
                                "OTEL_BSP_SCHEDULE_DELAY", "50"))
                        .runtimeMetrics(false)
                        .exportInProcess(
                                spans,
                                (t, a) -> InMemoryMetricExporter.create(),
                                InMemoryLogRecordExporter.create(),
                                processor -> {
                                    given.add(processor);
                                    return new DroppingProcessor(processor);
                                })
                        .build()) {
            assertThat(given).hasSize(1);
            assertThat(given.getFirst()).isInstanceOf(BatchSpanProcessor.class);
            assertThat(((BatchSpanProcessor) given.getFirst()).getSpanExporter())
                    .isSameAs(spans);
            var tracer = vigil.openTelemetry().getTracer("test");
            tracer.spanBuilder("dropped").startSpan().end();
            tracer.spanBuilder("kept").startSpan().end();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !spans.getFinishedSpanItems().isEmpty());
            // "dropped" ended first: had it passed the filter, it would have been exported with or before "kept".
            assertThat(spans.getFinishedSpanItems())
                    .extracting(SpanData::getName)
                    .containsExactly("kept");
        }
    }

    /** Passes on every span but those named "dropped". */
    private record DroppingProcessor(SpanProcessor next) implements SpanProcessor {
        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
            next.onStart(parentContext, span);
        }

        @Override
        public boolean isStartRequired() {
            return next.isStartRequired();
        }

        @Override
        public void onEnd(ReadableSpan span) {
            if (!span.getName().equals("dropped")) {
                next.onEnd(span);
            }
        }

        @Override
        public boolean isEndRequired() {
            return next.isEndRequired();
        }

        @Override
        public CompletableResultCode shutdown() {
            return next.shutdown();
        }

        @Override
        public CompletableResultCode forceFlush() {
            return next.forceFlush();
        }
    }
}
