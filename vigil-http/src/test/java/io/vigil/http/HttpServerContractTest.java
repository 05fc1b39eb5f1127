package io.vigil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.test.LogEvent;
import io.vigil.test.MetricSamples;
import io.vigil.test.RawHttp;
import io.vigil.test.UrlDecoding;
import io.vigil.test.VigilExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The telemetry every adapter must produce, asserted over real HTTP requests against a real server
 * (each subclass starts its framework serving {@link TestApp}).
 */
public abstract class HttpServerContractTest {
    @RegisterExtension
    // The handler's own log line ("user loaded") comes from an application logger.
    protected final VigilExtension telemetry = VigilExtension.create().capturingApplicationLogs();

    protected final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    protected URI base;

    /** Starts the framework on a free port with this instrumentation; returns its base URI. */
    protected abstract URI startServer(HttpServerTelemetry http) throws Exception;

    protected abstract void stopServer() throws Exception;

    /** Sets how long the server's connectors wait for a client's next bytes. */
    protected abstract void idleTimeout(Duration timeout);

    /** Adjusts the instrumentation every test of this class uses. */
    protected HttpServerTelemetry.Builder configure(HttpServerTelemetry.Builder builder) {
        return builder;
    }

    @BeforeEach
    void start() throws Exception {
        base = startServer(
                configure(HttpServerTelemetry.builder(telemetry.runtime())).build());
    }

    @AfterEach
    void stop() throws Exception {
        stopServer();
    }

