package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.conventions.identity.Authentication;
import io.vigil.core.OperationScope;
import io.vigil.core.Vigil;
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
    void withoutGrpcTheEnvironmentPointsAtOtlpHttp() {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            assertThat(console.otlpEnvironment())
                    .containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", console.httpEndpoint())
                    .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        }
    }
}
