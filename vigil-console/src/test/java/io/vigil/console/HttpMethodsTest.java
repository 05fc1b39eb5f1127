package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Methods on the HTTP port: a 405 names the methods its resource serves in {@code Allow} (RFC 9110 §15.5.6), and
 * {@code HEAD} answers as {@code GET} would, without the body (RFC 9110 §9.3.2). Over a raw socket, so that what is
 * compared is exactly what the server wrote.
 */
class HttpMethodsTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private static VigilConsole console;

    @BeforeAll
    static void start() {
        console = VigilConsole.builder().httpPort(0).grpcPort(-1).start();
        assertThat(ApiClient.post(
                                console.httpEndpoint() + "/v1/traces",
                                "application/x-protobuf",
                                OtlpHttpReceiverTest.protobufTrace("methods", TRACE_ID, "stored")
                                        .toByteArray(),
                                null)
                        .statusCode())
                .isEqualTo(200);
        assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
    }

    @AfterAll
    static void stop() {
        console.close();
    }

    private static RawHttp.Response send(String method, String target, boolean withToken) throws IOException {
        String auth = withToken ? "Authorization: Bearer " + console.token() + "\r\n" : "";
        return RawHttp.send(
                URI.create(console.httpEndpoint()),
                method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + auth + "Connection: close\r\n\r\n",
                false);
    }

    /** One path of each resource of the port, and exactly the methods its routes serve. */
    static Stream<Arguments> resources() {
        return Stream.of(
                Arguments.of("/v1/traces", "POST"),
                Arguments.of("/v1/logs", "POST"),
                Arguments.of("/v1/metrics", "POST"),
                Arguments.of("/api/traces", "GET, HEAD"),
                Arguments.of("/api/traces/", "GET, HEAD"), // Javalin ignores a trailing slash, and so does Allow
                Arguments.of("/api/traces/" + TRACE_ID, "GET, HEAD"),
                Arguments.of("/api/logs", "GET, HEAD"),
                Arguments.of("/api/metrics", "GET, HEAD"),
                Arguments.of("/api/metrics/http.server.duration/series", "GET, HEAD"),
                Arguments.of("/api/metrics/http.server.duration/points", "GET, HEAD"),
                Arguments.of("/api/metrics/http.server.duration/heatmap", "GET, HEAD"),
                Arguments.of("/api/stats", "GET, HEAD"),
                Arguments.of("/api/services", "GET, HEAD"),
                Arguments.of("/", "GET, HEAD"),
                Arguments.of("/app.js", "GET, HEAD"),
                Arguments.of("/app.css", "GET, HEAD"));
    }

    /**
     * Every method a resource lacks is 405 with {@code Allow} listing exactly the methods it serves (a problem
     * document, without its body for HEAD); no method it lists is 405.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("resources")
    void every405NamesTheMethodsOfItsResourceInAllow(String path, String allow) throws IOException {
        List<String> allowed = List.of(allow.split(", "));
        for (String method : METHODS) {
            RawHttp.Response r = send(method, path, true);
            if (allowed.contains(method)) {
                assertThat(r.status()).as("%s %s: %s", method, path, r).isNotEqualTo(405);
                continue;
            }
            assertThat(r.status()).as("%s %s: %s", method, path, r).isEqualTo(405);
            assertThat(r.header("Allow")).as("%s %s", method, path).isEqualTo(allow);
            assertThat(r.header("Content-Type")).as("%s %s", method, path).startsWith("application/problem+json");
            if (method.equals("HEAD")) {
                assertThat(r.body()).as("HEAD %s", path).isEmpty();
            } else {
                assertThat(ApiClient.json(r.body()).get("detail").asText())
                        .as("%s %s", method, path)
                        .contains(method);
            }
        }
    }

    /** Targets of every GET route, in each of the answers it gives: 200, 302, 400, 401 and 404. */
    static Stream<Arguments> getTargets() {
        return Stream.of(
                Arguments.of("/api/traces", true, 200),
                Arguments.of("/api/traces?service=methods&limit=5", true, 200),
                Arguments.of("/api/traces?limit=abc", true, 400),
                Arguments.of("/api/traces", false, 401),
                Arguments.of("/api/traces/" + TRACE_ID, true, 200),
                Arguments.of("/api/traces/0123456789abcdef0123456789abcdef", true, 404),
                Arguments.of("/api/traces/xyz", true, 400),
                Arguments.of("/api/logs", true, 200),
                Arguments.of("/api/logs?level=loud", true, 400),
                Arguments.of("/api/metrics", true, 200),
                Arguments.of("/api/metrics/absent/series", true, 404),
                Arguments.of("/api/metrics/absent/points", true, 404),
                Arguments.of("/api/metrics/absent/heatmap?limit=0", true, 400),
                Arguments.of("/api/stats", true, 200),
                Arguments.of("/api/services", true, 200),
                Arguments.of("/api/services?start=soon", true, 400),
                Arguments.of("/", true, 200),
                Arguments.of("/", false, 401),
                Arguments.of("/?token=TOKEN", false, 302),
                Arguments.of("/app.js", true, 200),
                Arguments.of("/app.css", true, 200),
                Arguments.of("/app.css", false, 401));
    }

    /**
     * HEAD answers what GET answers — status, Content-Type, Content-Length and the other headers — with no body. It
     * was Javalin's empty 200 text/plain without running the route: 200 where GET is 400, 401 or 404.
     */
    @ParameterizedTest(name = "{0} token={1}")
    @MethodSource("getTargets")
    void headAnswersAsGetWouldWithoutTheBody(String target, boolean withToken, int status) throws IOException {
        String t = target.replace("TOKEN", console.token());
        RawHttp.Response get = send("GET", t, withToken);
        RawHttp.Response head = send("HEAD", t, withToken);

        assertThat(get.status()).as("GET %s: %s", target, get).isEqualTo(status);
        assertThat(head.status()).as("HEAD %s: %s", target, head).isEqualTo(status);
        // Content-Length where GET has one (Javalin streams a larger answer, such as app.js, chunked; so does HEAD).
        for (String name : new String[] {
            "Content-Type",
            "Content-Length",
            "Transfer-Encoding",
            "WWW-Authenticate",
            "Location",
            "Cache-Control",
            "Content-Security-Policy"
        }) {
            assertThat(head.header(name)).as("HEAD %s: %s", target, name).isEqualTo(get.header(name));
        }
        if (status != 302) {
            assertThat(get.body()).as("GET %s", target).isNotEmpty();
        }
        assertThat(head.body()).as("HEAD %s", target).isEmpty();
    }
}
