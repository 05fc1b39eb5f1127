package io.vigil.http.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.http.HttpServerContractTest;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.TestApp;
import io.vigil.http.jetty.ProblemJsonErrorHandler;
import io.vigil.test.RawHttp;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/** The HTTP contract served by a plain servlet in an embedded Jetty 12 (ee10) with {@link VigilHttpFilter}. */
class VigilHttpFilterTest extends HttpServerContractTest {
    private Server server;
    private final ExecutorService asyncPool = Executors.newSingleThreadExecutor();

    @Override
    protected URI startServer(HttpServerTelemetry http) throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addFilter(
                new FilterHolder(new VigilHttpFilter(http)),
                "/*",
                EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
        context.addServlet(new ServletHolder(new RoutingServlet()), "/*");
        context.addServlet(new ServletHolder(new FilesServlet()), "/files/*");
        ServletHolder async = new ServletHolder(new AsyncServlet(asyncPool));
        async.setAsyncSupported(true);
        context.addServlet(async, "/async/*");
        ServletHolder dispatching = new ServletHolder(new DispatchingServlet(asyncPool));
        dispatching.setAsyncSupported(true);
        context.addServlet(dispatching, "/dispatch/*");
        server.setHandler(context);
        ProblemJsonErrorHandler.install(server, http);
        server.start();
        return URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @Override
    protected void idleTimeout(Duration timeout) {
        for (var connector : server.getConnectors()) {
            ((ServerConnector) connector).setIdleTimeout(timeout.toMillis());
        }
    }

    @Override
    protected void stopServer() throws Exception {
        server.stop();
        asyncPool.shutdownNow();
    }

    /** A framework in miniature: it routes by path and names the route template it matched. */
    static final class RoutingServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
            String path = req.getRequestURI();
            if (req.getMethod().equals("GET") && path.startsWith("/api/v1/users/")) {
                VigilHttpFilter.route(req, TestApp.USERS_ROUTE);
                write(res, 200, TestApp.user(path.substring("/api/v1/users/".length())));
            } else if (req.getMethod().equals("POST") && path.equals(TestApp.ECHO_ROUTE)) {
                req.setAttribute(VigilHttpFilter.ROUTE_ATTRIBUTE, TestApp.ECHO_ROUTE);
                write(res, 201, new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } else if (path.equals("/boom")) {
                req.setAttribute(VigilHttpFilter.ROUTE_ATTRIBUTE, "/boom");
                throw TestApp.boom();
            } else if (path.equals("/unavailable")) {
                req.setAttribute(VigilHttpFilter.ROUTE_ATTRIBUTE, "/unavailable");
                write(res, 503, "down");
            } else if (path.equals(TestApp.MISSING_ROUTE)) {
                req.setAttribute(VigilHttpFilter.ROUTE_ATTRIBUTE, TestApp.MISSING_ROUTE);
                write(res, 404, "no such thing");
            } else {
                write(res, 404, "not found");
            }
        }
    }