    protected HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    protected SpanData serverSpan() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.spans().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER));
        List<SpanData> servers = telemetry.spans().stream()
                .filter(s -> s.getKind() == SpanKind.SERVER)
                .toList();
        assertThat(servers).hasSize(1);
        return servers.getFirst();
    }

    protected LogEvent accessLog() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !telemetry.logs("http_request").isEmpty());
        return telemetry.logs("http_request").getFirst();
    }

    protected double requests(String method, String endpoint, String status) {
        return telemetry
                .metrics()
                .value("http_requests_total", Map.of("method", method, "endpoint", endpoint, "status_code", status));
    }

    protected void awaitRequests(String method, String endpoint, String status, double expected) {
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () -> assertThat(requests(method, endpoint, status)).isEqualTo(expected));
    }

    /** What {@code ProblemJsonErrorHandler} and the adapters write: the RFC 9457 members, in order. */
    private static final Pattern PROBLEM = Pattern.compile("\\{\"type\":\"about:blank\",\"title\":\"[A-Za-z -]+\","
            + "\"status\":(\\d{3})(?:,\"detail\":\"(?:[^\"\\\\\\p{Cntrl}]|\\\\[\"\\\\/bfnrtu])*\")?"
            + "(?:,\"request_id\":\"([A-Za-z0-9._-]{1,64})\")?}");

    /**
     * Asserts an {@code application/problem+json} answer with this status whose body is a problem
     * document for it; returns its {@code request_id} or {@code null}.
     */
    public static String assertProblem(RawHttp.Response response, int status) {
        assertThat(response.status()).as("status of %s", response).isEqualTo(status);
        assertThat(response.header("Content-Type"))
                .as("content type of %s", response)
                .startsWith("application/problem+json");
        Matcher m = PROBLEM.matcher(response.body());
        assertThat(m.matches()).as("problem+json body: %s", response.body()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(status);
        return m.group(2);
    }

    static Stream<Arguments> requestsTheServerRefuses() {
        String big = "a".repeat(10_000);
        String user = "/api/v1/users/1";
        String badEscape = "The request target has a malformed percent-escape (a % must start %XX)";
        return Stream.of(
                Arguments.of(
                        "a 10 KB header",
                        "GET " + user + " HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n",
                        431,
                        null),
                Arguments.of("a 10 KB URI", "GET " + user + "?q=" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, null),
                // Past the request head's bound in the request line: malformed, not a header field too large (431).
                Arguments.of(
                        "a 10,000-character method",
                        "X".repeat(10_000) + " " + user + " HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "The request line's method or HTTP version is too long: the request line and header fields"
                                + " together may have at most 8192 bytes"),
                Arguments.of(
                        "a 10,000-character version",
                        "GET " + user + " HTTP/1." + "1".repeat(10_000) + "\r\nHost: x\r\n\r\n",
                        400,
                        "The request line's method or HTTP version is too long: the request line and header fields"
                                + " together may have at most 8192 bytes"),
                Arguments.of("a bad % escape", "GET /api/v1/users/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, badEscape),
                Arguments.of(
                        "a truncated % escape", "GET /api/v1/users/1%2 HTTP/1.1\r\nHost: x\r\n\r\n", 400, badEscape),
                Arguments.of(
                        "a space inside the URI",
                        "GET /api/v1/users/a b HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "Illegal character in the request line: a space (a space in the request target must be sent"
                                + " as %20)"),
                Arguments.of(
                        "a tab inside the URI",
                        "GET /api/v1/users/a\tb HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "Illegal character in the request line: a tab"),
                Arguments.of(
                        "a visible character no method has",
                        "G\"T " + user + " HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "Illegal character in the request line: '\"'"),
                Arguments.of(
                        "an encoded NUL in the path",
                        "GET /api/v1/users/a%00b HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "The request target's path has a control character, sent as is or %-encoded"),
                Arguments.of(
                        "a dot segment above the root",
                        "GET /api/../../v1 HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "The request target is not a valid URI path"),
                Arguments.of(
                        "an escape that is not UTF-8",
                        "GET /api/v1/users/%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n",
                        400,
                        "The request target's path is not UTF-8 once percent-decoded"),
                Arguments.of("no request target", "GARBAGE\r\n\r\n", 400, "The request line has no request target"),
                Arguments.of(
                        "a NUL in a header",
                        "GET " + user + " HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
                        400,
                        "Illegal character in a header field: control character 0x00"),
                Arguments.of(
                        "a space in a header name",
                        "GET " + user + " HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n",
                        400,
                        "Illegal character in a header field: a space"),
                Arguments.of(
                        "an obs-fold",
                        "GET " + user + " HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
                        400,
                        "A header field is folded onto a further line (obs-fold)"),
                Arguments.of(
                        "an Upgrade without 'upgrade' in Connection",
                        "GET " + user + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\r\n",
                        400,
                        "The request has an Upgrade header but no 'upgrade' in its Connection header (RFC 9110,"
                                + " section 7.8): send both to switch protocols, or neither"),
                Arguments.of(
                        "no Host",
                        "GET " + user + " HTTP/1.1\r\n\r\n",
                        400,
                        "An HTTP/1.1 request must have a Host header"),
                Arguments.of(
                        "a Host that is no host",
                        "GET " + user + " HTTP/1.1\r\nHost: x:port\r\n\r\n",
                        400,
                        "The Host header is not a valid host and optional port"),
                Arguments.of(
                        "Content-Length and Transfer-Encoding",
                        "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        400,
                        "The request has both Transfer-Encoding and Content-Length, so its length is ambiguous"),
                Arguments.of(
                        "a Content-Length past a long",
                        "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\n"
                                + "Content-Length: 99999999999999999999\r\n\r\n",
                        400,
                        "The Content-Length is too large"),
                Arguments.of(
                        "two Content-Lengths",
                        "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                                + "Content-Length: 2\r\n\r\nxx",
                        400,
                        "The request has Content-Length values that differ"),
                Arguments.of("an unknown HTTP version", "GET " + user + " HTTP/1.2\r\nHost: x\r\n\r\n", 505, null),
                Arguments.of(
                        "an HTML-only Accept",
                        "GET " + user + " HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nX-A: a\0b\r\n\r\n",
                        400,
                        "Illegal character in a header field: control character 0x00"),
                Arguments.of(
                        "a DELETE with a bad header",
                        "DELETE " + user + " HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
                        400,
                        "A header field is folded onto a further line (obs-fold)"));
    }

    /**
     * Each is a problem document with its status, never Jetty's HTML page; a 4xx's detail says which part of the
     * request Jetty refused, from a fixed mapping (it had none for a bad escape, a space in the URI or a bad header
     * name), and never repeats the request's bytes.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("requestsTheServerRefuses")
    void requestsTheServerRefusesAreAnsweredWithProblemJson(String name, String request, int status, String detail)
            throws Exception {
        RawHttp.Response response = RawHttp.send(base, request, false);
        assertProblem(response, status);
        assertThat(response.body()).doesNotContain("<html", "aaaa");
        if (detail == null) {
            assertThat(response.body()).doesNotContain("\"detail\"");
        } else {
            assertThat(response.body()).contains("\"detail\":" + jsonString(detail));
        }
        // Recorded like any request, though no filter or handler saw it: counted, logged, correlated by its id.
        // (Before, a client probing the parser left no trace in any signal.)
        String requestId = response.header("X-Request-ID");
        assertThat(requestId).as("X-Request-ID of %s", response).isNotBlank();
        assertThat(response.body()).contains("\"request_id\":\"" + requestId + "\"");
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry.metrics().named("http_requests_total").stream()
                                .filter(s -> s.labels().get("endpoint").equals("unmatched")
                                        && s.labels().get("status_code").equals(String.valueOf(status)))
                                .mapToDouble(MetricSamples.Sample::value)
                                .sum())
                        .isEqualTo(1.0));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry.logs("http_request"))
                        .singleElement()
                        .satisfies(line -> {
                            assertThat(line.mdc())
                                    .containsEntry("request_id", requestId)
                                    .containsEntry("endpoint", "unmatched");
                            // The client's fault, 505 for its HTTP version included: no ERROR line per probe.
                            assertThat(line.level()).isEqualTo("WARN");
                        }));
        assertThat(telemetry.everything()).doesNotContain("aaaaaaaaaa", "/badMessage");
    }

    private static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Test
    void bodyShorterThanItsContentLengthIsAClientErrorNotAServerFault() throws Exception {
        assertBodyFailureIsAClientError("Content-Length: 500\r\n\r\n" + "x".repeat(100), true, 400);
    }

    @Test
    void expectedBodyThatNeverComesIsAClientErrorNotAServerFault() throws Exception {
        assertBodyFailureIsAClientError("Expect: 100-continue\r\nContent-Length: 10\r\n\r\n", true, 400);
    }

    @Test
    void bodyThatStopsComingIsARequestTimeout() throws Exception {
        idleTimeout(Duration.ofMillis(500));
        assertBodyFailureIsAClientError("Content-Length: 10\r\n\r\nabc", false, 408);
    }

    /**
     * POSTs to the echo route with the rest of the headers and a short or missing body ({@code
     * endBody}: the client then half-closes), and asserts the client-error problem with the
     * request id, counted under its status, and no server fault.
     */
    private void assertBodyFailureIsAClientError(String rest, boolean endBody, int status) throws Exception {
        RawHttp.Response response = RawHttp.send(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n" + rest,
                endBody);
        assertThat(assertProblem(response, status)).isNotNull().isEqualTo(response.header("X-Request-ID"));
        awaitRequests("POST", TestApp.ECHO_ROUTE, String.valueOf(status), 1);
        assertNoServerFault();
    }

    /** No 5xx series, no exception counted, no ERROR line: nothing for a 5xx alert to count. */
    private void assertNoServerFault() {
        assertThat(accessLog().level()).isEqualTo("WARN");
        assertThat(telemetry.metrics().named("http_exceptions_total")).isEmpty();
        assertThat(telemetry.metrics().named("http_requests_total"))
                .noneSatisfy(s -> assertThat(s.labels().get("status_code")).startsWith("5"));
        assertThat(telemetry.logs()).noneSatisfy(e -> assertThat(e.level()).isEqualTo("ERROR"));
    }

    @Test
    void matchedRouteIsCountedUnderItsTemplate() throws Exception {
        assertThat(get("/api/v1/users/42").statusCode()).isEqualTo(200);
        get("/api/v1/users/43");

        awaitRequests("GET", TestApp.USERS_ROUTE, "200", 2);
        MetricSamples m = telemetry.metrics();
        Map<String, String> series = Map.of("method", "GET", "endpoint", TestApp.USERS_ROUTE);
        assertThat(m.value("http_request_duration_seconds_count", series)).isEqualTo(2);
        assertThat(m.find("http_request_duration_seconds_bucket", Map.of("le", "0.005")))
                .isPresent();
        // The Apdex query of the HTTP/WebSocket document counts le="0.1" and le="0.4" (T and 4T).
        assertThat(m.named("http_request_duration_seconds_bucket"))
                .filteredOn(s -> s.labels().get("endpoint").equals(TestApp.USERS_ROUTE))
                .extracting(s -> s.labels().get("le"))
                .containsExactly(
                        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.4", "0.5", "1.0", "2.5", "5.0", "10.0",
                        "+Inf");
        assertThat(m.value("http_requests_in_progress", series)).isZero();
        assertThat(m.find("http_requests_in_progress", series)).isPresent();
        assertThat(m.value("http_response_size_bytes_sum", series)).isEqualTo(2 * "{\"id\":\"42\"}".length());
        assertThat(m.named("http_requests_total"))
                .allSatisfy(s -> assertThat(s.labels().get("endpoint")).doesNotContain("42"));
    }

    @Test
    void requestSizeIsRecorded() throws Exception {
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(base.resolve("/api/v1/echo"))
                        .POST(HttpRequest.BodyPublishers.ofString("hello world"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body()).isEqualTo("hello world");

        awaitRequests("POST", TestApp.ECHO_ROUTE, "201", 1);
        Map<String, String> series = Map.of("method", "POST", "endpoint", TestApp.ECHO_ROUTE);
        assertThat(telemetry.metrics().value("http_request_size_bytes_sum", series))
                .isEqualTo(11);
        assertThat(telemetry.metrics().value("http_response_size_bytes_sum", series))
                .isEqualTo(11);
    }

    /**
     * The size recorded is what the server received, not what the client declared: one request declaring 9 EB and
     * sending three bytes put 9 EB into the histogram's sum for good (an outside tester's case). A chunked body,
     * which declares nothing, is recorded too.
     */
    @Test
    void aDeclaredLengthNeverSentIsNotRecordedAsReceived() throws Exception {
        idleTimeout(Duration.ofMillis(500));
        RawHttp.Response r = RawHttp.send(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: 9000000000000000000\r\n\r\nabc",
                false);
        assertThat(r.status()).isBetween(400, 499);
        awaitRequests("POST", TestApp.ECHO_ROUTE, String.valueOf(r.status()), 1);
        Map<String, String> series = Map.of("method", "POST", "endpoint", TestApp.ECHO_ROUTE);
        assertThat(telemetry.metrics().value("http_request_size_bytes_sum", series))
                .isBetween(0.0, 3.0);

        RawHttp.Response chunked = RawHttp.send(
                base,
                "POST " + TestApp.ECHO_ROUTE + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                false);
        assertThat(chunked.status()).isEqualTo(201);
        awaitRequests("POST", TestApp.ECHO_ROUTE, "201", 1);
        assertThat(telemetry.metrics().value("http_request_size_bytes_sum", series))
                .isBetween(5.0, 8.0);
    }

    @Test
    void serverSpanFollowsHttpSemanticConventions() throws Exception {
        HttpResponse<String> response = get("/api/v1/users/7?page=2");
        SpanData span = serverSpan();

        assertThat(span.getName()).isEqualTo("GET " + TestApp.USERS_ROUTE);
        assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
        var attrs = span.getAttributes().asMap().entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(e -> e.getKey().getKey(), e -> e.getValue()));
        assertThat(attrs)
                .containsEntry("http.request.method", "GET")
                .containsEntry("http.route", TestApp.USERS_ROUTE)
                .containsEntry("http.response.status_code", 200L)
                .containsEntry("url.path", "/api/v1/users/7")
                .containsEntry("url.query", "page=2")
                .containsEntry("url.scheme", "http")
                .containsEntry("client.address", "127.0.0.1")
                .containsEntry(
                        "request.id",
                        response.headers().firstValue("X-Request-ID").orElseThrow())
                .containsEntry("user.id", "u-7");
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }

    @Test
    void incomingTraceContextIsContinued() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        get("/api/v1/users/1", "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
        SpanData span = serverSpan();
        assertThat(span.getTraceId()).isEqualTo(traceId);
        assertThat(span.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
    }

    @Test
    void malformedTraceparentStartsANewTraceAndNeverFails() throws Exception {
        for (String bad : List.of(
                "00-zzzz-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "garbage",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "f".repeat(500) + "-01")) {
            assertThat(get("/api/v1/users/1", "traceparent", bad).statusCode())
                    .as(bad)
                    .isEqualTo(200);
        }
        awaitRequests("GET", TestApp.USERS_ROUTE, "200", 4);
        assertThat(telemetry.spans())
                .filteredOn(s -> s.getKind() == SpanKind.SERVER)
                .hasSize(4)
                .allSatisfy(s -> {
                    assertThat(s.getSpanContext().isValid()).isTrue();
                    assertThat(s.getParentSpanContext().isValid()).isFalse();
                });
    }

    @Test
    void unmatchedPathsCollapseToUnmatched() throws Exception {
        assertThat(get("/no/such/path/" + UUID.randomUUID()).statusCode()).isEqualTo(404);
        awaitRequests("GET", "unmatched", "404", 1);
        SpanData span = serverSpan();
        assertThat(span.getName()).isEqualTo("GET");
        assertThat(accessLog().mdc()).containsEntry("endpoint", "unmatched");
    }

    @Test
    void notFoundFromAMatchedRouteKeepsItsTemplate() throws Exception {
        assertThat(get("/api/v1/missing").statusCode()).isEqualTo(404);
        awaitRequests("GET", TestApp.MISSING_ROUTE, "404", 1);
    }

    @Test
    void serverErrorStatusMarksTheSpanAndTheLog() throws Exception {
        assertThat(get("/unavailable").statusCode()).isEqualTo(503);
        awaitRequests("GET", "/unavailable", "503", 1);
        assertThat(serverSpan().getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        LogEvent log = accessLog();
        assertThat(log.level()).isEqualTo("ERROR");
        assertThat(log.field("status_code")).isEqualTo(503);
        assertThat(telemetry.metrics().named("http_exceptions_total")).isEmpty();
    }

    @Test
    void handlerExceptionIsCountedRecordedAndNeverShownToTheClient() throws Exception {
        HttpResponse<String> response = get("/boom");
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).doesNotContain("IllegalStateException", "kaboom", "at io.vigil");

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(telemetry
                                .metrics()
                                .value(
                                        "http_exceptions_total",
                                        Map.of("exception_type", "IllegalStateException", "endpoint", "/boom")))
                        .isEqualTo(1));
        awaitRequests("GET", "/boom", "500", 1);
        SpanData span = serverSpan();
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(span.getEvents()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("exception");
            assertThat(e.getAttributes().asMap().toString())
                    .contains("IllegalStateException")
                    .contains("j***@example.com")
                    .doesNotContain("jane.doe@example.com", "hunter2");
        });
        LogEvent log = accessLog();
        assertThat(log.level()).isEqualTo("ERROR");
        assertThat(log.exceptionType()).isEqualTo(IllegalStateException.class.getName());
    }

    @Test
    void correlationIdIsAcceptedEchoedAndBound() throws Exception {
        String id = "client-id_1.2-" + "x".repeat(50); // 64 characters, all allowed
        assertThat(id).hasSize(64);
        HttpResponse<String> response = get("/api/v1/users/5", "X-Request-ID", id);

        assertThat(response.headers().firstValue("X-Request-ID")).contains(id);
        assertThat(response.headers().firstValue("X-Correlation-ID")).contains(id);
        assertThat(serverSpan().getAttributes().asMap().toString()).contains(id);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.logs().stream().anyMatch(e -> e.message().equals("user loaded")));
        LogEvent inHandler = telemetry.logs().stream()
                .filter(e -> e.message().equals("user loaded"))
                .findFirst()
                .orElseThrow();
        assertThat(inHandler.mdc())
                .containsEntry("request_id", id)
                .containsEntry("method", "GET")
                .containsEntry("path", "/api/v1/users/5")
                .containsEntry("endpoint", TestApp.USERS_ROUTE)
                .containsEntry("ip_address", "127.0.0.1")
                .containsEntry("user_id", "u-5");
        assertThat(inHandler.traceId()).isEqualTo(serverSpan().getTraceId());
    }

    @Test
    void correlationHeaderIsAcceptedWhenRequestIdIsAbsent() throws Exception {
        HttpResponse<String> response = get("/api/v1/users/5", "X-Correlation-ID", "abc12345");
        assertThat(response.headers().firstValue("X-Request-ID")).contains("abc12345");
        assertThat(response.headers().firstValue("X-Correlation-ID")).contains("abc12345");
    }

    @Test
    void forgedOrOversizedCorrelationIdsAreReplaced() throws Exception {
        for (String bad : List.of("x".repeat(65), "abc<script>", "a b", "é", "id;drop", "x".repeat(2000))) {
            HttpResponse<String> response = get("/api/v1/users/5", "X-Request-ID", bad, "X-Correlation-ID", bad);
            assertThat(response.statusCode()).as(bad).isEqualTo(200);
            String echoed = response.headers().firstValue("X-Request-ID").orElseThrow();
            assertThat(echoed).isNotEqualTo(bad).matches("[0-9a-f-]{36}");
            assertThat(response.headers().firstValue("X-Correlation-ID")).contains(echoed);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.logs("http_request").size() == 6);
        assertThat(telemetry.everything()).doesNotContain("abc<script>", "id;drop");
    }

    @Test
    void generatedIdsAreUniquePerRequest() throws Exception {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            ids.add(get("/api/v1/users/1").headers().firstValue("X-Request-ID").orElseThrow());
        }
        assertThat(ids).hasSize(20);
    }

    @Test
    void accessLogEventCarriesTheContractFields() throws Exception {
        HttpResponse<String> response = get("/api/v1/users/9", "User-Agent", "contract-test/1.0");
        LogEvent log = accessLog();
        assertThat(log.logger()).isEqualTo(HttpServerTelemetry.ACCESS_LOGGER);
        assertThat(log.level()).isEqualTo("INFO");
        assertThat(log.field("event_type")).isEqualTo("http_request");
        assertThat(log.field("status_code")).isEqualTo(200);
        assertThat(log.field("duration_seconds")).isInstanceOf(Double.class);
        assertThat((Double) log.field("duration_seconds")).isPositive();
        assertThat(log.field("response_size_bytes"))
                .isEqualTo((long) response.body().length());
        assertThat(log.field("user_agent")).isEqualTo("contract-test/1.0");
        assertThat(log.mdc())
                .containsEntry(
                        "request_id",
                        response.headers().firstValue("X-Request-ID").orElseThrow())
                .containsEntry("method", "GET")
                .containsEntry("path", "/api/v1/users/9")
                .containsEntry("endpoint", TestApp.USERS_ROUTE)
                .containsEntry("ip_address", "127.0.0.1")
                .containsEntry("user_id", "u-9");
        assertThat(log.traceId()).isEqualTo(serverSpan().getTraceId());
        assertThat(telemetry.logs("http_request")).hasSize(1);
    }

    @Test
    void logContextIsClearedAfterTheRequest() throws Exception {
        get("/api/v1/users/3");
        accessLog();
        // The next request on a pooled thread starts clean: its handler log has its own id only.
        HttpResponse<String> second = get("/api/v1/users/4");
        String secondId = second.headers().firstValue("X-Request-ID").orElseThrow();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.logs("http_request").size() == 2);
        assertThat(telemetry.logs())
                .filteredOn(e -> e.message().equals("loading user")
                        && secondId.equals(e.mdc().get("request_id")))
                .singleElement()
                .satisfies(e -> assertThat(e.mdc()).doesNotContainKey("user_id"));
    }

    @Test
    void aHandlerThatClearsTheMdcStillGetsAFullAccessLogEvent() throws Exception {
        HttpResponse<String> response = get("/api/v1/users/" + TestApp.CLEARS_MDC);
        assertThat(accessLog().mdc())
                .containsEntry(
                        "request_id",
                        response.headers().firstValue("X-Request-ID").orElseThrow())
                .containsEntry("method", "GET")
                .containsEntry("endpoint", TestApp.USERS_ROUTE)
                .containsEntry("ip_address", "127.0.0.1")
                .containsEntry("user_id", "u-" + TestApp.CLEARS_MDC);
    }

    @Test
    void fieldsAHandlerPutsIntoTheMdcReachTheAccessLogAndEndWithTheRequest() throws Exception {
        get("/api/v1/users/" + TestApp.TAGS_MDC);
        assertThat(accessLog().mdc()).containsEntry("tenant", "t-1");
        HttpResponse<String> next = get("/api/v1/users/5");
        String nextId = next.headers().firstValue("X-Request-ID").orElseThrow();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> telemetry.logs("http_request").size() == 2);
        assertThat(telemetry.logs())
                .filteredOn(e -> nextId.equals(e.mdc().get("request_id")))
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.mdc()).doesNotContainKey("tenant"));
    }

    @Test
    void emailsInPathsAreMaskedInLogsAndSpans() throws Exception {
        get("/api/v1/users/jane.doe@example.com");
        serverSpan();
        accessLog();
        assertThat(telemetry.everything()).doesNotContain("jane.doe@example.com");
        assertThat(accessLog().mdc().get("path")).isEqualTo("/api/v1/users/j***@example.com");
    }

    @Test
    void personalDataInTheUserAgentIsScrubbedInTheSpanAsInTheAccessLog() throws Exception {
        String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
        String agent =
                "probe/1.0 jane.doe@example.com Bearer " + jwt + " card 4111 1111 1111 1111 " + "x".repeat(2_000);
        get("/api/v1/users/9", "User-Agent", agent);
        String spanAgent = serverSpan()
                .getAttributes()
                .get(io.opentelemetry.api.common.AttributeKey.stringKey("user_agent.original"));
        // The span gets what the access log gets: scrubbed and bounded, not the raw header.
        assertThat(spanAgent).startsWith("probe/1.0 j***@example.com").hasSizeLessThanOrEqualTo(256);
        assertThat(spanAgent).isEqualTo(accessLog().field("user_agent"));
        assertThat(telemetry.everything())
                .doesNotContain("jane.doe@example.com", "c2lnbmF0dXJl", "4111 1111 1111 1111", "x".repeat(300));
    }

    @Test
    void vendorTokensAndCredentialParametersAreRedactedInSpansAndTheAccessLog() throws Exception {
        // Fake credentials in the vendors' documented shapes (assembled, so that no scanner mistakes them for leaks).
        String github = "ghp" + "_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        String stripe = "sk" + "_live_4eC39HqLyjWDarjtT1zdp7dc";
        String signature = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
        get(
                "/api/v1/users/9?code=SplxlOBeZQQYbYS6WxSbIA&state=s1&X-Amz-Signature=" + signature + "&key=" + stripe,
                "User-Agent",
                "deploy-bot/2.0 (" + github + ")");
        SpanData span = serverSpan();
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("url.query")))
                // OpenTelemetry's URL extractor also redacts X-Amz-Signature, as REDACTED: either way it is gone.
                .matches("code=\\[REDACTED]&state=s1&X-Amz-Signature=\\[?REDACTED]?&key=\\[REDACTED]");
        String spanAgent =
                span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("user_agent.original"));
        assertThat(spanAgent)
                .isEqualTo("deploy-bot/2.0 ([REDACTED])")
                .isEqualTo(accessLog().field("user_agent"));
        assertThat(telemetry.everything()).doesNotContain(github, stripe, signature, "SplxlOBeZQQYbYS6WxSbIA");
    }

    /**
     * A client's Host and query are bounded in the span as its path and user agent are: a 3 KB Host was kept whole as
     * server.address, a 4,000-character query as url.query.
     */
    @Test
    void aHugeHostOrQueryIsBoundedInTheSpan() throws Exception {
        String host = "h".repeat(3_000) + ".example";
        RawHttp.Response r = RawHttp.send(
                base,
                "GET /api/v1/users/9?q=" + "x".repeat(4_000) + " HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: close\r\n\r\n",
                false);
        assertThat(r.status()).isEqualTo(200);
        SpanData span = serverSpan();
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("server.address")))
                .hasSizeLessThanOrEqualTo(512);
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("url.query")))
                .startsWith("q=xxx")
                .hasSize(1024);
        assertThat(telemetry.everything()).doesNotContain("h".repeat(600), "x".repeat(1_100));
    }

    /** The query's first parameter has no '?' before it in url.query: {@code ?key=…} alone reached the span whole. */
    @Test
    void aCredentialAsTheQuerysFirstParameterIsRedactedInTheSpan() throws Exception {
        String key = "AIzaq" + "Z9k2mLx7Tq0";
        get("/api/v1/users/9?key=" + key);
        assertThat(serverSpan().getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("url.query")))
                .isEqualTo("key=[REDACTED]");
        assertThat(telemetry.everything()).doesNotContain(key);
    }

    @Test
    void anUnknownMethodIsBoundedInTheSpanAsInTheAccessLog() throws Exception {
        String method = "PURGE" + "X".repeat(3_000);
        RawHttp.Response response =
                RawHttp.send(base, method + " /api/v1/users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
        assertThat(response.status()).isBetween(400, 599);
        SpanData span = serverSpan();
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("http.request.method")))
                .isEqualTo("_OTHER");
        // Not kilobytes of whatever a client sends as a method: what the access log keeps of it.
        assertThat(span.getAttributes()
                        .get(io.opentelemetry.api.common.AttributeKey.stringKey("http.request.method_original")))
                .isEqualTo(method.substring(0, 32))
                .isEqualTo(accessLog().mdc().get("method"));
        assertThat(telemetry.everything()).doesNotContain("X".repeat(100));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "/api/v1/users/mario%40mushroom.example?email=mario%40mushroom.example",
                "/api/v1/users/mario%2540mushroom.example?email=mario%2540mushroom.example",
                "/api/v1/users/%6D%61rio%40mushroom.example?email=%6d%61%72io%40Mushroom.example",
                "/api/v1/users/mario%2Bluigi%40mushroom.example?email=mario+luigi%40mushroom.example",
                "/api/v1/users/m%C3%A1rio%40mushroom.example?email=m%C3%A1rio%40mushroom.example&page=2",
            })
    void percentEncodedPersonalDataIsMaskedInEverySignal(String target) throws Exception {
        HttpResponse<String> response = get(target);
        if (response.statusCode() == 400) {
            // Jetty's servlet layer refuses an encoded '%' in a path as ambiguous, before any filter.
            assertThat(response.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(UrlDecoding.everyLayer(telemetry.everything())).doesNotContain("mario");
            return;
        }
        assertThat(response.statusCode()).isEqualTo(200);
        SpanData span = serverSpan();
        LogEvent access = accessLog();
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("url.path")))
                .startsWith("/api/v1/users/")
                .contains("***");
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("url.query")))
                .startsWith("email=")
                .contains("***");
        assertThat(access.mdc().get("path")).startsWith("/api/v1/users/").contains("***");
        assertThat(telemetry.metrics().named("http_requests_total"))
                .allSatisfy(s -> assertThat(s.labels().toString()).doesNotContain("mushroom"));
        // Whatever layer of encoding a reader undoes, the address is not there.
        assertThat(UrlDecoding.everyLayer(telemetry.everything())).doesNotContain("mario", "ário", "luigi");
    }

    @Test
    void tenThousandDistinctPathsLeaveTheSeriesCountBounded() throws Exception {
        Semaphore inFlight = new Semaphore(16);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String path = i % 2 == 0 ? "/api/v1/users/" + UUID.randomUUID() : "/random/" + UUID.randomUUID();
            inFlight.acquire();
            all.add(client.sendAsync(
                            HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.discarding())
                    .whenComplete((r, e) -> inFlight.release()));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        awaitRequests("GET", TestApp.USERS_ROUTE, "200", 5_000);
        awaitRequests("GET", "unmatched", "404", 5_000);

        MetricSamples m = telemetry.metrics();
        assertThat(m.named("http_requests_total")).hasSize(2);
        long httpSeries =
                m.all().stream().filter(s -> s.name().startsWith("http_")).count();
        assertThat(httpSeries).isLessThan(100);
        assertThat(m.text()).doesNotContain("/random/");
    }

    /** For subclasses that need a differently configured runtime. */
    protected static VigilExtension extension(UnaryOperator<io.vigil.core.VigilConfig.Builder> config) {
        return VigilExtension.create(config).capturingApplicationLogs();
    }
}
