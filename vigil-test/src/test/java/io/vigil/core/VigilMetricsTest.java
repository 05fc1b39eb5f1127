package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.vigil.test.MetricSamples;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VigilMetricsTest {
    private Vigil vigil;

    @AfterEach
    void close() {
        if (vigil != null) {
            vigil.close();
        }
    }

    private Vigil start(Map<String, String> env) {
        vigil = Vigil.builder().environment(env).build();
        return vigil;
    }

    @Test
    void appInfoCarriesVersionJavaVersionAndEnvironment() {
        start(Map.of("SERVICE_VERSION", "3.1.4", "DEPLOYMENT_ENVIRONMENT", "staging"));
        MetricSamples metrics =
                MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        assertThat(metrics.require(
                        "app_info",
                        Map.of(
                                "version", "3.1.4",
                                "java_version", Runtime.version().toString(),
                                "environment", "staging")))
                .isEqualTo(1.0);
    }

    @Test
    void jvmRuntimeMetricsUseSemanticConventionNames() {
        start(Map.of());
        MetricSamples metrics =
                MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        assertThat(metrics.named("jvm_memory_used_bytes")).isNotEmpty();
        assertThat(metrics.named("jvm_thread_count")).isNotEmpty();
        assertThat(metrics.named("jvm_class_loaded_total")).isNotEmpty();
        assertThat(metrics.named("jvm_cpu_time_seconds_total")).isNotEmpty();
    }

    /**
     * The export failure counter is an observable one, recorded from the start: each signal's series is scraped at 0
     * before any failure, so rate() and increase() see the first failed batch.
     */
    @Test
    void exportFailuresAreScrapedAtZeroBeforeAnyFailure() {
        start(Map.of());
        MetricSamples metrics =
                MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        assertThat(metrics.named("vigil_export_failures_total"))
                .extracting(s -> s.labels().get("signal"))
                .containsExactlyInAnyOrder("span", "metric", "log");
        assertThat(metrics.named("vigil_export_failures_total"))
                .allSatisfy(s -> assertThat(s.value()).isZero());
    }

    @Test
    void targetInfoCarriesTheResource() {
        start(Map.of("SERVICE_NAME", "orders"));
        MetricSamples metrics =
                MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        assertThat(metrics.find("target_info", Map.of("service_name", "orders")))
                .isPresent();
    }

    @Test
    void plainScrapeGetsPrometheusTextFormat() {
        start(Map.of());
        MetricsScrape scrape = vigil.metricsEndpoint().scrape("text/plain");
        assertThat(scrape.contentType()).startsWith("text/plain; version=0.0.4");
        assertThat(scrape.text()).doesNotContain("# EOF");
    }

    @Test
    void openMetricsScrapeGetsOpenMetricsWithExemplarsOnHistograms() {
        start(Map.of());
        DoubleHistogram histogram = vigil.openTelemetry()
                .getMeter("test")
                .histogramBuilder("test.operation.duration")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0))
                .build();
        Span span = vigil.openTelemetry().getTracer("test").spanBuilder("op").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            histogram.record(0.5);
        } finally {
            span.end();
        }

        MetricsScrape scrape = vigil.metricsEndpoint().scrape("application/openmetrics-text; version=1.0.0");

        assertThat(scrape.contentType()).startsWith("application/openmetrics-text");
        assertThat(scrape.text()).endsWith("# EOF\n");
        MetricSamples metrics = MetricSamples.parse(scrape.text());
        MetricSamples.Sample bucket = metrics.find("test_operation_duration_seconds_bucket", Map.of("le", "1.0"))
                .orElseThrow();
        assertThat(bucket.value()).isEqualTo(1.0);
        assertThat(bucket.exemplar())
                .contains("trace_id=\"" + span.getSpanContext().getTraceId() + "\"")
                .contains("span_id=\"" + span.getSpanContext().getSpanId() + "\"");
        assertThat(metrics.require("test_operation_duration_seconds_count", Map.of()))
                .isEqualTo(1.0);
        assertThat(metrics.require("test_operation_duration_seconds_sum", Map.of()))
                .isEqualTo(0.5);
    }

    @Test
    void metricsDisabledExposesNothing() {
        start(Map.of("METRICS_ENABLED", "false"));
        vigil.openTelemetry().getMeter("test").counterBuilder("c").build().add(1);
        assertThat(vigil.metricsEndpoint().scrape(null).text()).isEmpty();
    }

    @Test
    void everyMetricKeepsABoundedNumberOfSeriesWithAnOverflowSeries() {
        start(Map.of("OTEL_JAVA_METRICS_CARDINALITY_LIMIT", "50"));
        var counter = vigil.openTelemetry()
                .getMeter("test")
                .counterBuilder("unbounded_total")
                .build();
        for (int i = 0; i < 1_000; i++) {
            counter.add(
                    1,
                    io.opentelemetry.api.common.Attributes.of(
                            io.opentelemetry.api.common.AttributeKey.stringKey("id"), "id-" + i));
        }
        MetricSamples metrics =
                MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        assertThat(metrics.named("unbounded_total")).hasSize(50);
        double overflowed = metrics.require("unbounded_total", Map.of("otel_metric_overflow", "true"));
        assertThat(overflowed).isEqualTo(1_000 - 49);
    }
}
