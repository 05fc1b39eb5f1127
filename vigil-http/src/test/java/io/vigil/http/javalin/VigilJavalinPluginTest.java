package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.javalin.Javalin;
import io.javalin.http.NotFoundResponse;
import io.vigil.http.HttpServerContractTest;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.TestApp;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The HTTP contract served by Javalin 7 with {@link VigilJavalinPlugin}. */
class VigilJavalinPluginTest extends HttpServerContractTest {
    private Javalin app;

    @Override
    protected URI startServer(HttpServerTelemetry http) {
        app = Javalin.create(config -> {
                    config.registerPlugin(new VigilJavalinPlugin(http));
                    config.routes.get(TestApp.USERS_ROUTE, ctx -> ctx.result(TestApp.user(ctx.pathParam("id"))));
                    config.routes.post(
                            TestApp.ECHO_ROUTE, ctx -> ctx.status(201).result(ctx.body()));
                    config.routes.get("/boom", ctx -> {
                        throw TestApp.boom();
                    });
                    config.routes.get("/unavailable", ctx -> ctx.status(503).result("down"));
                    config.routes.get(TestApp.MISSING_ROUTE, ctx -> {
                        throw new NotFoundResponse("no such thing");
                    });
                    config.routes.get(
                            "/async/{n}",
                            ctx -> ctx.future(() -> CompletableFuture.supplyAsync(() -> "later " + ctx.pathParam("n"))
                                    .thenAccept(ctx::result)));
                })
                .start("127.0.0.1", 0);
        return URI.create("http://127.0.0.1:" + app.port());
    }

    @Override
    protected void stopServer() {
        app.stop();
    }

    @Test
    void asynchronousHandlersEndWhenTheResponseCompletes() throws Exception {
        assertThat(get("/async/1").body()).isEqualTo("later 1");
        awaitRequests("GET", "/async/{n}", "200", 1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry
                                .metrics()
                                .value("http_requests_in_progress", Map.of("method", "GET", "endpoint", "/async/{n}")))
                        .isZero());
        assertThat(serverSpan().getName()).isEqualTo("GET /async/{n}");
    }
}
