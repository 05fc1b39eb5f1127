package io.vigil.http.servlet;

import static io.vigil.http.HttpServerContractTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.jetty.ProblemJsonErrorHandler;
import io.vigil.test.LogEvent;
import io.vigil.test.RawHttp;
import io.vigil.test.VigilExtension;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The response size {@link VigilHttpFilter} records for an error page the container writes after the filter chain
 * returned ({@code sendError}, Jetty's default servlet for an unknown path, an exception rethrown to the container):
 * the bytes the client got, in the access line, {@code http_response_size_bytes} and on the span. It was 0, as the
 * telemetry ended before {@link ProblemJsonErrorHandler} wrote the page. Over raw sockets, so the body's bytes are
 * counted as they came.
 */
class ErrorPageSizeTest {
    private static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("http.response.body.size");
    private static final AttributeKey<Long> STATUS_CODE = AttributeKey.longKey("http.response.status_code");

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

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
        // No servlet on "/": a path nothing maps goes to Jetty's default servlet, which answers sendError(404).
        ServletContextHandler root = new ServletContextHandler();
        root.addFilter(new FilterHolder(new VigilHttpFilter(http)), "/*", EnumSet.of(DispatcherType.REQUEST));
        root.addServlet(new ServletHolder(new Answers()), "/answers/*");
        ServletContextHandler rethrowing = new ServletContextHandler("/rethrow");
        rethrowing.addFilter(
                new FilterHolder(new VigilHttpFilter(http, VigilHttpFilter.UnhandledExceptions.RETHROW)),
                "/*",
                EnumSet.of(DispatcherType.REQUEST));
        rethrowing.addServlet(new ServletHolder(new Answers()), "/answers/*");
        server.setHandler(new ContextHandlerCollection(rethrowing, root));
        ProblemJsonErrorHandler.install(server);
        server.start();
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    /** A 200 with a body, a sendError(403), and an exception. */
    static final class Answers extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
            switch (req.getPathInfo()) {
                case "/ok" -> {
                    res.setContentType("text/plain;charset=utf-8");
                    res.getOutputStream().write("all is well".getBytes(StandardCharsets.UTF_8));
                }
                case "/forbidden" -> res.sendError(403);
                case "/boom" -> throw new IllegalStateException("boom");
                default -> res.sendError(404);
            }
        }
    }

    @Test
    void anUnknownPathsNotFoundPageIsCountedAsSent() throws Exception {
        RawHttp.Response response = get("/nope");
        assertProblem(response, 404);
        assertSize(response, "unmatched", bodyBytes(response));
    }

    /** HEAD: the page's headers, no body; nothing counted, as for a HEAD the servlet answers. */
    @Test
    void aHeadRequestsErrorPageSendsNoBodyAndCountsNone() throws Exception {
        RawHttp.Response response =
                RawHttp.send(base, "HEAD /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.body()).isEmpty();
        assertSize(response, "HEAD", "unmatched", 0);
    }

    @Test
    void aServletsSendErrorPageIsCountedAsSent() throws Exception {
        RawHttp.Response response = get("/answers/forbidden");
        assertProblem(response, 403);
        assertSize(response, "/answers/*", bodyBytes(response));
    }

    @Test
    void aBodyTheServletWroteIsCountedAsBefore() throws Exception {
        RawHttp.Response response = get("/answers/ok");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("all is well");
        assertSize(response, "/answers/*", 11);
    }

    @Test
    void theProblemTheFilterAnswersForAnExceptionIsCountedAsBefore() throws Exception {
        RawHttp.Response response = get("/answers/boom");
        assertProblem(response, 500);
        assertSize(response, "/answers/*", bodyBytes(response));
    }

    @Test
    void theContainersPageForAnExceptionRethrownToItIsCountedAsSent() throws Exception {
        RawHttp.Response response = get("/rethrow/answers/boom");
        assertProblem(response, 500);
        assertSize(response, "/rethrow/answers/*", bodyBytes(response));
        assertThat(telemetry
                        .metrics()
                        .value(
                                "http_exceptions_total",
                                Map.of("exception_type", "IllegalStateException", "endpoint", "/rethrow/answers/*")))
                .isEqualTo(1);
    }

    private RawHttp.Response get(String path) throws IOException {
        return RawHttp.send(base, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
    }

    private static long bodyBytes(RawHttp.Response response) {
        String length = response.header("Content-Length");
        long bytes = response.body().getBytes(StandardCharsets.UTF_8).length;
        if (length != null) {
            assertThat(Long.parseLong(length)).isEqualTo(bytes);
        }
        assertThat(bytes).isPositive();
        return bytes;
    }

    /**
     * The request's access line (in the request's MDC and trace), size histogram and server span all say {@code
     * bytes}, once. The span carries no {@code http.response.body.size}: OpenTelemetry's extractors record it only as
     * an experimental attribute, which Vigil does not turn on.
     */
    private void assertSize(RawHttp.Response response, String endpoint, long bytes) {
        assertSize(response, "GET", endpoint, bytes);
    }

    private void assertSize(RawHttp.Response response, String method, String endpoint, long bytes) {
        String status = String.valueOf(response.status());
        Map<String, String> series = Map.of("method", method, "endpoint", endpoint);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry
                                .metrics()
                                .value(
                                        "http_requests_total",
                                        Map.of("method", method, "endpoint", endpoint, "status_code", status)))
                        .isEqualTo(1));
        assertThat(telemetry.metrics().value("http_response_size_bytes_count", series))
                .isEqualTo(1);
        assertThat(telemetry.metrics().value("http_response_size_bytes_sum", series))
                .isEqualTo(bytes);
        assertThat(telemetry.metrics().value("http_requests_in_progress", series))
                .isZero();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.spans().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
        List<SpanData> servers = telemetry.spans().stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .toList();
        assertThat(servers).hasSize(1);
        SpanData span = servers.getFirst();
        assertThat(span.getAttributes().get(STATUS_CODE)).isEqualTo((long) response.status());
        assertThat(span.getAttributes().get(BODY_SIZE)).isNull();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !telemetry.logs("http_request").isEmpty());
        List<LogEvent> lines = telemetry.logs("http_request");
        assertThat(lines).singleElement().satisfies(line -> {
            assertThat(line.field("status_code")).isEqualTo(response.status());
            assertThat(line.field("response_size_bytes")).isEqualTo(bytes);
            assertThat(line.mdc())
                    .containsEntry("endpoint", endpoint)
                    .containsEntry("request_id", response.header("X-Request-ID"));
            assertThat(line.traceId()).isEqualTo(span.getTraceId());
        });
    }
}
