package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spans, metrics and logs reach a real OTLP receiver over loopback, over gRPC and HTTP. */
class VigilExportTest {

    @ParameterizedTest
    @ValueSource(strings = {"grpc", "http/protobuf"})
    void allSignalsReachTheReceiver(String protocol) throws Exception {
        try (OtlpReceiver receiver = protocol.equals("grpc") ? OtlpReceiver.grpc() : OtlpReceiver.http();
                Vigil vigil = Vigil.builder()
                        .environment(Map.of(
                                "SERVICE_NAME", "export-test",
                                "SERVICE_VERSION", "1.2.3",
                                "DEPLOYMENT_ENVIRONMENT", "ci",
                                "OTEL_EXPORTER_OTLP_ENDPOINT",
                                        receiver.endpoint().toString(),
                                "OTEL_EXPORTER_OTLP_PROTOCOL", protocol,
                                "OTEL_BSP_SCHEDULE_DELAY", "50",
                                "OTEL_BLRP_SCHEDULE_DELAY", "50",
                                "OTEL_METRIC_EXPORT_INTERVAL", "100"))
                        .runtimeMetrics(false)
                        .build()) {
            Tracer tracer = vigil.openTelemetry().getTracer("test");
            Span span = tracer.spanBuilder("parent").startSpan();
            span.setAttribute("answer", 42);
            span.end();
            vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("exported_things_total")
                    .build()
                    .add(3);
            vigil.openTelemetry()
                    .getLogsBridge()
                    .get("test")
                    .logRecordBuilder()
                    .setSeverity(Severity.INFO)
                    .setBody("hello")
                    .setAttribute(AttributeKey.stringKey("k"), "v")
                    .emit();

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !receiver.spans().isEmpty()
                            && receiver.metrics().stream()
                                    .anyMatch(m -> m.getName().equals("exported_things_total"))
                            && !receiver.logs().isEmpty());

            OtlpReceiver.ReceivedSpan received = receiver.spans().getFirst();
            assertThat(received.span().getName()).isEqualTo("parent");
            assertThat(received.attribute("answer")).isEqualTo("42");
            assertThat(received.resource())
                    .containsEntry("service.name", "export-test")
                    .containsEntry("service.version", "1.2.3")
                    .containsEntry("deployment.environment.name", "ci")
                    .containsKey("host.name")
                    .containsKey("process.runtime.name");
            assertThat(receiver.logs().getFirst().getBody().getStringValue()).isEqualTo("hello");
        }
    }

    /**
     * Two replicas of a service must not merge into one series in an OTLP backend: each process has its own
     * service.instance.id on every signal's resource, unless the user sets one, which wins.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "service.instance.id=pod-7,team=checkout"})
    void everySignalsResourceCarriesAServiceInstanceIdTheUsersWins(String resourceAttributes) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "SERVICE_NAME", "replicated",
                "OTEL_BSP_SCHEDULE_DELAY", "50",
                "OTEL_BLRP_SCHEDULE_DELAY", "50",
                "OTEL_METRIC_EXPORT_INTERVAL", "100"));
        if (!resourceAttributes.isEmpty()) {
            env.put("OTEL_RESOURCE_ATTRIBUTES", resourceAttributes);
        }
        try (OtlpReceiver receiver = OtlpReceiver.http()) {
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint().toString());
            try (Vigil vigil =
                    Vigil.builder().environment(env).runtimeMetrics(false).build()) {
                vigil.openTelemetry()
                        .getTracer("test")
                        .spanBuilder("op")
                        .startSpan()
                        .end();
                vigil.openTelemetry()
                        .getMeter("test")
                        .counterBuilder("replicated_things_total")
                        .build()
                        .add(1);
                vigil.openTelemetry()
                        .getLogsBridge()
                        .get("test")
                        .logRecordBuilder()
                        .setBody("hello")
                        .emit();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !receiver.spans().isEmpty()
                                && !receiver.metricResources().isEmpty()
                                && !receiver.logResources().isEmpty());

                String instance = receiver.spans().getFirst().resource().get("service.instance.id");
                if (resourceAttributes.isEmpty()) {
                    assertThat(java.util.UUID.fromString(instance).version()).isEqualTo(4);
                } else {
                    assertThat(instance).isEqualTo("pod-7");
                }
                assertThat(receiver.metricResources().getFirst()).containsEntry("service.instance.id", instance);
                assertThat(receiver.logResources().getFirst()).containsEntry("service.instance.id", instance);

                // Prometheus: on target_info (the resource), not a label on every series.
                String scrape = vigil.metricsEndpoint().scrape(null).text();
                assertThat(scrape)
                        .containsPattern("target_info\\{[^}]*service_instance_id=\"" + instance + "\"")
                        .contains("\nreplicated_things_total 1")
                        .doesNotContain("replicated_things_total{");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"grpc", "http/protobuf"})
    void closeFlushesBufferedSpansWithoutWaitingForTheSchedule(String protocol) throws Exception {
        try (OtlpReceiver receiver = protocol.equals("grpc") ? OtlpReceiver.grpc() : OtlpReceiver.http()) {
            Vigil vigil = Vigil.builder()
                    .environment(Map.of(
                            "OTEL_EXPORTER_OTLP_ENDPOINT",
                            receiver.endpoint().toString(),
                            "OTEL_EXPORTER_OTLP_PROTOCOL",
                            protocol,
                            // Far longer than the test: only the flush on close can deliver.
                            "OTEL_BSP_SCHEDULE_DELAY",
                            "600000"))
                    .runtimeMetrics(false)
                    .build();
            Tracer tracer = vigil.openTelemetry().getTracer("test");
            for (int i = 0; i < 100; i++) {
                tracer.spanBuilder("buffered-" + i).startSpan().end();
            }
            assertThat(receiver.spans()).isEmpty();

            assertThat(vigil.shutdown(Duration.ofSeconds(5))).isTrue();

            assertThat(receiver.spans()).hasSize(100);
        }
    }

    @org.junit.jupiter.api.Test
    void aSignalsOwnEndpointAloneExportsThatSignalAndNoOther() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.http();
                Vigil vigil = Vigil.builder()
                        .environment(Map.of(
                                // As OpenTelemetry defines it: the URL as given, path included; no general endpoint.
                                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint() + "/v1/traces",
                                "OTEL_BSP_SCHEDULE_DELAY", "50",
                                "OTEL_BLRP_SCHEDULE_DELAY", "50",
                                "OTEL_METRIC_EXPORT_INTERVAL", "100"))
                        .runtimeMetrics(false)
                        .build()) {
            assertThat(vigil.config().warnings()).isEmpty();
            assertThat(vigil.config().otlpExportEnabled(OtlpSignal.TRACES)).isTrue();
            assertThat(vigil.config().otlpExportEnabled(OtlpSignal.METRICS)).isFalse();
            assertThat(vigil.config().otlpExportEnabled(OtlpSignal.LOGS)).isFalse();
            vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("to-tempo")
                    .startSpan()
                    .end();
            vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("scraped_only_total")
                    .build()
                    .add(1);
            vigil.openTelemetry()
                    .getLogsBridge()
                    .get("test")
                    .logRecordBuilder()
                    .setBody("stdout only")
                    .emit();

            await().atMost(Duration.ofSeconds(10)).until(() -> !receiver.spans().isEmpty());
            assertThat(receiver.spans().getFirst().span().getName()).isEqualTo("to-tempo");
            // Flushing everything leaves nothing else on the way: metrics and logs were never sent.
            assertThat(vigil.shutdown(Duration.ofSeconds(5))).isTrue();
            assertThat(receiver.metrics()).isEmpty();
            assertThat(receiver.logs()).isEmpty();
        }
    }
}
