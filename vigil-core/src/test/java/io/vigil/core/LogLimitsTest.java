package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The log record limits of the standard {@code OTEL_ATTRIBUTE_*} variables apply to every log record, as autoconfigure
 * applies them (Vigil reads them once instead of once per record), and the SDK's defaults apply without them.
 */
class LogLimitsTest {
    private static final AttributeKey<String> LONG = AttributeKey.stringKey("long");

    @Test
    void configuredLimitsApplyToEveryRecord() throws Exception {
        for (int i = 0; i < 3; i++) {
            LogRecordData record =
                    emitOne(Map.of("OTEL_ATTRIBUTE_COUNT_LIMIT", "2", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4"));
            assertThat(record.getAttributes().size()).isEqualTo(2);
            assertThat(record.getTotalAttributeCount()).isEqualTo(3);
            assertThat(record.getAttributes().get(LONG)).isIn("abcd", null);
        }
    }

    @Test
    void withoutThemTheSdkDefaultsApply() throws Exception {
        LogRecordData record = emitOne(Map.of());
        assertThat(record.getAttributes().size()).isEqualTo(3);
        assertThat(record.getAttributes().get(LONG)).isEqualTo("abcdefghij");
    }

    private static LogRecordData emitOne(Map<String, String> limits) throws Exception {
        InMemoryLogRecordExporter logs = InMemoryLogRecordExporter.create();
        try (OtlpReceiver receiver = OtlpReceiver.http()) {
            Map<String, String> env = new HashMap<>(limits);
            env.put("SERVICE_NAME", "limits-test");
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint().toString());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            env.put("OTEL_BLRP_SCHEDULE_DELAY", "20");
            try (Vigil vigil = Vigil.builder()
                    .environment(env)
                    .runtimeMetrics(false)
                    .exportInProcess(InMemorySpanExporter.create(), (t, a) -> InMemoryMetricExporter.create(), logs)
                    .build()) {
                vigil.openTelemetry()
                        .getLogsBridge()
                        .get("test")
                        .logRecordBuilder()
                        .setSeverity(Severity.INFO)
                        .setBody("limited")
                        .setAttribute(AttributeKey.stringKey("a"), "1")
                        .setAttribute(LONG, "abcdefghij")
                        .setAttribute(AttributeKey.stringKey("z"), "2")
                        .emit();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !logs.getFinishedLogRecordItems().isEmpty());
                return logs.getFinishedLogRecordItems().getFirst();
            }
        }
    }
}
