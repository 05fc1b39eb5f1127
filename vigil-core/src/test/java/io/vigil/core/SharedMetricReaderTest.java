package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * With the default (cumulative) temporality the in-process metric exporter is fed from the Prometheus reader's
 * storage: one reader on the SDK, every measurement aggregated once, both consumers see the same cumulative sums.
 */
class SharedMetricReaderTest {

    @Test
    void inProcessMetricsShareThePrometheusReadersStorage() throws Exception {
        AtomicReference<InMemoryMetricExporter> metrics = new AtomicReference<>();
        try (OtlpReceiver receiver = OtlpReceiver.http();
                Vigil vigil = Vigil.builder()
                        .environment(Map.of(
                                "SERVICE_NAME", "shared-reader-test",
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                        receiver.endpoint().toString(),
                                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                                "OTEL_METRIC_EXPORT_INTERVAL", "100"))
                        .runtimeMetrics(false)
                        .exportInProcess(
                                InMemorySpanExporter.create(),
                                (AggregationTemporalitySelector t, DefaultAggregationSelector a) -> {
                                    metrics.set(InMemoryMetricExporter.create());
                                    return metrics.get();
                                },
                                InMemoryLogRecordExporter.create())
                        .build()) {
            // One reader, the shared one: no PeriodicMetricReader with a storage of its own.
            String provider = ((OpenTelemetrySdk) vigil.openTelemetry())
                    .getSdkMeterProvider()
                    .toString();
            assertThat(provider).contains("SharedMetricReader").doesNotContain("PeriodicMetricReader");

            LongCounter counter = vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("things")
                    .build();
            counter.add(3);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> lastThings(metrics.get()).orElse(0L) == 3L);
            // A scrape in between collects the same storage and resets nothing: still cumulative for both.
            assertThat(vigil.metricsEndpoint().scrape("text/plain").text()).contains("things_total 3.0");
            counter.add(4);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> lastThings(metrics.get()).orElse(0L) == 7L);
            assertThat(vigil.metricsEndpoint().scrape("text/plain").text()).contains("things_total 7.0");
            assertThat(metrics.get().getFinishedMetricItems().stream()
                            .filter(m -> m.getName().equals("things"))
                            .map(m -> m.getLongSumData().getAggregationTemporality()))
                    .containsOnly(AggregationTemporality.CUMULATIVE);

            vigil.shutdown(Duration.ofSeconds(5));
            assertThat(receiver.metrics()).isEmpty();
        }
    }

    private static Optional<Long> lastThings(InMemoryMetricExporter exporter) {
        if (exporter == null) {
            return Optional.empty();
        }
        List<MetricData> items = exporter.getFinishedMetricItems();
        for (int i = items.size() - 1; i >= 0; i--) {
            MetricData m = items.get(i);
            if (m.getName().equals("things")) {
                return m.getLongSumData().getPoints().stream()
                        .map(LongPointData::getValue)
                        .findFirst();
            }
        }
        return Optional.empty();
    }
}
