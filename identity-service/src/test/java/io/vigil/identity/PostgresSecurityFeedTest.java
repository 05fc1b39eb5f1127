package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * Two instances on one PostgreSQL schema: a security event raised on one reaches the feeds connected
 * to the other (LISTEN/NOTIFY), and a third instance on another schema hears nothing of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresSecurityFeedTest {
    private String url;
    private String otherUrl;
    private TestService a;
    private TestService b;
    private TestService other;

    @BeforeAll
    void start() {
        url = TestDatabases.freshPostgresSchema();
        otherUrl = TestDatabases.freshPostgresSchema();
        a = new TestService(url);
        b = new TestService(url);
        other = new TestService(otherUrl);
    }

    @AfterAll
    void stop() {
        for (TestService s : new TestService[] {other, b, a}) {
            if (s != null) {
                s.close();
            }
        }
        for (String u : new String[] {url, otherUrl}) {
            if (u != null) {
                TestDatabases.dropPostgresSchema(u);
            }
        }
    }

    @Test
    void aLockoutOnInstanceAReachesTheFeedOnInstanceB() throws Exception {
        FeedClient onB = FeedClient.open(b.service.port(), "Authorization", "Bearer " + b.adminToken());
        FeedClient onA = FeedClient.open(a.service.port(), "Authorization", "Bearer " + a.adminToken());
        FeedClient elsewhere = FeedClient.open(other.service.port(), "Authorization", "Bearer " + other.adminToken());
        onB.ping();
        onA.ping();
        elsewhere.ping();

        String email = uniqueEmail();
        Api.Response r = a.api.post(
                "/api/v1/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Two"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        String id = r.json().get("id").asString();
        for (int i = 0; i < 3; i++) {
            a.api.post("/api/v1/auth/login", Map.of("email", email, "password", "wrong password!"), null);
        }

        JsonNode seenOnB = onB.next("event").get("event");
        assertThat(seenOnB.get("type").asString()).isEqualTo("account_locked");
        assertThat(seenOnB.get("user_id").asString()).isEqualTo(id);
        // The instance that raised it hears it through the same channel, once.
        JsonNode seenOnA = onA.next("event").get("event");
        assertThat(seenOnA.get("id").asString()).isEqualTo(seenOnB.get("id").asString());

        // Another schema is another channel: its feed got nothing but its own pong.
        elsewhere.ping();
        assertThat(elsewhere.pending()).isEmpty();
        for (FeedClient c : new FeedClient[] {onA, onB, elsewhere}) {
            c.close();
        }
    }

    @Test
    void aLogoutOnInstanceAEndsTheFeedOpenedWithThatTokenOnInstanceB() throws Exception {
        String token = a.adminToken();
        FeedClient onB = FeedClient.open(b.service.port(), "Authorization", "Bearer " + token);
        onB.ping();
        // Instances recheck feeds every 30 s: a close within the await comes from the bus message.
        assertThat(a.api.post("/api/v1/auth/logout", null, token).status()).isEqualTo(204);
        assertThat(onB.closeCode()).isEqualTo(1008);
        assertThat(onB.closeReason()).isEqualTo("token revoked");
    }
}
