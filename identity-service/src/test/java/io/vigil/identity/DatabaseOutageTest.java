package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.test.MetricSamples;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The service while its PostgreSQL is gone: a relay in front of the real server is closed, so every
 * new connection is refused and every pooled one is cut — what an operator saw during an outage.
 */
class DatabaseOutageTest {
    private static final String API = "/api/v1";
    private String schemaUrl;
    private TcpProxy database;
    private TestService service;

    private TestService start(UnaryOperator<IdentityConfig.Builder> customize) {
        schemaUrl = TestDatabases.freshPostgresSchema();
        database = new TcpProxy(5432);
        service = new TestService(schemaUrl.replace("127.0.0.1:5432", "127.0.0.1:" + database.port()), customize);
        return service;
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        if (database != null) {
            database.close();
        }
        if (schemaUrl != null) {
            TestDatabases.dropPostgresSchema(schemaUrl);
        }
    }

    private static void assertUnavailable(Api.Response r) {
        assertProblem(r, 503, "database-unavailable");
        assertThat(Long.parseLong(r.header("Retry-After"))).isPositive();
    }

    @Test
    void everyPathThatNeedsTheDatabaseAnswers503WithRetryAfter() {
        TestService s = start(c -> c.databaseConnectionTimeout(Duration.ofMillis(500)));
        String email = uniqueEmail();
        assertThat(s.api.post(
                                API + "/auth/register",
                                Map.of("email", email, "password", PASSWORD, "full_name", "O"),
                                null)
                        .status())
                .isEqualTo(201);
        JsonNode tokens = s.api.login(email, PASSWORD);
        String admin = s.adminToken();

        database.close();

        assertUnavailable(s.api.post(API + "/auth/login", Map.of("email", email, "password", PASSWORD), null));
        assertUnavailable(s.api.post(
                API + "/auth/register", Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", "O"), null));
        assertUnavailable(s.api.post(
                API + "/auth/refresh",
                Map.of("refresh_token", tokens.get("refresh_token").asString()),
                null));
        assertUnavailable(
                s.api.get(API + "/users/me", tokens.get("access_token").asString()));
        assertUnavailable(s.api.get(API + "/users", admin));
        Api.Response ready = s.api.get("/health/ready", null);
        assertProblem(ready, 503, "not-ready");
        assertThat(ready.header("Retry-After")).isNotNull();
    }

    @Test
    void readinessAnswers503WithinItsOwnBoundNotThePoolsConnectionTimeout() {
        // The pool waits up to 5 s for a connection (the default), a readiness probe gives up after 1 s: the
        // check is bounded by READINESS_TIMEOUT instead, here 500 ms.
        TestService s =
                start(c -> c.databaseConnectionTimeout(Duration.ofSeconds(5)).readinessTimeout(Duration.ofMillis(500)));
        assertThat(s.management.get("/health/ready", null).status()).isEqualTo(200);

        database.close();

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            Api.Response ready = s.management.get("/health/ready", null);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertProblem(ready, 503, "not-ready");
            assertThat(ready.json().get("checks").get("database").asString()).isEqualTo("down");
            assertThat(ready.json().get("detail").asString()).contains("database");
            assertThat(ready.header("Retry-After")).isNotNull();
            // Under the pool's 5 s (generous for a loaded 2-core machine; 500 ms expected).
            assertThat(took).isLessThan(Duration.ofMillis(4000));
        }
    }

    @Test
    void metricsAnswerAtOnceWithTheLastKnownGaugeValuesAndTheirAge() {
        // The default connection timeout (5 s): a scrape that waited for the pool would take 10 s.
        TestService s = start(c -> c);
        String email = uniqueEmail();
        s.api.post(API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "O"), null);
        s.api.login(email, PASSWORD);
        s.adminToken();
        // Two logins: two access and two refresh tokens, once the background count has caught up.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            MetricSamples m = scrape(s);
            assertThat(m.value("active_tokens", Map.of("token_type", "access"))).isEqualTo(2.0);
            assertThat(m.value("active_tokens", Map.of("token_type", "refresh")))
                    .isEqualTo(2.0);
        });

        database.close();

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            MetricSamples m = scrape(s);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isLessThan(Duration.ofSeconds(5)); // waiting for the pool: 10 s
            assertThat(m.value("active_tokens", Map.of("token_type", "access"))).isEqualTo(2.0);
            assertThat(m.value("active_tokens", Map.of("token_type", "refresh")))
                    .isEqualTo(2.0);
            assertThat(m.value("active_tokens_age_seconds", Map.of("token_type", "access")))
                    .isGreaterThanOrEqualTo(0.0);
        }
        // While the database stays away, the values grow older, visibly.
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(
                                scrape(s).value("active_tokens_age_seconds", Map.of("token_type", "access")))
                        .isGreaterThanOrEqualTo(2.0));
    }

    private static MetricSamples scrape(TestService s) {
        Api.Response r = s.management.get("/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        return MetricSamples.parse(r.text());
    }
}
