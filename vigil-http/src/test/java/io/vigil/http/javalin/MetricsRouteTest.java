package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.MetricsAccess;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The metrics endpoint served on the application's port behind a bearer token. */
class MetricsRouteTest {
    private static final String TOKEN = "s3cret-scrape-token-0123456789";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final HttpClient client = HttpClient.newHttpClient();
    private Javalin app;

    private URI start(MetricsAccess access) {
        HttpServerTelemetry http = HttpServerTelemetry.create(telemetry.runtime());
        app = Javalin.create(config -> {
                    config.registerPlugin(new VigilJavalinPlugin(http)
                            .serveMetrics(telemetry.runtime().metricsEndpoint(), "/metrics", access));
                    config.routes.get("/hello", ctx -> ctx.result("hi"));
                })
                .start("127.0.0.1", 0);
        return URI.create("http://127.0.0.1:" + app.port());
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private HttpResponse<String> scrape(URI base, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/metrics"));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void scrapeWithoutTheTokenIsRefused() throws Exception {
        URI base = start(MetricsAccess.bearerToken(TOKEN));
        HttpResponse<String> none = scrape(base, null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"metrics\"");
        assertThat(none.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(scrape(base, "Bearer wrong-token-wrong-token").statusCode()).isEqualTo(401);
        assertThat(none.body()).doesNotContain("http_requests_total");
    }

    @Test
    void scrapeWithTheTokenGetsTheExposition() throws Exception {
        URI base = start(MetricsAccess.bearerToken(TOKEN));
        client.send(HttpRequest.newBuilder(base.resolve("/hello")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> ok = scrape(base, "Bearer " + TOKEN);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        MetricSamples samples = MetricSamples.parse(ok.body());
        // The scrape itself is not counted; the application's request is.
        assertThat(samples.named("http_requests_total"))
                .singleElement()
                .satisfies(s -> assertThat(s.labels()).containsEntry("endpoint", "/hello"));
    }

    @Test
    void openAccessNeedsNoToken() throws Exception {
        URI base = start(MetricsAccess.open());
        assertThat(scrape(base, null).statusCode()).isEqualTo(200);
    }
}
