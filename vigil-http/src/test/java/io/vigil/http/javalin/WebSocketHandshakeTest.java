package io.vigil.http.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.javalin.Javalin;
import io.javalin.http.UnauthorizedResponse;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.websocket.WebSocketTelemetry;
import io.vigil.test.RawHttp;
import io.vigil.test.VigilExtension;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a WebSocket route of a Javalin application with {@link VigilJavalinPlugin} answers to requests that are no
 * valid opening handshake (RFC 6455 §4.1, §4.2.1, §4.4), over raw sockets: each is an RFC 9457 problem with the
 * status and headers the RFCs ask for, counted under the WebSocket route, before authentication; and no request to a
 * WebSocket route, refused or accepted, makes the server create an HTTP session (a {@code Set-Cookie}).
 */
class WebSocketHandshakeTest {
    private static final String ROUTE = "/ws/chat/{room}";
    private static final String PATH = "/ws/chat/lobby";
    /** RFC 6455 §1.3's example key: base64 of 16 bytes. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private Javalin app;
    private URI base;

    @BeforeEach
    void start() {
        VigilJavalinWebSocket ws = new VigilJavalinWebSocket(WebSocketTelemetry.create(telemetry.runtime()));
        app = Javalin.create(config -> {
                    config.registerPlugin(new VigilJavalinPlugin(HttpServerTelemetry.create(telemetry.runtime())));
                    config.routes.wsBeforeUpgrade(ROUTE, ws.beforeUpgrade(ctx -> {
                        String user = ctx.header("X-User");
                        if (user == null) {
                            throw new UnauthorizedResponse();
                        }
                        RequestContext.current().ifPresent(r -> r.userId(user));
                    }));
                    config.routes.ws(ROUTE, ws.instrument(h -> h.onMessage(ctx -> ctx.send("ok"))));
                    // A path served both ways: its plain HTTP requests stay the HTTP route's.
                    config.routes.get("/both", ctx -> ctx.result("plain"));
                    config.routes.ws("/both", ws.instrument(h -> h.onMessage(ctx -> ctx.send("ok"))));
                })
                .start("127.0.0.1", 0);
        base = URI.create("http://127.0.0.1:" + app.port());
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private static String upgrade(String method, String path, String version, String key) {
        return method + " " + path + " HTTP/1.1\r\nHost: x\r\nX-User: alice\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + (version == null ? "" : "Sec-WebSocket-Version: " + version + "\r\n")
                + (key == null ? "" : "Sec-WebSocket-Key: " + key + "\r\n")
                + "\r\n";
    }

    private RawHttp.Response send(String request) throws IOException {
        // Every refusal closes nothing by itself: the client's half-close ends the exchange after the answer.
        return RawHttp.send(base, request, false);
    }

    /** Asserts an RFC 9457 answer of {@code status} with no session cookie. */
    private static void problem(RawHttp.Response r, int status) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("%s", r).isEqualTo("application/problem+json");
        assertThat(r.body()).contains("\"status\":" + status).doesNotContain("not supported by this URL");
        assertThat(r.header("Set-Cookie")).as("%s", r).isNull();
    }

    /** Waits for the count: a request is counted as it ends, which may be just after its answer arrived. */
    private void awaitRequests(String method, String status, double count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> requests(method, status) == count);
    }

    private double requests(String method, String status) {
        return telemetry
                .metrics()
                .find("http_requests_total", Map.of("method", method, "endpoint", ROUTE, "status_code", status))
                .map(s -> s.value())
                .orElse(0.0);
    }

    @Test
    void anUnsupportedVersionIs426NamingTheVersionTheServerSpeaks() throws Exception {
        RawHttp.Response r = send(upgrade("GET", PATH, "99", KEY));
        problem(r, 426);
        assertThat(r.header("Sec-WebSocket-Version")).isEqualTo("13");
        assertThat(r.body()).contains("Sec-WebSocket-Version");
        assertThat(r.header("Upgrade")).isEqualTo("websocket");
        // No version at all: the same answer, naming the one the server speaks.
        RawHttp.Response none = send(upgrade("GET", PATH, null, KEY));
        problem(none, 426);
        assertThat(none.header("Sec-WebSocket-Version")).isEqualTo("13");
        awaitRequests("GET", "426", 2);
        // A handshake refused for its form is no connection attempt of the WebSocket metrics.
        assertThat(telemetry.metrics().find("ws_connections_total", Map.of("endpoint", ROUTE)))
                .isEmpty();
    }

    @Test
    void aPlainGetIs426AskingForTheWebSocketUpgrade() throws Exception {
        RawHttp.Response r = send("GET " + PATH + " HTTP/1.1\r\nHost: x\r\nX-User: alice\r\nConnection: close\r\n\r\n");
        problem(r, 426);
        assertThat(r.header("Upgrade")).isEqualTo("websocket");
        assertThat(r.header("Connection")).containsIgnoringCase("upgrade");
        // A version header alone is no upgrade either.
        RawHttp.Response versionOnly = send("GET " + PATH + " HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: " + KEY + "\r\nConnection: close\r\n\r\n");
        problem(versionOnly, 426);
        assertThat(versionOnly.header("Upgrade")).isEqualTo("websocket");
        awaitRequests("GET", "426", 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
    void anotherMethodIs405AllowingGet(String method) throws Exception {
        String plain = method + " " + PATH + " HTTP/1.1\r\nHost: x\r\nX-User: alice\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n";
        RawHttp.Response r = send(plain);
        assertThat(r.status()).as("%s", r).isEqualTo(405);
        assertThat(r.header("Allow")).isEqualTo("GET");
        assertThat(r.header("Set-Cookie")).isNull();
        if (!method.equals("HEAD")) {
            problem(r, 405);
        }
        // With the upgrade's headers too: an opening handshake is a GET (RFC 6455 §4.1).
        RawHttp.Response upgrade =
                send(upgrade(method, PATH, "13", KEY).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
        assertThat(upgrade.status()).as("%s", upgrade).isEqualTo(405);
        assertThat(upgrade.header("Allow")).isEqualTo("GET");
        awaitRequests(method, "405", 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"short", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZSE=", "!!!!!!!!!!!!!!!!!!!!!!=="})
    void aKeyThatIsNotBase64OfSixteenBytesIs400(String key) throws Exception {
        RawHttp.Response r = send(upgrade("GET", PATH, "13", key));
        problem(r, 400);
        assertThat(r.body()).contains("Sec-WebSocket-Key");
        awaitRequests("GET", "400", 1);
    }

    @Test
    void aMissingOrRepeatedKeyIs400() throws Exception {
        problem(send(upgrade("GET", PATH, "13", null)), 400);
        problem(
                send(upgrade("GET", PATH, "13", KEY).replace("\r\n\r\n", "\r\nSec-WebSocket-Key: " + KEY + "\r\n\r\n")),
                400);
    }

    @Test
    void aValidHandshakeIsUpgradedAndNeitherItNorItsRefusalCreatesASession() throws Exception {
        Head accepted = handshake(upgrade("GET", PATH, "13", KEY));
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(101);
        assertThat(accepted.text()).containsIgnoringCase("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertThat(accepted.text()).doesNotContainIgnoringCase("Set-Cookie");

        // Refused by the application's authentication after the handshake was found valid.
        RawHttp.Response refused = send(upgrade("GET", PATH, "13", KEY).replace("X-User: alice\r\n", ""));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.header("Set-Cookie")).isNull();
        // A WebSocket request to a path no route serves.
        RawHttp.Response nowhere = send(upgrade("GET", "/nowhere", "13", KEY));
        assertThat(nowhere.status()).isEqualTo(404);
        assertThat(nowhere.header("Set-Cookie")).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"x=%zz", "x=%C3%28", "%zz=1", "x=%4"})
    void anUpgradeWithAMalformedQueryIs400BeforeTheUpgradeAndBeforeAuthentication(String query) throws Exception {
        RawHttp.Response r = send(upgrade("GET", PATH + "?" + query, "13", KEY));
        problem(r, 400);
        assertThat(r.body()).containsAnyOf("percent-encoding", "UTF-8");
        // Refused for its form whoever sends it: the application's authentication (a 401 here) never runs.
        RawHttp.Response anonymous =
                send(upgrade("GET", PATH + "?" + query, "13", KEY).replace("X-User: alice\r\n", ""));
        problem(anonymous, 400);
        awaitRequests("GET", "400", 2);
        assertThat(telemetry.metrics().find("ws_connections_total", Map.of("endpoint", ROUTE)))
                .isEmpty();
        // A query that decodes is upgraded as before.
        Head accepted = handshake(upgrade("GET", PATH + "?x=%41&y=%C3%A9", "13", KEY));
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(101);
    }

    @Test
    void anUpgradeWithTwoDifferentAuthorizationsIs400BeforeTheUpgrade() throws Exception {
        RawHttp.Response r = send(upgrade("GET", PATH, "13", KEY)
                .replace(
                        "X-User: alice\r\n",
                        "X-User: alice\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n"));
        problem(r, 400);
        assertThat(r.body()).contains("2 Authorization header fields with different values");
        awaitRequests("GET", "400", 1);
        assertThat(telemetry.metrics().find("ws_connections_total", Map.of("endpoint", ROUTE)))
                .isEmpty();
    }

    @Test
    void aPathThatIsAlsoAnHttpRouteKeepsItsPlainRequests() throws Exception {
        RawHttp.Response plain = send("GET /both HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("plain");
        // Its handshakes are still checked.
        problem(send(upgrade("GET", "/both", "99", KEY)), 426);
    }

    private record Head(int status, String text) {}

    private Head handshake(String request) throws IOException {
        String text = RawHttp.handshakeHead(base, request);
        return new Head(Integer.parseInt(text.substring(9, 12)), text);
    }
}
