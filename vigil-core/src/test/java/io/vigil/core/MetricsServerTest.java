package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void servesTheConfiguredPathWithContentNegotiation() throws Exception {
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("METRICS_ENDPOINT", "/internal/metrics"))
                .build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/internal/metrics");

            HttpResponse<String> text =
                    client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(text.statusCode()).isEqualTo(200);
            assertThat(text.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
            assertThat(text.body()).contains("app_info{");

            HttpResponse<String> om = client.send(
                    HttpRequest.newBuilder(uri)
                            .header("Accept", "application/openmetrics-text; version=1.0.0")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(om.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("application/openmetrics-text"));
            assertThat(om.body()).endsWith("# EOF\n");
        }
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            String base = "http://127.0.0.1:" + server.port();
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create(base + "/other"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(404);
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                            .POST(HttpRequest.BodyPublishers.ofString("x"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(405);
        }
    }
}
