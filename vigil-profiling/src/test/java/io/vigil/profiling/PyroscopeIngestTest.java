package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.profiling.PyroscopeReceiver.Ingest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Profiles of a running process reach a server speaking Pyroscope's ingest API. The agent runs in
 * this test JVM: Pyroscope agent 2.1.2's {@code stop()} resets its state, so each test starts and
 * stops its own session (tests in this module run one after another).
 */
class PyroscopeIngestTest {

    @Test
    void profilesReachTheIngestApiNamedAndTaggedAfterTheService() {
        try (PyroscopeReceiver receiver = PyroscopeReceiver.start()) {
            VigilConfig config = config(receiver);
            ProfilingConfig profiling = ProfilingConfig.builder(config)
                    .label("team", "core")
                    .uploadInterval(Duration.ofSeconds(1))
                    .build();
            try (Vigil vigil = Vigil.builder()
                    .config(config)
                    .runtimeMetrics(false)
                    .customizeSdk(VigilProfiling.customizer(profiling))
                    .build()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    Workload.burn(100);
                    return !receiver.ingests().isEmpty();
                });
            }
            Ingest ingest = receiver.ingests().getFirst();
            assertThat(ingest.application()).isEqualTo("checkout");
            // (the agent adds its own: otel.scope.*, process.runtime.*)
            assertThat(ingest.labels())
                    .containsAllEntriesOf(Map.of(
                            "service", "checkout",
                            "version", "1.2.3",
                            "environment", "staging",
                            "team", "core"));
            assertThat(ingest.query()).containsEntry("format", "jfr").containsKeys("from", "until");
            assertThat(Long.parseLong(ingest.query().get("until")))
                    .isGreaterThanOrEqualTo(Long.parseLong(ingest.query().get("from")));
            byte[] jfr = ingest.part("jfr");
            assertThat(new String(Arrays.copyOf(jfr, 3), StandardCharsets.US_ASCII))
                    .as("a JFR recording")
                    .isEqualTo("FLR");
        }
    }

    @Test
    void profilesCarryTheRootSpanIdTheSpanIsTaggedWith() {
        try (PyroscopeReceiver receiver = PyroscopeReceiver.start()) {
            VigilConfig config = config(receiver);
            InMemorySpanExporter spans = InMemorySpanExporter.create();
            try (Vigil vigil = Vigil.builder()
                    .config(config)
                    .runtimeMetrics(false)
                    .customizeSdk(VigilProfiling.customizer(ProfilingConfig.builder(config)
                            .uploadInterval(Duration.ofSeconds(1))
                            .build()))
                    .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                            (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                    .build()) {
                Span root = vigil.openTelemetry()
                        .getTracer("test")
                        .spanBuilder("POST /api/v1/checkout")
                        .startSpan();
                String spanId = root.getSpanContext().getSpanId();
                try (Scope ignored = root.makeCurrent()) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> {
                        Workload.burn(100);
                        return receiver.ingests().stream().anyMatch(i -> i.labelsMention(spanId));
                    });
                } finally {
                    root.end();
                }
                assertThat(spans.getFinishedSpanItems())
                        .singleElement()
                        .satisfies(s -> assertThat(s.getAttributes().get(SpanProfileAttribute.KEY))
                                .isEqualTo(spanId));
                assertThat(receiver.ingests().stream().filter(i -> i.labelsMention(spanId)))
                        .allSatisfy(
                                i -> assertThat(i.labelsMention("profile_id")).isTrue());
            }
        }
    }

    private static VigilConfig config(PyroscopeReceiver receiver) {
        return VigilConfig.builder()
                .serviceName("checkout")
                .serviceVersion("1.2.3")
                .environment("staging")
                .profilingEnabled(true)
                .pyroscopeServerAddress(receiver.uri())
                .build();
    }
}
