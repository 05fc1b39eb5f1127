package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rate limits on the embedded database (the PostgreSQL case is in {@link TwoInstancesTest}). */
class RateLimitTest {
    @Test
    void signUpsBeyondTheLimitGet429WithRetryAfterAndAreReported() {
        IdentityConfig.RateLimit two = new IdentityConfig.RateLimit(2, Duration.ofHours(1));
        try (TestService s = new TestService(TestDatabases.h2(), c -> c.registerRateLimit(two));
                LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 2; i++) {
                assertThat(s.api.post(
                                        "/api/v1/auth/register",
                                        Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", "R"),
                                        null)
                                .status())
                        .isEqualTo(201);
            }
            Api.Response r = s.api.post(
                    "/api/v1/auth/register",
                    Map.of("email", uniqueEmail(), "password", PASSWORD, "full_name", "R"),
                    null);
            assertProblem(r, 429, "rate-limited");
            assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 3600L);
            assertThat(logs.events(Map.of("limit_type", "http", "limit_name", "register")))
                    .hasSize(1);
        }
    }

    @Test
    void loginsBeyondTheLimitGet429AndCountAsRateLimitedFailures() {
        IdentityConfig.RateLimit three = new IdentityConfig.RateLimit(3, Duration.ofHours(1));
        try (TestService s = new TestService(TestDatabases.h2(), c -> c.loginRateLimit(three));
                LogCapture logs = new LogCapture()) {
            Map<String, String> body = Map.of("email", "nobody@example.com", "password", "wrong password!");
            for (int i = 0; i < 3; i++) {
                assertThat(s.api.post("/api/v1/auth/login", body, null).status())
                        .isEqualTo(401);
            }
            assertProblem(s.api.post("/api/v1/auth/login", body, null), 429, "rate-limited");
            assertThat(logs.events(Map.of(
                            "event_type", "authentication", "status", "failure", "failure_reason", "rate_limited")))
                    .hasSize(1);
        }
    }
}
