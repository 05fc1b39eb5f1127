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

    /**
     * Behind a load balancer listed in TRUSTED_PROXIES each client has its own login bucket, found from the balancer's
     * X-Forwarded-For; without it every client behind the balancer shared the balancer's one bucket, so one client's
     * failed logins locked everyone out. A header from a peer that is not listed still counts for nothing.
     */
    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnLoginBucket() {
        Map<String, String> body = Map.of("email", "nobody@example.com", "password", "wrong password!");
        String json = "{\"email\":\"nobody@example.com\",\"password\":\"wrong password!\"}";
        IdentityConfig.RateLimit two = new IdentityConfig.RateLimit(2, Duration.ofHours(1));
        try (TestService s = new TestService(
                        TestDatabases.h2(),
                        c -> c.loginRateLimit(two).trustedProxies(java.util.List.of("127.0.0.0/8")));
                LogCapture logs = new LogCapture()) {
            for (int i = 0; i < 2; i++) {
                assertThat(login(s, json, "203.0.113.7").status()).isEqualTo(401);
            }
            assertProblem(login(s, json, "203.0.113.7"), 429, "rate-limited");
            assertThat(login(s, json, "203.0.113.8").status())
                    .as("another client")
                    .isEqualTo(401);
            assertThat(logs.events(Map.of("limit_type", "http", "limit_name", "login")))
                    .hasSize(1);
            // The access lines name the forwarded client, not the balancer.
            assertThat(logs.lines())
                    .anyMatch(l -> l.contains("POST /api/v1/auth/login 429") && l.contains("ip_address=203.0.113.7"));
        }
        try (TestService s = new TestService(TestDatabases.h2(), c -> c.loginRateLimit(two))) {
            assertThat(s.api.post("/api/v1/auth/login", body, null).status()).isEqualTo(401);
            assertThat(login(s, json, "203.0.113.7").status()).isEqualTo(401);
            assertProblem(login(s, json, "203.0.113.8"), 429, "rate-limited");
        }
    }

    private static Api.Response login(TestService s, String json, String forwardedFor) {
        return s.api.send(
                "POST", "/api/v1/auth/login", json, "application/json", null, Map.of("X-Forwarded-For", forwardedFor));
    }

    /**
     * A limit changed between two starts on the same data applies to the addresses that already have a bucket: the
     * stored bucket kept the configuration it was created with, so a limit lowered during an attack did not bite for
     * the attacker's address. Replaced, the bucket keeps the share of its allowance already used (half here), and a
     * later change, up or down, replaces it again.
     */
    @Test
    void aChangedLimitAppliesToTheBucketsStoredUnderThePreviousOne() {
        String url = TestDatabases.h2(); // outlives each service: a restart on the same data
        Map<String, String> body = Map.of("email", "nobody@example.com", "password", "wrong password!");
        try (TestService first =
                new TestService(url, c -> c.loginRateLimit(new IdentityConfig.RateLimit(10, Duration.ofHours(1))))) {
            for (int i = 0; i < 5; i++) {
                assertThat(first.api.post("/api/v1/auth/login", body, null).status())
                        .isEqualTo(401);
            }
        }
        try (TestService tightened = new TestService(
                        url, c -> c.loginRateLimit(new IdentityConfig.RateLimit(4, Duration.ofHours(1))));
                LogCapture logs = new LogCapture()) {
            // Half of 10 was used: half of 4 is left.
            for (int i = 0; i < 2; i++) {
                assertThat(tightened.api.post("/api/v1/auth/login", body, null).status())
                        .isEqualTo(401);
            }
            Api.Response limited = tightened.api.post("/api/v1/auth/login", body, null);
            assertProblem(limited, 429, "rate-limited");
            // 4 an hour: one token every 900 s.
            assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(361L, 900L);
            assertThat(logs.events(Map.of("limit_type", "http", "limit_name", "login")))
                    .hasSize(1);
            assertThat(logs.events(Map.of(
                            "event_type", "authentication", "status", "failure", "failure_reason", "rate_limited")))
                    .hasSize(1);
        }
        try (TestService loosened =
                new TestService(url, c -> c.loginRateLimit(new IdentityConfig.RateLimit(10, Duration.ofHours(1))))) {
            // Still empty, but refilled at 10 an hour (a token every 360 s), not at 4.
            Api.Response limited = loosened.api.post("/api/v1/auth/login", body, null);
            assertProblem(limited, 429, "rate-limited");
            assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 360L);
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
