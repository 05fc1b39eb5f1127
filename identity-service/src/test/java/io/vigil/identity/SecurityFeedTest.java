package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.identity.internal.Jwt;
import io.vigil.identity.internal.Role;
import io.vigil.test.MetricSamples;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * The live security feed ({@code GET /api/v1/ws/security-events}) on the embedded database, driven by
 * the JDK's WebSocket client: events as they happen, the refusals, the limits, and the telemetry of
 * each (metrics, spans linked to the handshake, MDC of the handlers' log lines).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityFeedTest {
    private static final String PATH = FeedClient.PATH;
    private TestService s;
    private String admin;
    private String adminId;

    @BeforeAll
    void start() {
        s = new TestService(TestDatabases.h2(), new SecurityFeedConfig(2, 5, 4096));
        admin = s.adminToken();
        adminId = s.api.get("/api/v1/users/me", admin).json().get("id").asString();
    }

    @AfterAll
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    private MetricSamples metrics() {
        return MetricSamples.parse(s.management.get("/metrics", null).text());
    }

    private double metric(String name, String... labels) {
        Map<String, String> l = new HashMap<>();
        l.put("endpoint", PATH);
        for (int i = 0; i < labels.length; i += 2) {
            l.put(labels[i], labels[i + 1]);
        }
        return metrics().find(name, l).map(MetricSamples.Sample::value).orElse(0.0);
    }

    private String register(String email) {
        Api.Response r = s.api.post(
                "/api/v1/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Feed"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    @Test
    void anAdminSeesALockoutCausedByFailedLoginsAsItHappens() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            FeedClient feed = FeedClient.open(
                    s.service.port(),
                    "Authorization",
                    "Bearer " + admin,
                    "X-Request-ID",
                    "req-feed-1",
                    "traceparent",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            feed.ping();
            feed.send("{\"type\":\"subscribe\",\"events\":[\"account_locked\",\"role_changed\"]}");
            JsonNode subscribed = feed.next("subscribed");
            assertThat(subscribed.get("events").toString()).contains("account_locked", "role_changed");

            String email = uniqueEmail();
            String id = register(email);
            for (int i = 0; i < 3; i++) { // the test service locks after 3
                s.api.post("/api/v1/auth/login", Map.of("email", email, "password", "wrong password!"), null);
            }
            JsonNode event = feed.next("event").get("event");
            assertThat(event.get("type").asString()).isEqualTo("account_locked");
            assertThat(event.get("severity").asString()).isEqualTo("high");
            assertThat(event.get("user_id").asString()).isEqualTo(id);
            assertThat(event.get("request_id").asString()).isNotBlank();
            assertThat(event.get("details").get("failed_attempts").asInt()).isEqualTo(3);

            // Ping and subscribe ran as message spans linked to the handshake (the upgrade request's span).
            SpanData ping = connectionSpan("WS " + PATH + " ping", "req-feed-1");
            String handshakeId = ping.getLinks().getFirst().getSpanContext().getSpanId();
            SpanData handshake = s.spans.getFinishedSpanItems().stream()
                    .filter(sp -> sp.getSpanId().equals(handshakeId))
                    .findFirst()
                    .orElseThrow();
            assertThat(handshake.getName()).isEqualTo("GET " + PATH);
            assertThat(handshake.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
            for (String handler : List.of("ping", "subscribe")) {
                SpanData m = connectionSpan("WS " + PATH + " " + handler, "req-feed-1");
                assertThat(m.getKind()).isEqualTo(SpanKind.SERVER);
                assertThat(m.getLinks())
                        .singleElement()
                        .satisfies(
                                l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(handshakeId));
                assertThat(m.getAttributes().asMap().toString()).contains(adminId);
            }
            // The subscribe handler's log line carries the connection's request id and user id.
            ILoggingEvent line = logs.all().stream()
                    .filter(e -> e.getFormattedMessage().startsWith("Security feed subscription"))
                    .findFirst()
                    .orElseThrow();
            assertThat(line.getMDCPropertyMap())
                    .containsEntry("request_id", "req-feed-1")
                    .containsEntry("user_id", adminId)
                    .containsKey("message_id");
            // A type the subscription does not name is not pushed; one it names is.
            s.api.post("/api/v1/users/" + id + "/deactivate", null, admin);
            Api.Response promoted = s.api.send(
                    "PATCH",
                    "/api/v1/users/" + register(uniqueEmail()),
                    "{\"role\":\"admin\"}",
                    "application/json",
                    admin,
                    Map.of());
            assertThat(promoted.status()).as(promoted.text()).isEqualTo(200);
            assertThat(feed.next("event").get("event").get("type").asString()).isEqualTo("role_changed");
            feed.close();

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(metric("ws_connections_total", "status", "accepted")).isGreaterThanOrEqualTo(1);
                assertThat(metric("ws_messages_received_total", "handler", "ping"))
                        .isGreaterThanOrEqualTo(1);
                assertThat(metric("ws_messages_received_total", "handler", "subscribe"))
                        .isGreaterThanOrEqualTo(1);
                assertThat(metric("ws_messages_sent_total", "handler", "event")).isGreaterThanOrEqualTo(2);
                assertThat(metric("ws_messages_sent_total", "handler", "pong")).isGreaterThanOrEqualTo(1);
                assertThat(metric("ws_message_processing_duration_seconds_count", "handler", "ping"))
                        .isGreaterThanOrEqualTo(1);
            });
        }
    }

    @Test
    void aBrowserPassesTheTokenAsASubprotocolAndTheServerSelectsTheOtherOne() throws Exception {
        FeedClient feed =
                FeedClient.openOffering(s.service.port(), new String[] {"security-events.v1", "bearer." + admin});
        assertThat(feed.ws.subprotocol()).isEqualTo("security-events.v1");
        feed.ping();
        feed.close();
    }

    @Test
    void aSubprotocolTheFeedDoesNotSpeakIsNeverSelected() throws Exception {
        FeedClient feed = FeedClient.openOffering(s.service.port(), new String[] {"chat.v9", "bearer." + admin});
        assertThat(feed.ws.subprotocol()).isEmpty();
        feed.ping();
        feed.close();
        FeedClient both = FeedClient.openOffering(
                s.service.port(), new String[] {"chat.v9", "bearer." + admin, "security-events.v1"});
        assertThat(both.ws.subprotocol()).isEqualTo("security-events.v1");
        both.close();
    }

    @Test
    void noTokenABadTokenAndANonAdminAreRefusedAtTheHandshake() throws Exception {
        double before = metric("ws_connections_total", "status", "rejected_auth");
        assertThat(refusedStatus()).isEqualTo(401);
        assertThat(refusedStatus("Authorization", "Bearer not.a.token")).isEqualTo(401);
        String user = s.tokenOfNewUser(uniqueEmail(), PASSWORD);
        assertThat(refusedStatus("Authorization", "Bearer " + user)).isEqualTo(403);
        // A token in the query string is not read (it would be in every access log).
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class,
                () -> FeedClient.attempt(
                                java.net.URI.create(FeedClient.uri(s.service.port()) + "?access_token=" + admin))
                        .get(20, TimeUnit.SECONDS));
        assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
                .isEqualTo(401);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> metric("ws_connections_total", "status", "rejected_auth") == before + 4);
        MetricSamples m = metrics();
        assertThat(m.require("http_requests_total", Map.of("method", "GET", "endpoint", PATH, "status_code", "403")))
                .isGreaterThanOrEqualTo(1);
        assertThat(m.require(
                        "authorization_checks_total",
                        Map.of("resource", "security_events", "action", "subscribe", "is_authorized", "false")))
                .isGreaterThanOrEqualTo(1);
    }

    private int refusedStatus(String... headers) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class,
                () -> FeedClient.attempt(FeedClient.uri(s.service.port()), headers)
                        .get(20, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        WebSocketHandshakeException h = (WebSocketHandshakeException) e.getCause();
        assertThat(h.getResponse().headers().firstValue("Content-Type"))
                .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        return h.getResponse().statusCode();
    }

    @Test
    void aThirdFeedOfOneAdminIsClosedWith1008() throws Exception {
        // Another admin, so the other tests' feeds do not count against this one's limit.
        Admin ops = newAdmin();
        String email = ops.email();
        String token = s.api.login(email, PASSWORD).get("access_token").asString();
        double limited = metric("ws_connections_total", "status", "rejected_limit");
        FeedClient one = FeedClient.open(s.service.port(), "Authorization", "Bearer " + token);
        FeedClient two = FeedClient.open(s.service.port(), "Authorization", "Bearer " + token);
        one.ping();
        two.ping();
        FeedClient three = FeedClient.open(s.service.port(), "Authorization", "Bearer " + token);
        assertThat(three.closeCode()).isEqualTo(1008);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> metric("ws_connections_total", "status", "rejected_limit") == limited + 1);
        assertThat(metrics()
                        .require(
                                "rate_limit_hits_total",
                                Map.of("limit_type", "websocket_connection", "endpoint", PATH)))
                .isGreaterThanOrEqualTo(1);
        // The demoted admin's open feeds end at once.
        String id = ops.id();
        Api.Response demoted =
                s.api.send("PATCH", "/api/v1/users/" + id, "{\"role\":\"user\"}", "application/json", admin, Map.of());
        assertThat(demoted.status()).as(demoted.text()).isEqualTo(200);
        assertThat(one.closeCode()).isEqualTo(1008);
        assertThat(two.closeCode()).isEqualTo(1008);
    }

    @Test
    void aFeedEndsWith1008WhenItsAccessTokenExpiresWhileOneOfALongLivedTokenStaysOpen() throws Exception {
        // Access tokens of 4 s, and every open feed's token checked again every 300 ms (the backstop).
        try (TestService shortLived = new TestService(
                        TestDatabases.h2(),
                        b -> b.accessTokenTtl(Duration.ofSeconds(4)),
                        java.time.Clock.systemUTC(),
                        new SecurityFeedConfig(5, 10, 4096, Duration.ofMillis(300)));
                LogCapture logs = new LogCapture()) {
            String id = shortLived
                    .api
                    .get("/api/v1/users/me", shortLived.adminToken())
                    .json()
                    .get("id")
                    .asString();
            // The same administrator, tokens minted with the service's key and session: one of an hour, and one of
            // the service's 4 s minted just before its feed opens (one from a login before the request above left
            // a loaded machine too little of its 3-4 s for the handshake and the ping).
            Jwt jwt = new Jwt(TestService.SIGNING_KEY, "identity-service");
            Jwt.Issued hour = jwt.issue(id, Role.ADMIN, 0, Instant.now(), Duration.ofHours(1));
            String token = jwt.issue(id, Role.ADMIN, 0, Instant.now(), Duration.ofSeconds(4))
                    .token();
            FeedClient expiring = FeedClient.open(shortLived.service.port(), "Authorization", "Bearer " + token);
            FeedClient lasting = FeedClient.open(shortLived.service.port(), "Authorization", "Bearer " + hour.token());
            expiring.ping();
            lasting.ping();
            Instant exp = com.nimbusds.jwt.SignedJWT.parse(token)
                    .getJWTClaimsSet()
                    .getExpirationTime()
                    .toInstant();

            assertThat(expiring.closeCode()).isEqualTo(1008);
            Instant closedAt = Instant.now();
            assertThat(expiring.closeReason()).isEqualTo("token expired");
            // Not before the token's exp (whole seconds), and soon after it.
            assertThat(closedAt).isAfterOrEqualTo(exp).isBefore(exp.plusSeconds(5));
            String path = PATH;
            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(MetricSamples.parse(shortLived
                                            .management
                                            .get("/metrics", null)
                                            .text())
                                    .find("ws_connections_closed_total", Map.of("endpoint", path, "close_code", "1008"))
                                    .map(MetricSamples.Sample::value)
                                    .orElse(0.0))
                            .isEqualTo(1.0));
            assertThat(logs.events(Map.of("security_event_type", "websocket_token_expired")))
                    .singleElement()
                    .satisfies(f -> assertThat(f)
                            .containsEntry("event_type", "security")
                            .containsEntry("close_code", 1008));
            assertThat(logs.all().stream()
                            .filter(e -> e.getFormattedMessage().startsWith("Security feed closed: its access token"))
                            .findFirst()
                            .orElseThrow()
                            .getMDCPropertyMap())
                    .containsEntry("user_id", id)
                    .containsKey("request_id");

            // The feed of the long-lived token outlived it, through several rechecks.
            lasting.ping();
            assertThat(lasting.isClosed()).isFalse();

            // A feed the client closes takes its expiry timer with it: only the periodic recheck and ping, and
            // the lasting feed's timer stay queued.
            List<FeedClient> brief = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                brief.add(FeedClient.open(shortLived.service.port(), "Authorization", "Bearer " + hour.token()));
            }
            for (FeedClient c : brief) {
                c.ping();
                c.close();
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(shortLived.service.feed().connections()).isEqualTo(1);
                assertThat(shortLived.service.feed().pendingTimers()).isEqualTo(3);
            });

            // Revoked behind the service's back (no bus message): the periodic recheck ends it.
            try (java.sql.Connection c = TestDatabases.connect(shortLived.databaseUrl);
                    java.sql.PreparedStatement ps =
                            c.prepareStatement("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)")) {
                ps.setString(1, hour.tokenId());
                ps.setTimestamp(2, java.sql.Timestamp.from(hour.expiresAt()));
                ps.executeUpdate();
            }
            assertThat(lasting.closeCode()).isEqualTo(1008);
            assertThat(lasting.closeReason()).isEqualTo("token revoked");
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> shortLived.service.feed().pendingTimers() == 2);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> logs.events(Map.of("security_event_type", "websocket_token_revoked"))
                                    .size()
                            == 1);
        }
    }

    @Test
    void logoutEndsTheFeedOpenedWithThatTokenAtOnceAndNoOther() throws Exception {
        Admin ops = newAdmin();
        String email = ops.email();
        String first = s.api.login(email, PASSWORD).get("access_token").asString();
        String second = s.api.login(email, PASSWORD).get("access_token").asString();
        FeedClient loggedOut = FeedClient.open(s.service.port(), "Authorization", "Bearer " + first);
        FeedClient other = FeedClient.open(s.service.port(), "Authorization", "Bearer " + second);
        loggedOut.ping();
        other.ping();

        // The service rechecks every 30 s: a close within the await comes from the revocation itself.
        assertThat(s.api.post("/api/v1/auth/logout", null, first).status()).isEqualTo(204);
        assertThat(loggedOut.closeCode()).isEqualTo(1008);
        assertThat(loggedOut.closeReason()).isEqualTo("token revoked");
        other.ping();
        assertThat(other.isClosed()).isFalse();

        // A password change ends every session of the user, so the other feed too.
        Api.Response changed = s.api.send(
                "PUT",
                "/api/v1/users/me/password",
                "{\"current_password\":\"" + PASSWORD + "\",\"new_password\":\"another passphrase 2024\"}",
                "application/json",
                second,
                Map.of());
        assertThat(changed.status()).as(changed.text()).isEqualTo(204);
        assertThat(other.closeCode()).isEqualTo(1008);
        assertThat(other.closeReason()).isEqualTo("token revoked");
    }

    @Test
    void aFloodOfMessagesBeyondTheRateIsDroppedAndCounted() throws Exception {
        FeedClient feed = FeedClient.open(s.service.port(), "Authorization", "Bearer " + admin);
        double hitsBefore = messageHits();
        double handledBefore = metric("ws_message_processing_duration_seconds_count", "handler", "ping");
        double receivedBefore = metric("ws_messages_received_total", "handler", "ping");
        int sent = 40;
        for (int i = 0; i < sent; i++) {
            feed.send("{\"type\":\"ping\"}");
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> metric("ws_messages_received_total", "handler", "ping") == receivedBefore + sent);
        double handled = metric("ws_message_processing_duration_seconds_count", "handler", "ping") - handledBefore;
        assertThat(handled).isPositive().isLessThan(sent);
        assertThat(messageHits() - hitsBefore).isEqualTo(sent - handled);
        // The connection stays open: messages beyond the rate are dropped, not fatal.
        assertThat(feed.isClosed()).isFalse();
        feed.close();
    }

    private record Admin(String email, String id) {}

    /** Another admin (created by the first), so the other tests' feeds do not count against its limits. */
    private Admin newAdmin() {
        String email = uniqueEmail();
        Api.Response created = s.api.post(
                "/api/v1/users",
                Map.of("email", email, "password", PASSWORD, "full_name", "Ops", "role", "admin"),
                admin);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return new Admin(email, created.json().get("id").asString());
    }

    private double messageHits() {
        return metrics()
                .find("rate_limit_hits_total", Map.of("limit_type", "websocket_message", "endpoint", PATH))
                .map(MetricSamples.Sample::value)
                .orElse(0.0);
    }

    private SpanData connectionSpan(String name, String requestId) {
        return s.spans.getFinishedSpanItems().stream()
                .filter(sp -> sp.getName().equals(name)
                        && requestId.equals(sp.getAttributes().asMap().entrySet().stream()
                                .filter(e -> e.getKey().getKey().equals("request.id"))
                                .map(e -> String.valueOf(e.getValue()))
                                .findFirst()
                                .orElse(null)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " of " + requestId));
    }
}
