package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.vigil.test.RawHttp;
import io.vigil.test.UrlDecoding;
import java.net.URI;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * What the service answers to hostile clients that the routes never see, over raw sockets: every
 * error is {@code application/problem+json}, a truncated body is a 400 and no server fault.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerErrorsTest {
    private static final String LOGIN = "/api/v1/auth/login";

    private TestService svc;
    private URI base;

    @BeforeAll
    void start() {
        svc = new TestService(TestDatabases.h2());
        base = URI.create("http://127.0.0.1:" + svc.service.port());
    }

    @AfterAll
    void stop() {
        if (svc != null) {
            svc.close();
        }
    }

    /** Asserts a problem+json answer with {@code status}; returns the problem. */
    private static JsonNode problem(RawHttp.Response r, int status) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("%s", r).startsWith("application/problem+json");
        JsonNode p = Api.JSON.readTree(r.body());
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("title").asString()).isNotBlank();
        assertThat(p.get("type").asString()).isNotBlank();
        assertThat(r.body()).doesNotContain("<html", "Exception", "\tat ");
        return p;
    }

    static Stream<Arguments> refusedRequests() {
        String big = "a".repeat(10_000);
        return Stream.of(
                Arguments.of("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", 431),
                Arguments.of("GET /health?" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                Arguments.of("GET /api/v1/users/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                Arguments.of("GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400),
                Arguments.of("GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
                Arguments.of(
                        "POST " + LOGIN + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        400),
                Arguments.of("GET /health HTTP/1.2\r\nHost: x\r\n\r\n", 505));
    }

    @ParameterizedTest
    @MethodSource("refusedRequests")
    void requestsJettyRefusesAreProblems(String request, int status) throws Exception {
        problem(RawHttp.send(base, request, false), status);
    }

    @ParameterizedTest
    @MethodSource("refusedRequests")
    void requestsJettyRefusesOnTheManagementPortAreProblemsToo(String request, int status) throws Exception {
        problem(RawHttp.send(URI.create("http://127.0.0.1:" + svc.service.managementPort()), request, false), status);
    }

    /**
     * A query that does not decode is refused on every route of the API port, before authentication, in the API's own
     * problem type naming the parameter (vigil-http's plugin checks it once per request): Javalin dropped such a
     * parameter, so a route that read none answered 200 and one that read it served its default.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "/health?verbose=%zz, 'verbose' is not valid percent-encoding",
        "/api/v1/users?page=%FF, 'page' is not UTF-8 once percent-decoded",
        "/nothing-here?x=1%G1, 'x' is not valid percent-encoding"
    })
    void aQueryThatDoesNotDecodeIsAnInvalidQueryParameterOnEveryRoute(String target, String detail) throws Exception {
        JsonNode p = problem(
                RawHttp.send(base, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false), 400);
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:invalid-query-parameter");
        assertThat(p.get("detail").asString()).contains(detail);
    }

    /** An unknown method of kilobytes (Jetty reads up to 8 KiB of it) is 405 without the method repeated. */
    @Test
    void aLongUnknownMethodIsNotEchoedInThe405() throws Exception {
        String method = "X".repeat(4000);
        RawHttp.Response r = RawHttp.send(
                URI.create("http://127.0.0.1:" + svc.service.port()),
                method + " /api/v1/users/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                false);
        JsonNode p = problem(r, 405);
        assertThat(p.get("detail").asString()).isEqualTo("This method is not allowed on /api/v1/users/me");
        assertThat(r.body()).doesNotContain("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
    }

    /** A wrong method on a path the management port serves is 405 with {@code Allow}, as on the API port (was 404). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/metrics", "/health", "/health/ready"})
    void aWrongMethodOnTheManagementPortIs405WithAllow(String path) throws Exception {
        RawHttp.Response r = RawHttp.send(
                URI.create("http://127.0.0.1:" + svc.service.managementPort()),
                "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                false);
        JsonNode p = problem(r, 405);
        assertThat(p.get("type").asString()).endsWith("method-not-allowed");
        // HEAD runs the GET route there too (ManagementPort), so it is allowed.
        assertThat(r.header("Allow")).isEqualTo("GET, HEAD");
        problem(
                RawHttp.send(
                        URI.create("http://127.0.0.1:" + svc.service.managementPort()),
                        "GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        false),
                404);
    }

    private static final String UPGRADE = "GET /api/v1/ws/security-events HTTP/1.1\r\nHost: x\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    private static final String KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    /** A refused WebSocket upgrade is a whole problem document, like every other refusal (it was an empty body). */
    @Test
    void aRefusedWebSocketUpgradeIsAProblemDocument() throws Exception {
        JsonNode p = problem(RawHttp.send(base, UPGRADE + KEY + "Connection: close\r\n\r\n", false), 401);
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:missing-token");
    }

    /** An upgrade without Sec-WebSocket-Key is the client's mistake: 400, not a 500 and an ERROR line. */
    @Test
    void anUpgradeWithoutItsKeyIsABadRequestAndNoServerFault() throws Exception {
        String admin = svc.adminToken();
        try (LogCapture logs = new LogCapture()) {
            problem(
                    RawHttp.send(
                            base, UPGRADE + "Authorization: Bearer " + admin + "\r\nConnection: close\r\n\r\n", false),
                    400);
            assertThat(logs.all()).noneMatch(e -> e.getLevel() == Level.ERROR);
        }
    }

    /**
     * Javalin opens an HTTP session for every upgrade request, before any handler runs; Jetty kept each for ever,
     * so unauthenticated upgrade attempts grew the heap without bound. None may outlive its request.
     */
    @Test
    void webSocketUpgradeAttemptsLeaveNoSessionBehind() throws Exception {
        for (int i = 0; i < 50; i++) {
            assertThat(RawHttp.send(base, UPGRADE + KEY + "Connection: close\r\n\r\n", false)
                            .status())
                    .isEqualTo(401);
        }
        // The last one leaves the cache as its request ends, just after its answer went out.
        org.awaitility.Awaitility.await("no session held")
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> svc.service.sessionsHeld() == 0);
    }

    @Test
    void truncatedBodyIsABadRequestAndNoServerFault() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            RawHttp.Response r = RawHttp.send(
                    base,
                    "POST " + LOGIN + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 500\r\n\r\n{\"email\":\"" + "x".repeat(80) + "\"",
                    true);
            assertThat(problem(r, 400).get("request_id").asString()).isEqualTo(r.header("X-Request-ID"));
            RawHttp.Response expect = RawHttp.send(
                    base,
                    "POST " + LOGIN + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Expect: 100-continue\r\nContent-Length: 40\r\n\r\n",
                    true);
            problem(expect, 400);
            assertThat(logs.all()).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.ERROR));
        }
        String metrics = svc.api.get(svc.vigil.config().metricsPath(), null).text();
        assertThat(metrics).doesNotContain("http_exceptions_total{").doesNotContain("status_code=\"500\"");
    }

    /**
     * A client waiting for 100 Continue before a body declared over MAX_REQUEST_SIZE is answered 413 at once (RFC 9110
     * section 10.1.1), on a route that reads the body before its work (login) and on one that reads it when parsing
     * (refresh); it was sent 100 Continue and then waited on for a body it would be refused for.
     */
    @Test
    void anOversizedBodyAnnouncedWithExpectContinueIs413WithoutTheContinue() throws Exception {
        for (String route : new String[] {LOGIN, "/api/v1/auth/refresh"}) {
            RawHttp.Response r = RawHttp.send(
                    base,
                    "POST " + route + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Expect: 100-continue\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n",
                    false);
            assertThat(r.status()).as("%s: %s", route, r).isEqualTo(413);
            assertThat(problem(r, 413).get("type").asString()).endsWith("payload-too-large");
        }
    }

    @Test
    void headAnswersWhatGetAnswersWithoutTheBody() throws Exception {
        String token = svc.adminToken();
        String[][] cases = {
            {"/no/such/thing", null, "404"},
            {"/api/v1/users/not-a-user", token, "404"},
            {"/api/v1/users/00000000-0000-0000-0000-000000000000", token, "404"},
            {"/api/v1/users/me", null, "401"},
            {"/api/v1/users/me", token, "200"},
            {"/health", null, "200"},
        };
        for (String[] c : cases) {
            String auth = c[1] == null ? "" : "Authorization: Bearer " + c[1] + "\r\n";
            RawHttp.Response r = RawHttp.send(
                    base, "HEAD " + c[0] + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n", false);
            assertThat(r.status()).as("HEAD %s: %s", c[0], r).isEqualTo(Integer.parseInt(c[2]));
            assertThat(r.body()).isEmpty();
            if (r.status() >= 400) {
                assertThat(r.header("Content-Type")).startsWith("application/problem+json");
            }
        }
    }

    @Test
    void percentEncodedAddressesReachNoSignal() throws Exception {
        String token = svc.adminToken();
        svc.spans.reset();
        try (LogCapture logs = new LogCapture()) {
            for (String target : new String[] {
                "/api/v1/users/mario%40mushroom.example?email=mario%40mushroom.example",
                "/api/v1/users?email=mario%2540mushroom.example&page=1",
                "/api/v1/users/%6d%61rio%2Bkart%40mushroom.example",
            }) {
                RawHttp.Response r = RawHttp.send(
                        base,
                        "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                                + "\r\nConnection: close\r\n\r\n",
                        false);
                assertThat(r.status()).as("%s", r).isIn(200, 404);
            }
            String signals = String.join("\n", logs.lines()) + "\n"
                    + svc.spans.getFinishedSpanItems().stream()
                            .map(span -> span.getName() + " " + span.getAttributes())
                            .toList()
                    + "\n" + svc.api.get(svc.vigil.config().metricsPath(), null).text();
            assertThat(signals).contains("***%40mushroom.example");
            assertThat(UrlDecoding.everyLayer(signals)).doesNotContain("mario", "kart");
        }
    }
}
