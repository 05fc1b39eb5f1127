package io.vigil.http.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.http.MetricsAccess;
import io.vigil.test.VigilExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MetricsServletTest {
    private static final String TOKEN = "another-scrape-token-42424242";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void servesOpenMetricsOnlyWithTheToken() throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(
                new ServletHolder(
                        new MetricsServlet(telemetry.runtime().metricsEndpoint(), MetricsAccess.bearerToken(TOKEN))),
                "/metrics");
        server.setHandler(context);
        server.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/metrics");
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> refused =
                    client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).contains("\"status\":401");

            HttpResponse<String> ok = client.send(
                    HttpRequest.newBuilder(uri)
                            .header("Authorization", "Bearer " + TOKEN)
                            .header("Accept", "application/openmetrics-text; version=1.0.0")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/openmetrics-text"));
            assertThat(ok.body()).contains("app_info").endsWith("# EOF\n");

            // HEAD: a GET's headers (content type with its version, the length), no body.
            for (String accept : new String[] {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
                HttpResponse<String> get = client.send(
                        HttpRequest.newBuilder(uri)
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Accept", accept)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                HttpResponse<String> head = client.send(
                        HttpRequest.newBuilder(uri)
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Accept", accept)
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(head.statusCode()).isEqualTo(200);
                assertThat(head.headers().firstValue("Content-Type"))
                        .as(accept)
                        .isEqualTo(get.headers().firstValue("Content-Type"))
                        .hasValueSatisfying(t -> assertThat(t).contains("version="));
                assertThat(head.headers().firstValueAsLong("Content-Length").orElse(-1))
                        .as(accept)
                        .isGreaterThan(100);
                assertThat(head.body()).isEmpty();
            }
        } finally {
            server.stop();
        }
    }
}
