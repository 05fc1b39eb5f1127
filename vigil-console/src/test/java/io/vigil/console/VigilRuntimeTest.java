package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.conventions.identity.Authentication;
import io.vigil.core.OperationScope;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The way identity-service will use it: a Vigil runtime exporting over loopback OTLP to an in-process console. */
class VigilRuntimeTest {
    @Test
    void aVigilOperationShowsUpAsATraceAndMetricsInTheConsole() {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(0).start()) {
            String traceId;
            Vigil vigil = Vigil.builder()
                    .registerGlobal(false)
                    .environment(env(console.otlpEnvironment()))
                    .build();
            try (OperationScope op = vigil.operations().start(Authentication.login("authenticate_user"))) {
                op.email("jane@example.com").failure("invalid_credentials");
                traceId = op.span().getSpanContext().getTraceId();
            }
            vigil.close(); // flushes spans and metrics
            assertThat(console.flush(Duration.ofSeconds(10))).isTrue();

            ApiClient api = new ApiClient(console);
            JsonNode span = api.get("/api/traces/" + traceId).get("spans").get(0);
            assertThat(span.get("name").asText()).isEqualTo("auth.login.authenticate_user");
            assertThat(span.get("service").asText()).isEqualTo("identity-service");
            assertThat(span.get("attributes").get("user.email").asText()).isEqualTo("j***@example.com");
            assertThat(api.get("/api/metrics?service=identity-service&q=authentication")
                            .get("metrics")
                            .findValuesAsText("name"))
                    .anySatisfy(name -> assertThat(name).startsWith("authentication_attempts"));
        }
    }

    private static Map<String, String> env(Map<String, String> otlp) {
        Map<String, String> env = new java.util.HashMap<>(otlp);
        env.put("SERVICE_NAME", "identity-service");
        return env;
    }

    @Test
    void theConsoleSettingsAreLaidOverTheServiceEnvironmentNotInItsPlace() {
        // The README's embedded snippet once read the configuration from otlpEnvironment() alone: SERVICE_NAME and
        // the rest of the process's variables were ignored (service unknown_service:java, metrics every 60 s).
        Map<String, String> base = Map.of(
                "SERVICE_NAME", "orders",
                "DEPLOYMENT_ENVIRONMENT", "staging",
                "TRACE_SAMPLE_RATE", "0.25",
                "METRICS_COLLECTION_INTERVAL", "5",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://elsewhere:4318/v1/traces",
                "TEMPO_ENDPOINT", "http://tempo:4317");
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            Map<String, String> env = console.otlpEnvironment(base);
            assertThat(env)
                    .containsEntry("SERVICE_NAME", "orders")
                    .containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", console.httpEndpoint())
                    .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                    .doesNotContainKeys("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "TEMPO_ENDPOINT");
            VigilConfig config = VigilConfig.fromEnvironment(env);
            assertThat(config.serviceName()).isEqualTo("orders");
            assertThat(config.environment()).isEqualTo("staging");
            assertThat(config.traceSampleRate()).isEqualTo(0.25);
            assertThat(config.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(5));
            assertThat(config.warnings()).isEmpty();

            // And what reaches the console carries the service's name and environment. A root span is sampled at
            // 0.25 by trace id: a metric is sent whatever the sampler decides.
            Vigil vigil = Vigil.builder()
                    .config(config)
                    .exportInProcess(console.spanExporter(), console::metricExporter, console.logRecordExporter())
                    .build();
            vigil.openTelemetry()
                    .getMeter("test")
                    .counterBuilder("orders_placed")
                    .build()
                    .add(1);
            vigil.close();
            assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
            JsonNode metrics =
                    new ApiClient(console).get("/api/metrics?q=orders_placed").get("metrics");
            assertThat(metrics).hasSize(1);
            assertThat(metrics.get(0).get("services").toString()).isEqualTo("[\"orders\"]");
        }
    }

    @Test
    void withoutGrpcTheEnvironmentPointsAtOtlpHttp() {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            assertThat(console.otlpEnvironment())
                    .containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", console.httpEndpoint())
                    .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        }
    }
}
