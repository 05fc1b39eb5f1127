package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.javalin.Javalin;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.UnauthorizedResponse;
import io.vigil.http.HttpServerContractTest;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.TestApp;
import io.vigil.test.RawHttp;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.server.ServerConnector;
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
                    config.routes.before("/api/v1/secure/*", ctx -> {
                        if (ctx.header("Authorization") == null) {
                            throw new UnauthorizedResponse();
                        }
                    });
                    config.routes.get("/api/v1/secure/{id}", ctx -> ctx.result("secret " + ctx.pathParam("id")));
                    config.routes.exception(
                            IllegalArgumentException.class,
                            (e, ctx) -> ctx.status(400).result("bad"));
                    config.routes.get("/api/v1/validate", ctx -> {
                        throw new IllegalArgumentException("bad input");
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

    @Override
    protected void idleTimeout(Duration timeout) {
        for (var connector : app.jettyServer().server().getConnectors()) {
            ((ServerConnector) connector).setIdleTimeout(timeout.toMillis());
        }
    }

    @Test
    void rejectionByABeforeHandlerIsCountedUnderTheMatchedRoute() throws Exception {
        assertThat(get("/api/v1/secure/1").statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/secure/2", "Authorization", "Bearer x").statusCode())
                .isEqualTo(200);
        awaitRequests("GET", "/api/v1/secure/{id}", "401", 1);
        awaitRequests("GET", "/api/v1/secure/{id}", "200", 1);
    }

    @Test
    void headRunsTheGetRouteAndAnswersItsStatusWithoutABody() throws Exception {
        for (String path : new String[] {TestApp.MISSING_ROUTE, "/api/v1/secure/1", "/api/v1/users/7", "/nowhere"}) {
            RawHttp.Response head =
                    RawHttp.send(base, "HEAD " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
            HttpResponse<String> get = get(path);
            assertThat(head.status()).as("HEAD %s", path).isEqualTo(get.statusCode());
            assertThat(head.body()).isEmpty();
        }
        awaitRequests("HEAD", TestApp.MISSING_ROUTE, "404", 1);
        awaitRequests("HEAD", "/api/v1/secure/{id}", "401", 1);
        awaitRequests("HEAD", TestApp.USERS_ROUTE, "200", 1);
    }

    @Test
    void exceptionMappedToAClientErrorIsNotAServerFault() throws Exception {
        assertThat(get("/api/v1/validate").statusCode()).isEqualTo(400);
        awaitRequests("GET", "/api/v1/validate", "400", 1);
        assertThat(telemetry.metrics().named("http_exceptions_total")).isEmpty();
        assertThat(serverSpan().getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.UNSET);
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
