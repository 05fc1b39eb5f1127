package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * Two service instances on one PostgreSQL schema: state that must hold across instances (lockout
 * counters, refresh-token rotation, rate-limit buckets) does, because it lives in the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstancesTest {
    private static final String API = "/api/v1";
    private String url;
    private TestService a;
    private TestService b;

    @BeforeAll
    void start() {
        url = TestDatabases.freshPostgresSchema();
        a = new TestService(url);
        b = new TestService(url);
    }

    @AfterAll
    void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        if (url != null) {
            TestDatabases.dropPostgresSchema(url);
        }
    }

    private String register(TestService s, String email) {
        Api.Response r = s.api.post(
                API + "/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Two"), null);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asString();
    }

    private Api.Response badLogin(TestService s, String email) {
        return s.api.post(API + "/auth/login", Map.of("email", email, "password", "wrong password!"), null);
    }

    @Test
    void failuresOnBothInstancesCountTowardsOneLockout() {
        String email = uniqueEmail();
        String id = register(a, email);
        // Threshold 3: two failures on A and one on B lock the account for both.
        badLogin(a, email);
        badLogin(b, email);
        badLogin(a, email);
        assertProblem(
                b.api.post(API + "/auth/login", Map.of("email", email, "password", PASSWORD), null),
                401,
                "invalid-credentials");
        assertProblem(
                a.api.post(API + "/auth/login", Map.of("email", email, "password", PASSWORD), null),
                401,
                "invalid-credentials");
        assertThat(a.api.get(API + "/users/" + id, a.adminToken())
                        .json()
                        .get("locked")
                        .asBoolean())
                .isTrue();
        // An unlock on B is seen by A.
        assertThat(b.api.post(API + "/users/" + id + "/unlock", null, b.adminToken())
                        .status())
                .isEqualTo(200);
        assertThat(a.api.login(email, PASSWORD).get("access_token").asString()).isNotBlank();
    }

    @Test
    void refreshTokenRotationAndReuseDetectionHoldAcrossInstances() {
        String email = uniqueEmail();
        register(a, email);
        String first = a.api.login(email, PASSWORD).get("refresh_token").asString();

        Api.Response onB = b.api.post(API + "/auth/refresh", Map.of("refresh_token", first), null);
        assertThat(onB.status()).isEqualTo(200);
        String second = onB.json().get("refresh_token").asString();

        // A retry on the other instance (the answer from B was lost) gets the same successor.
        Api.Response retryOnA = a.api.post(API + "/auth/refresh", Map.of("refresh_token", first), null);
        assertThat(retryOnA.status()).isEqualTo(200);
        assertThat(retryOnA.json().get("refresh_token").asString()).isEqualTo(second);

        Api.Response onA = a.api.post(API + "/auth/refresh", Map.of("refresh_token", second), null);
        assertThat(onA.status()).isEqualTo(200);
        String third = onA.json().get("refresh_token").asString();

        // Once its successor was used, the first token presented anywhere is reuse: the family dies everywhere.
        assertProblem(
                b.api.post(API + "/auth/refresh", Map.of("refresh_token", first), null), 401, "invalid-refresh-token");
        assertProblem(
                a.api.post(API + "/auth/refresh", Map.of("refresh_token", third), null), 401, "invalid-refresh-token");
    }

    @Test
    void accessTokensFromOneInstanceWorkOnTheOtherAndLogoutRevokesOnBoth() {
        String email = uniqueEmail();
        register(a, email);
        JsonNode tokens = a.api.login(email, PASSWORD);
        String access = tokens.get("access_token").asString();
        assertThat(b.api.get(API + "/users/me", access).status()).isEqualTo(200);
        assertThat(b.api.post(API + "/auth/logout", null, access).status()).isEqualTo(204);
        assertProblem(a.api.get(API + "/users/me", access), 401, "invalid-token");
    }

    @Test
    void loginRateLimitIsSharedByInstances() {
        String url2 = TestDatabases.freshPostgresSchema();
        IdentityConfig.RateLimit four = new IdentityConfig.RateLimit(4, Duration.ofHours(1));
        try (TestService x = new TestService(url2, c -> c.loginRateLimit(four));
                TestService y = new TestService(url2, c -> c.loginRateLimit(four))) {
            // Four attempts from this address in all, whichever instance receives them.
            for (int i = 0; i < 2; i++) {
                assertThat(badLogin(x, "nobody@example.com").status()).isEqualTo(401);
                assertThat(badLogin(y, "nobody@example.com").status()).isEqualTo(401);
            }
            Api.Response limited = badLogin(x, "nobody@example.com");
            assertProblem(limited, 429, "rate-limited");
            assertThat(Long.parseLong(limited.header("Retry-After"))).isPositive();
            assertProblem(badLogin(y, "nobody@example.com"), 429, "rate-limited");
        } finally {
            TestDatabases.dropPostgresSchema(url2);
        }
    }

    /**
     * An instance started with another limit applies it to the buckets already stored, and the instance started before
     * it enforces it too (the stored bucket carries the configuration): the sign-up limit lowered by a new deployment
     * bit only for addresses that had no bucket yet.
     */
    @Test
    void aLimitChangedByANewerInstanceAppliesToStoredBucketsOnEveryInstance() {
        String url2 = TestDatabases.freshPostgresSchema();
        try (TestService older = new TestService(
                url2, c -> c.registerRateLimit(new IdentityConfig.RateLimit(10, Duration.ofHours(1))))) {
            for (int i = 0; i < 5; i++) {
                register(older, uniqueEmail());
            }
            try (TestService newer = new TestService(
                    url2, c -> c.registerRateLimit(new IdentityConfig.RateLimit(4, Duration.ofHours(1))))) {
                // Half of 10 was used: half of 4 is left, whichever instance is asked.
                register(older, uniqueEmail());
                register(newer, uniqueEmail());
                Map<String, String> body = Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", "Two");
                assertProblem(older.api.post(API + "/auth/register", body, null), 429, "rate-limited");
                assertProblem(newer.api.post(API + "/auth/register", body, null), 429, "rate-limited");
            }
        } finally {
            TestDatabases.dropPostgresSchema(url2);
        }
    }
}
