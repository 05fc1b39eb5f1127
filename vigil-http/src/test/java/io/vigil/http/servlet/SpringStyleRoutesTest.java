package io.vigil.http.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.TestApp;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link VigilHttpFilter} in front of a servlet that behaves as Spring MVC's DispatcherServlet does, without Spring:
 * it stores the best matching pattern in the request attribute Spring uses before its handler runs, answers a path
 * no controller matched from the catch-all {@code /**} resource handler, and wraps what a handler throws in a
 * {@code ServletException} ("Request processing failed"). Found in a Spring Boot 3.5 application.
 */
class SpringStyleRoutesTest {
    private static final String SPRING_PATTERN = "org.springframework.web.servlet.HandlerMapping.bestMatchingPattern";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create().capturingApplicationLogs();

    private final HttpClient client = HttpClient.newHttpClient();
    private Server server;
    private URI base;

    @BeforeEach
    void start() throws Exception {
        HttpServerTelemetry http = HttpServerTelemetry.create(telemetry.runtime());
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/app");
        context.addFilter(
                new FilterHolder(new VigilHttpFilter(http, VigilHttpFilter.UnhandledExceptions.ANSWER_PROBLEM, true)),
                "/*",
                EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new DispatcherLike()), "/");
        context.addServlet(new ServletHolder(new DispatcherLike()), "/mvc/*");
        server.setHandler(context);
        server.start();
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    /** Routes /users/{id} and /boom (relative to itself, as Spring's patterns are); everything else is /**. */
    static final class DispatcherLike extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse res) throws ServletException, IOException {
            String path = req.getPathInfo() != null ? req.getPathInfo() : req.getServletPath();
            if (path.startsWith("/users/")) {
                req.setAttribute(SPRING_PATTERN, "/users/{id}");
                TestApp.LOG.info("user loaded");
                res.setStatus(200);
                res.getOutputStream().write("user".getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/boom")) {
                req.setAttribute(SPRING_PATTERN, "/boom");
                throw new ServletException("Request processing failed: boom", TestApp.boom());
            } else {
                req.setAttribute(SPRING_PATTERN, "/**"); // the static-resource handler: no such resource
                res.sendError(404);
            }
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitRequests(String endpoint, String status, double expected) {
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry
                                .metrics()
                                .value(
                                        "http_requests_total",
                                        Map.of("method", "GET", "endpoint", endpoint, "status_code", status)))
                        .isEqualTo(expected));
    }

    @Test
    void theRouteIsKnownWhileTheHandlerRunsWithTheContextAndServletPathInFront() throws Exception {
        assertThat(get("/app/users/1").statusCode()).isEqualTo(200);
        assertThat(get("/app/users/2").statusCode()).isEqualTo(200);
        assertThat(get("/app/mvc/users/3").statusCode()).isEqualTo(200);
        awaitRequests("/app/users/{id}", "200", 2);
        awaitRequests("/app/mvc/users/{id}", "200", 1);

        // The handler's own line has the endpoint (it had request_id and path only), like the access line.
        LogEvent handler = telemetry.logs().stream()
                .filter(e -> e.message().equals("user loaded"))
                .findFirst()
                .orElseThrow();
        assertThat(handler.mdc()).containsEntry("endpoint", "/app/users/{id}").containsKey("request_id");
    }

    @Test
    void aPathOnlyTheCatchAllResourcePatternMatchedIsUnmatched() throws Exception {
        assertThat(get("/app/no/such/thing").statusCode()).isEqualTo(404);
        assertThat(get("/app/nor/this").statusCode()).isEqualTo(404);
        awaitRequests("unmatched", "404", 2);
        // (http_requests_in_progress keeps the provisional series, at 0, as for a servlet mapping pattern.)
        assertThat(telemetry.metrics().text().lines().filter(l -> l.startsWith("http_requests_total")))
                .noneSatisfy(l -> assertThat(l).contains("/**"));
        // Their spans too: named by the method alone and without http.route, as the semantic conventions name a
        // request no route answered (they were "GET /app/**", the provisional catch-all, while the metrics said
        // unmatched).
        assertThat(telemetry.spans())
                .filteredOn(s -> s.getKind() == SpanKind.SERVER)
                .hasSize(2)
                .allSatisfy(s -> {
                    assertThat(s.getName()).isEqualTo("GET");
                    assertThat(s.getAttributes().get(AttributeKey.stringKey("http.route")))
                            .isNull();
                });
    }

    @Test
    void anExceptionWrappedInServletExceptionIsRecordedAsTheApplicationsOwn() throws Exception {
        assertThat(get("/app/boom").statusCode()).isEqualTo(500);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry
                                .metrics()
                                .value(
                                        "http_exceptions_total",
                                        Map.of("exception_type", "IllegalStateException", "endpoint", "/app/boom")))
                        .isEqualTo(1));
        assertThat(telemetry.metrics().text()).doesNotContain("ServletException");
        SpanData span = telemetry.spans().stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst()
                .orElseThrow();
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(span.getEvents())
                .anySatisfy(e ->
                        assertThat(e.getAttributes().asMap().toString()).contains("java.lang.IllegalStateException"));
        assertThat(telemetry.logs("http_request"))
                .singleElement()
                .satisfies(e -> assertThat(e.exceptionType()).isEqualTo("java.lang.IllegalStateException"));
    }
}
