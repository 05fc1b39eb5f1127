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
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP contract served by Javalin 7 with {@link VigilJavalinPlugin}. */
class VigilJavalinPluginTest extends HttpServerContractTest {
    private Javalin app;
    private final AtomicInteger echoed = new AtomicInteger();

    @Override
    protected URI startServer(HttpServerTelemetry http) {
        app = Javalin.create(config -> {
                    config.registerPlugin(new VigilJavalinPlugin(http).refuseCodedBodies());
                    config.routes.get(TestApp.USERS_ROUTE, ctx -> ctx.result(TestApp.user(ctx.pathParam("id"))));
                    config.routes.post(TestApp.ECHO_ROUTE, ctx -> {
                        echoed.incrementAndGet();
                        ctx.status(201).result(ctx.body());
                    });
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

    @Test
    void aBodyInAContentCodingIs415WithAcceptEncodingBeforeTheHandlerRuns() throws Exception {
        byte[] json = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        for (String coding : new String[] {"gzip", "GZIP", "br", "deflate", "identity, gzip", "x-custom"}) {
            HttpResponse<String> r = post(TestApp.ECHO_ROUTE, gzip(json), "Content-Encoding", coding);
            assertThat(r.statusCode()).as("%s: %s", coding, r.body()).isEqualTo(415);
            assertThat(r.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(r.headers().firstValue("Accept-Encoding")).hasValue("identity");
            assertThat(r.body()).contains("\"status\":415", "\"title\":\"Unsupported Media Type\"", "Content-Encoding");
        }
        assertThat(echoed).as("the handler never ran").hasValue(0);
        awaitRequests("POST", TestApp.ECHO_ROUTE, "415", 6);

        // identity is no coding; a request without a body has nothing coded; a wrong path is still 404.
        HttpResponse<String> identity = post(TestApp.ECHO_ROUTE, json, "Content-Encoding", "identity");
        assertThat(identity.statusCode()).isEqualTo(201);
        assertThat(identity.body()).isEqualTo("{\"a\":1}");
        assertThat(get("/api/v1/users/7", "Content-Encoding", "gzip").statusCode())
                .isEqualTo(200);
        assertThat(post("/nowhere", gzip(json), "Content-Encoding", "gzip").statusCode())
                .isEqualTo(404);
        assertThat(telemetry.metrics().named("http_exceptions_total")).isEmpty();
    }

    /**
     * RFC 9112 §6.1: an HTTP/1.0 request with Transfer-Encoding has faulty framing; the server must answer 400 and
     * close. Jetty decoded its body as chunked, ran the route (201) and kept the connection open for the bytes after
     * it, which an HTTP/1.0 proxy in front may have framed differently.
     */
    @Test
    void anHttp10RequestWithTransferEncodingIs400AndItsConnectionClosedBeforeTheRouteRuns() throws Exception {
        String answer = RawHttp.sendUntilClosed(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: keep-alive\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                        + "GET /api/v1/users/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertThat(answer)
                .startsWith("HTTP/1.1 400 ")
                .containsOnlyOnce("HTTP/1.1 ")
                .contains("\r\nConnection: close\r\n", "\r\nContent-Type: application/problem+json\r\n")
                .containsPattern("\"status\":400,\"detail\":\"An HTTP/1.0 request must not have Transfer-Encoding"
                        + " \\(RFC 9112, section 6.1\\): its framing is faulty\",\"request_id\":\"[0-9a-f-]{36}\"}$");
        assertThat(echoed).as("the route never ran").hasValue(0);
        // Refused by Jetty's parser before any handler, and still counted under the request's method.
        awaitRequests("POST", "unmatched", "400", 1);

        // An HTTP/1.0 body with a Content-Length, and a chunked HTTP/1.1 one, are served as before.
        RawHttp.Response http10 = RawHttp.send(
                base, "POST " + TestApp.ECHO_ROUTE + " HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", false);
        assertThat(http10.status()).isEqualTo(201);
        assertThat(http10.body()).isEqualTo("abc");
        RawHttp.Response chunked = RawHttp.send(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                false);
        assertThat(chunked.status()).isEqualTo(201);
        assertThat(chunked.body()).isEqualTo("abc");
    }

    static Stream<Arguments> malformedQueries() {
        String escape = " is not valid percent-encoding (a % must start %XX)";
        String utf8 = " is not UTF-8 once percent-decoded";
        return Stream.of(
                Arguments.of("page=%zz", "Query parameter 'page'" + escape),
                Arguments.of("page=1%", "Query parameter 'page'" + escape),
                Arguments.of("page=1&page_size=%G1", "Query parameter 'page_size'" + escape),
                Arguments.of("q=%u0041", "Query parameter 'q'" + escape),
                Arguments.of("q=%%30", "Query parameter 'q'" + escape),
                Arguments.of("q=%FF", "Query parameter 'q'" + utf8),
                Arguments.of("q=%C3", "Query parameter 'q'" + utf8),
                Arguments.of("q=%ED%A0%80", "Query parameter 'q'" + utf8), // an encoded surrogate
                Arguments.of("q=caf\u00e9", "Query parameter 'q'" + utf8), // the byte 0xE9 sent as is
                Arguments.of("%zz=1", "A query parameter name" + escape),
                Arguments.of("n%FF=1", "A query parameter name" + utf8),
                Arguments.of("my%20name=%zz", "Query parameter 'my name'" + escape),
                Arguments.of("x".repeat(41) + "=%zz", "A query parameter's value" + escape),
                Arguments.of("a%0Ab=%zz", "A query parameter's value" + escape));
    }

    /**
     * Javalin dropped a parameter it could not decode (?page=%zz read as no page: 200) and read bytes that are not
     * UTF-8 as U+FFFD. The plugin refuses such a query once, before any handler, naming the parameter but never
     * repeating the raw query; counted under the route.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedQueries")
    void aQueryThatDoesNotDecodeIs400NamingTheParameter(String query, String detail) throws Exception {
        RawHttp.Response r = RawHttp.send(
                base, "GET /api/v1/users/7?" + query + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
        assertThat(HttpServerContractTest.assertProblem(r, 400)).isNotNull(); // the request id
        assertThat(r.body()).contains("\"detail\":\"" + detail + "\"");
        assertThat(r.body()).doesNotContain("xxxxxxxxxx", "%zz", "%FF", "%ED");
        awaitRequests("GET", TestApp.USERS_ROUTE, "400", 1);
        assertThat(telemetry.metrics().named("http_exceptions_total")).isEmpty();
    }

    @Test
    void aQueryThatDecodesReachesTheRouteAndAnUnknownPathIsStillRefusedForItsQuery() throws Exception {
        for (String query : new String[] {"page=%31&q=caf%C3%A9&r=a+b", "q=%EF%BF%BD", "flag&=&q=", "q=%2541"}) {
            RawHttp.Response r = RawHttp.send(
                    base, "GET /api/v1/users/7?" + query + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
            assertThat(r.status()).as(query).isEqualTo(200);
        }
        // The check runs before routing: a malformed query is the request's fault wherever it goes.
        RawHttp.Response unknown =
                RawHttp.send(base, "GET /nowhere?page=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
        HttpServerContractTest.assertProblem(unknown, 400);
    }

    /**
     * A Content-Type or Authorization sent twice with different values: Javalin's handlers read the first, so a JSON
     * body was parsed whatever a proxy in front made of the second, and one token could be checked upstream while
     * another was acted on. Refused before any handler, naming the field, never its values; counted under the route.
     */
    @Test
    void aContentTypeOrAuthorizationRepeatedWithDifferentValuesIs400BeforeTheRouteRuns() throws Exception {
        int before = echoed.get();
        RawHttp.Response types = RawHttp.send(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}",
                false);
        assertThat(HttpServerContractTest.assertProblem(types, 400)).isNotNull();
        assertThat(types.body())
                .contains("\"detail\":\"The request has 2 Content-Type header fields with different values: a request"
                        + " may have one (RFC 9110, section 8.3)\"")
                .doesNotContain("text/plain");
        assertThat(echoed).as("the route never ran").hasValue(before);
        awaitRequests("POST", TestApp.ECHO_ROUTE, "400", 1);

        RawHttp.Response tokens = RawHttp.send(
                base,
                "GET /api/v1/users/7 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer first-token\r\n"
                        + "Authorization: Bearer second-token\r\nAuthorization: Bearer first-token\r\n"
                        + "Connection: close\r\n\r\n",
                false);
        assertThat(HttpServerContractTest.assertProblem(tokens, 400)).isNotNull();
        assertThat(tokens.body())
                .contains("\"detail\":\"The request has 3 Authorization header fields with different values: a"
                        + " request may have one (RFC 9110, section 11.6.2)\"")
                .doesNotContain("token");
        awaitRequests("GET", TestApp.USERS_ROUTE, "400", 1);

        // The same value twice reads the same whichever is taken: served as before.
        RawHttp.Response same = RawHttp.send(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}",
                false);
        assertThat(same.status()).isEqualTo(201);
        assertThat(same.body()).isEqualTo("{\"a\":1}");
        assertThat(telemetry.metrics().named("http_exceptions_total")).isEmpty();
    }

    private HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] gzip(byte[] plain) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }
}
