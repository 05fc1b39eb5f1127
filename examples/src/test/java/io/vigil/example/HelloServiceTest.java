package io.vigil.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vigil.core.Vigil;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelloServiceTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> get(HttpServer server, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + server.getAddress().getPort() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesHelloAndItsMetrics() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            HttpServer server = HelloService.serve(vigil, 0);
            try {
                assertThat(get(server, "/hello").body()).startsWith("hello, trace ");
                assertThat(get(server, "/metrics").body()).contains("app_info");
            } finally {
                server.stop(0);
            }
        }
    }

    @Test
    void aMetricsEndpointOnItsOwnPathIsNoReasonToDie() throws Exception {
        // METRICS_ENDPOINT=/hello ended main with IllegalArgumentException: cannot add context to list
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("METRICS_ENDPOINT", "/hello"))
                .build()) {
            HttpServer server = HelloService.serve(vigil, 0);
            try {
                assertThat(get(server, "/hello").body()).startsWith("hello, trace ");
                assertThat(get(server, "/metrics").body()).contains("app_info");
            } finally {
                server.stop(0);
            }
        }
    }
}
