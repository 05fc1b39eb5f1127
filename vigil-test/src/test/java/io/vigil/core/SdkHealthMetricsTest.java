package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.logs.Severity;
import io.vigil.test.MetricSamples;
import io.vigil.test.MetricSamples.Sample;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The SDK's own health metrics Vigil turns on: the span and log processors' queues and outcomes always; the tracer's
 * per-span and the logger provider's per-record counters only when the environment asks for the SDK's "latest"
 * telemetry itself (they cost a metric update with an exemplar offer per span start and end and per log record, on the
 * caller's thread, for counts Vigil's own metrics give).
 */
class SdkHealthMetricsTest {

    @Test
    void processorHealthIsThereAndPerItemCountersAreNot() throws Exception {
        MetricSamples metrics = afterOneSpanAndOneRecord(Map.of());
        assertThat(metrics.require("otel_sdk_processor_span_queue_capacity_span", Map.of()))
                .isEqualTo(2048);
        assertThat(metrics.require("otel_sdk_processor_log_queue_capacity", Map.of()))
                .isEqualTo(2048);
        assertThat(names(metrics)).noneMatch(n -> n.startsWith("otel_sdk_span_") || n.startsWith("otel_sdk_log_"));
    }

    @Test
    void theStandardVariableBringsThePerItemCountersBack() throws Exception {
        MetricSamples metrics = afterOneSpanAndOneRecord(Map.of("OTEL_EXPERIMENTAL_SDK_TELEMETRY_VERSION", "latest"));
        assertThat(metrics.require("otel_sdk_processor_span_queue_capacity_span", Map.of()))
                .isEqualTo(2048);
        assertThat(names(metrics)).anyMatch(n -> n.startsWith("otel_sdk_span_started"));
        assertThat(names(metrics)).anyMatch(n -> n.startsWith("otel_sdk_span_live"));
        // otel.sdk.log.created, as the Prometheus exporter names it: otel_sdk_log_total
        assertThat(names(metrics)).anyMatch(n -> n.startsWith("otel_sdk_log_"));
    }

    private static java.util.List<String> names(MetricSamples metrics) {
        return metrics.all().stream().map(Sample::name).toList();
    }

    private static MetricSamples afterOneSpanAndOneRecord(Map<String, String> extra) throws IOException {
        Map<String, String> env = new HashMap<>(extra);
        // An endpoint nobody listens on: the processors exist, their exports fail quietly (counted).
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + closedPort());
        env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        env.put("OTEL_EXPORTER_OTLP_TIMEOUT", "200");
        Vigil vigil = Vigil.builder().environment(env).runtimeMetrics(false).build();
        try {
            vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("one")
                    .startSpan()
                    .end();
            vigil.openTelemetry()
                    .getLogsBridge()
                    .get("test")
                    .logRecordBuilder()
                    .setSeverity(Severity.INFO)
                    .setBody("one")
                    .emit();
            return MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        } finally {
            vigil.shutdown(Duration.ofMillis(1000));
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
