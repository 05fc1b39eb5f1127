package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

    @Test
    void aClientThatNeverFinishesItsRequestDoesNotStopTheScrapes() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build();
                MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
                Socket stalled = new Socket("127.0.0.1", server.port())) {
            // Half a request: the server reads its headers, and would wait for the rest for ever.
            OutputStream out = stalled.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
            HttpResponse<String> scrape = client.send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("app_info{");
        }
    }

    @Test
    void refusalsAreProblemDocuments() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> notFound = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/other")).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> notAllowed = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(notFound.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(notFound.body()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}");
            assertThat(notAllowed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(notAllowed.headers().firstValue("Allow")).hasValue("GET, HEAD");
            assertThat(notAllowed.body())
                    .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405}");
        }
    }
}