    /** A servlet that names no route: its mapping pattern is the route. */
    static final class FilesServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
            if (req.getPathInfo() != null && req.getPathInfo().endsWith(".txt")) {
                write(res, 200, "file");
            } else {
                res.sendError(404);
            }
        }
    }

    /** Completes the response on another thread. */
    static final class AsyncServlet extends HttpServlet {
        private final ExecutorService pool;

        AsyncServlet(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) {
            AsyncContext async = req.startAsync();
            pool.execute(() -> {
                try {
                    write(res, 200, "later");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                } finally {
                    async.complete();
                }
            });
        }
    }

    /**
     * What Spring MVC does with a {@code Callable}: starts async, computes on another thread, then dispatches back, and
     * the async dispatch writes the answer — or throws.
     */
    static final class DispatchingServlet extends HttpServlet {
        private final ExecutorService pool;

        DispatchingServlet(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
            if (req.getDispatcherType() == DispatcherType.ASYNC) {
                TestApp.LOG.info("async dispatch");
                if (req.getPathInfo().equals("/boom")) {
                    throw TestApp.boom();
                }
                write(res, 200, "dispatched");
                return;
            }
            AsyncContext async = req.startAsync();
            pool.execute(async::dispatch);
        }
    }

    private static void write(HttpServletResponse res, int status, String body) throws IOException {
        res.setStatus(status);
        res.setContentType("text/plain;charset=utf-8");
        res.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void unhandledExceptionIsAnsweredWithProblemDetails() throws Exception {
        var response = get("/boom");
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        String id = response.headers().firstValue("X-Request-ID").orElseThrow();
        assertThat(response.body())
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500,"
                        + "\"request_id\":\"" + id + "\"}");
    }

    @Test
    void sendErrorIsAnsweredWithProblemJsonCarryingTheRequestId() throws Exception {
        for (String method : new String[] {"GET", "DELETE"}) {
            RawHttp.Response response = RawHttp.send(
                    base,
                    method
                            + " /files/missing.bin HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
                    false);
            String id = assertProblem(response, method.equals("GET") ? 404 : 405);
            assertThat(id).isNotNull().isEqualTo(response.header("X-Request-ID"));
        }
    }

    @Test
    void servletMappingPatternIsTheRouteWhenNothingBetterIsKnown() throws Exception {
        assertThat(get("/files/a.txt").statusCode()).isEqualTo(200);
        assertThat(get("/files/b.txt").statusCode()).isEqualTo(200);
        awaitRequests("GET", "/files/*", "200", 2);
    }

    @Test
    void notFoundFromAMappingPatternAloneIsUnmatched() throws Exception {
        assertThat(get("/files/missing.bin").statusCode()).isEqualTo(404);
        awaitRequests("GET", "unmatched", "404", 1);
    }

    /**
     * The handler of an async dispatch (Spring MVC's Callable, DeferredResult) ran outside the request's context, and
     * what it threw went to the container: on Tomcat two ERROR lines without trace_id or request_id, next to the
     * access line, and the container's error page.
     */
    @Test
    void anAsyncDispatchRunsInTheRequestsContextAndItsExceptionIsAnsweredOnce() throws Exception {
        assertThat(get("/dispatch/ok").body()).isEqualTo("dispatched");
        var line = telemetry.logs().stream()
                .filter(e -> e.message().equals("async dispatch"))
                .findFirst()
                .orElseThrow();
        assertThat(line.mdc()).containsKey("request_id").containsEntry("endpoint", "/dispatch/*");
        assertThat(line.traceId()).isNotNull();

        var response = get("/dispatch/boom");
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(response.body())
                .contains(response.headers().firstValue("X-Request-ID").orElseThrow());
        awaitRequests("GET", "/dispatch/*", "500", 1);
        assertThat(telemetry
                        .metrics()
                        .value(
                                "http_exceptions_total",
                                Map.of("exception_type", "IllegalStateException", "endpoint", "/dispatch/*")))
                .isEqualTo(1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                telemetry.logs().stream().filter(e -> e.level().equals("ERROR")))
                        .singleElement()
                        .satisfies(e -> assertThat(e.logger()).isEqualTo(HttpServerTelemetry.ACCESS_LOGGER)));
    }

    @Test
    void asynchronousRequestsEndWhenTheAsyncContextCompletes() throws Exception {
        assertThat(get("/async/x").body()).isEqualTo("later");
        awaitRequests("GET", "/async/*", "200", 1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry
                                .metrics()
                                .value("http_requests_in_progress", Map.of("method", "GET", "endpoint", "/async/*")))
                        .isZero());
        assertThat(telemetry
                        .metrics()
                        .value("http_response_size_bytes_sum", Map.of("method", "GET", "endpoint", "/async/*")))
                .isEqualTo(5);
    }
}
