package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.vigil.identity.internal.Jwt;
import io.vigil.identity.internal.Role;
import io.vigil.test.MetricSamples;
import io.vigil.test.RawHttp;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * The security feed's route ({@code /api/v1/ws/security-events}) against clients that do not speak its protocol
 * right, as an outside tester found them, with a valid administrator's token each time: what it answers over raw
 * sockets (RFC 6455 and RFC 9110 statuses as problem+json, never a session cookie), and how a binary frame and a
 * client that vanishes are counted and logged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityFeedHandshakeTest {
    private static final String PATH = FeedClient.PATH;
    /** RFC 6455 §1.3's example key: base64 of 16 bytes. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private TestService s;
    private String admin;
    private URI base;

    @BeforeAll
    void start() {
        s = new TestService(TestDatabases.h2(), new SecurityFeedConfig(2, 5, 4096));
        admin = s.adminToken();
        base = URI.create("http://127.0.0.1:" + s.service.port());
    }

    @AfterAll
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    private String upgrade(String method, String version, String key) {
        return method + " " + PATH + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: " + version + "\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n\r\n";
    }

    /** Asserts a problem+json answer of {@code status} that sets no cookie; returns the problem. */
    private static JsonNode problem(RawHttp.Response r, int status) {
        assertThat(r.status()).as("%s", r).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("%s", r).startsWith("application/problem+json");
        assertThat(r.header("Set-Cookie")).as("%s", r).isNull();
        JsonNode p = Api.JSON.readTree(r.body());
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("title").asString()).isNotBlank();
        assertThat(p.get("request_id").asString()).isEqualTo(r.header("X-Request-ID"));
        return p;
    }

    @Test
    void twoAuthorizationHeadersAreABadRequestAsOnEveryRoute() throws Exception {
        String request = upgrade("GET", "13", KEY).replace("\r\n\r\n", "\r\nAuthorization: Bearer x\r\n\r\n");
        JsonNode p = problem(RawHttp.send(base, request, false), 400);
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:bad-request");
        assertThat(p.get("detail").asString()).contains("2 Authorization header fields with different values");
        // The same value twice passes the plugin; this API still takes one credential.
        String same = upgrade("GET", "13", KEY).replace("\r\n\r\n", "\r\nAuthorization: Bearer " + admin + "\r\n\r\n");
        JsonNode q = problem(RawHttp.send(base, same, false), 400);
        assertThat(q.get("detail").asString()).contains("more than one Authorization header");
    }

    private double metric(String name, String... labels) {
        Map<String, String> l = new HashMap<>();
        l.put("endpoint", PATH);
        for (int i = 0; i < labels.length; i += 2) {
            l.put(labels[i], labels[i + 1]);
        }
        return MetricSamples.parse(s.management.get("/metrics", null).text())
                .find(name, l)
                .map(MetricSamples.Sample::value)
                .orElse(0.0);
    }

    private void awaitMetric(double expected, String name, String... labels) {
        // A request or a close is counted as it ends, which may be just after the client saw it.
        await().atMost(Duration.ofSeconds(20)).until(() -> metric(name, labels) == expected);
    }

    @Test
    void anUnsupportedVersionIs426NamingVersion13() throws Exception {
        double before = metric("http_requests_total", "method", "GET", "status_code", "426");
        RawHttp.Response r = RawHttp.send(base, upgrade("GET", "99", KEY), false);
        problem(r, 426);
        assertThat(r.header("Sec-WebSocket-Version")).isEqualTo("13");
        assertThat(r.body()).doesNotContain("not supported by this URL");
        awaitMetric(before + 1, "http_requests_total", "method", "GET", "status_code", "426");
    }

    @Test
    void aPostIs405AllowingGet() throws Exception {
        RawHttp.Response r = RawHttp.send(
                base,
                "POST " + PATH + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin + "\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
                false);
        problem(r, 405);
        assertThat(r.header("Allow")).isEqualTo("GET");
    }

    @Test
    void aPlainGetIs426AskingForTheWebSocketUpgrade() throws Exception {
        RawHttp.Response r = RawHttp.send(
                base, "GET " + PATH + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin + "\r\n\r\n", false);
        problem(r, 426);
        assertThat(r.header("Upgrade")).isEqualTo("websocket");
        assertThat(r.header("Connection")).containsIgnoringCase("upgrade");
    }

    @Test
    void aKeyThatIsNotBase64OfSixteenBytesIs400() throws Exception {
        JsonNode p = problem(RawHttp.send(base, upgrade("GET", "13", "short"), false), 400);
        assertThat(p.get("detail").asString()).contains("Sec-WebSocket-Key");
    }

    @Test
    void anUpgradeWithAMalformedQueryIs400AsOnEveryRoute() throws Exception {
        double before = metric("http_requests_total", "method", "GET", "status_code", "400");
        String request = upgrade("GET", "13", KEY).replace(PATH + " ", PATH + "?since=%zz ");
        JsonNode p = problem(RawHttp.send(base, request, false), 400);
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:invalid-query-parameter");
        assertThat(p.get("detail").asString()).contains("'since'").contains("percent-encoding");
        // Before authentication, as on the HTTP routes: no token at all gets the same answer, not a 401.
        problem(RawHttp.send(base, request.replace("Authorization: Bearer " + admin + "\r\n", ""), false), 400);
        awaitMetric(before + 2, "http_requests_total", "method", "GET", "status_code", "400");
    }

    @Test
    void aRefusedUpgradeOfferingAnotherProtocolTooHasItsProblemBody() throws Exception {
        // Upgrade lists websocket among others: still an opening handshake (RFC 9110 section 7.8), refused with a body.
        String request = upgrade("GET", "13", KEY)
                .replace("Upgrade: websocket\r\n", "Upgrade: websocket, h2c\r\n")
                .replace("Authorization: Bearer " + admin + "\r\n", "");
        JsonNode p = problem(RawHttp.send(base, request, false), 401);
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:missing-token");
    }

    @Test
    void aTokenPastItsExpWithinTheClockSkewIsRefused401NotOpenedToBeClosed() throws Exception {
        String id = s.api.get("/api/v1/users/me", admin).json().get("id").asString();
        Jwt.Issued issued = new Jwt(TestService.SIGNING_KEY, "identity-service")
                .issue(id, Role.ADMIN, 0, Instant.now(), Duration.ofSeconds(1));
        Instant exp = com.nimbusds.jwt.SignedJWT.parse(issued.token())
                .getJWTClaimsSet()
                .getExpirationTime()
                .toInstant();
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(exp));
        double before = metric("ws_connections_total", "status", "rejected_auth");
        JsonNode p = problem(RawHttp.send(base, upgrade("GET", "13", KEY).replace(admin, issued.token()), false), 401);
        assertThat(p.get("type").asString()).isEqualTo("urn:vigil:problem:token-expired");
        awaitMetric(before + 1, "ws_connections_total", "status", "rejected_auth");
    }

    @Test
    void aQuietFeedIsPingedSoJettysIdleTimeoutDoesNotEndIt() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.service.port())) {
            socket.setSoTimeout(30_000); // Jetty's idle timeout: without pings the feed ends (1001) first
            var out = socket.getOutputStream();
            var in = new java.io.DataInputStream(socket.getInputStream());
            out.write(upgrade("GET", "13", KEY).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) {
                head.append((char) in.readUnsignedByte());
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101 ");
            // Nothing is sent and no event happens: the first frame from the server is a ping.
            int opcode = in.readUnsignedByte() & 0x0f;
            int length = in.readUnsignedByte() & 0x7f;
            in.skipNBytes(length);
            assertThat(opcode).as("opcode").isEqualTo(0x9);
        }
    }

    @Test
    void neitherAnOpenedFeedNorARefusedOneSetsACookie() throws Exception {
        String accepted = RawHttp.handshakeHead(base, upgrade("GET", "13", KEY));
        assertThat(accepted).startsWith("HTTP/1.1 101 ").doesNotContainIgnoringCase("Set-Cookie");
        RawHttp.Response refused = RawHttp.send(base, upgrade("GET", "13", KEY).replace(admin, "not-a-token"), false);
        problem(refused, 401);
    }

    @Test
    void aBinaryFrameClosesTheFeedWith1003() {
        double closedBefore = metric("ws_connections_closed_total", "close_code", "1003");
        double errorsBefore = metric("ws_message_errors_total", "error_type", "bad_frame");
        FeedClient feed = FeedClient.open(s.service.port(), "Authorization", "Bearer " + admin);
        feed.ping();
        feed.ws.webSocket().sendBinary(ByteBuffer.wrap(new byte[] {'{', '}'}), true);
        assertThat(feed.closeCode()).isEqualTo(1003);
        awaitMetric(closedBefore + 1, "ws_connections_closed_total", "close_code", "1003");
        assertThat(metric("ws_message_errors_total", "error_type", "bad_frame")).isEqualTo(errorsBefore + 1);
    }

    @Test
    void aClientThatDropsItsConnectionIsCountedWithoutAWarningOrStackTrace() {
        try (LogCapture logs = new LogCapture()) {
            double closedBefore = metric("ws_connections_closed_total", "close_code", "1006");
            double errorsBefore = metric("ws_message_errors_total", "error_type", "io_error");
            FeedClient feed = FeedClient.open(s.service.port(), "Authorization", "Bearer " + admin);
            feed.ping();
            feed.ws.abort(); // no close frame: the TCP connection just ends

            awaitMetric(closedBefore + 1, "ws_connections_closed_total", "close_code", "1006");
            assertThat(metric("ws_message_errors_total", "error_type", "io_error"))
                    .isEqualTo(errorsBefore + 1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> logs.lines().stream().anyMatch(l -> l.startsWith("Security feed closed with 1006")));
            assertThat(logs.all())
                    .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .noneMatch(e -> e.getLoggerName().startsWith("vigil.http.websocket")
                            || e.getThrowableProxy() != null
                                    && e.getThrowableProxy().getClassName().endsWith("ClosedChannelException"));
        }
    }
}
