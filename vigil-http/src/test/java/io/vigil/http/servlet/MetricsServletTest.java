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
        } finally {
            server.stop();
        }
    }
}
