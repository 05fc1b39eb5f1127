package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.PASSWORD;
import static io.vigil.identity.ApiContractTest.assertProblem;
import static io.vigil.identity.ApiContractTest.uniqueEmail;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Password changes are rate limited per user and per client address (bucket4j, in the database). */
class PasswordChangeLimitTest {
    private static final IdentityConfig.RateLimit PLENTY = new IdentityConfig.RateLimit(10_000, Duration.ofHours(1));

    private static String tokenOfNewUser(TestService s) {
        return s.tokenOfNewUser(uniqueEmail(), PASSWORD);
    }

    private static Api.Response wrongChange(TestService s, String token) {
        return s.api.send(
                "PUT",
                "/api/v1/users/me/password",
                "{\"current_password\":\"not it at all\",\"new_password\":\"a new long passphrase 9\"}",
                "application/json",
                token,
                Map.of());
    }

    @Test
    void attemptsBeyondThePerUserLimitGet429AndOtherUsersAreNotAffected() {
        IdentityConfig.RateLimit two = new IdentityConfig.RateLimit(2, Duration.ofHours(1));
        try (TestService s = new TestService(
                        TestDatabases.h2(), c -> c.lockoutThreshold(100).passwordChangeRateLimit(two, PLENTY));
                LogCapture logs = new LogCapture()) {
            String alice = tokenOfNewUser(s);
            String bob = tokenOfNewUser(s);
            for (int i = 0; i < 2; i++) {
                assertProblem(wrongChange(s, alice), 400, "invalid-current-password");
            }
            Api.Response limited = wrongChange(s, alice);
            assertProblem(limited, 429, "rate-limited");
            assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 3600L);
            assertThat(logs.events(Map.of("limit_type", "http", "limit_name", "password_change_user")))
                    .hasSize(1);
            // Same address, another user: the per-user bucket is Alice's alone.
            assertProblem(wrongChange(s, bob), 400, "invalid-current-password");
        }
    }

    @Test
    void attemptsBeyondThePerAddressLimitGet429WhateverTheUser() {
        IdentityConfig.RateLimit three = new IdentityConfig.RateLimit(3, Duration.ofHours(1));
        try (TestService s = new TestService(
                TestDatabases.h2(), c -> c.lockoutThreshold(100).passwordChangeRateLimit(PLENTY, three))) {
            String alice = tokenOfNewUser(s);
            String bob = tokenOfNewUser(s);
            assertProblem(wrongChange(s, alice), 400, "invalid-current-password");
            assertProblem(wrongChange(s, bob), 400, "invalid-current-password");
            assertProblem(wrongChange(s, alice), 400, "invalid-current-password");
            assertProblem(wrongChange(s, bob), 429, "rate-limited");
        }
    }
}
