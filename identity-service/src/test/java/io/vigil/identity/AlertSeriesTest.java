package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.MetricSamples;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The counters the generated alert rules read exist at 0 from the first scrape after a start, before any request: a
 * series that first appeared with a burst of lockouts or failed logins would hide that burst from {@code increase()}
 * and {@code rate()} (Prometheus takes a new series' first sample as its baseline), so the alert would miss it.
 */
class AlertSeriesTest {
    @Test
    void theAlertedOperationCountersAreAtZeroBeforeAnyRequest() {
        try (TestService s = new TestService(TestDatabases.h2())) {
            MetricSamples scrape =
                    MetricSamples.parse(s.management.get("/metrics", null).text());

            // AccountLockoutSpike, HighAuthenticationFailureRate, BruteForceSuspected, the sign-up panels
            assertThat(scrape.require(
                            "security_events_total", Map.of("event_type", "account_locked", "severity", "high")))
                    .isZero();
            assertThat(scrape.require(
                            "security_events_total", Map.of("event_type", "brute_force_suspected", "severity", "high")))
                    .isZero();
            assertThat(scrape.require(
                            "authentication_attempts_total", Map.of("auth_type", "login", "status", "failure")))
                    .isZero();
            assertThat(scrape.require("failed_login_attempts_total", Map.of("reason", "invalid_credentials")))
                    .isZero();
            assertThat(scrape.require("failed_login_attempts_total", Map.of("reason", "account_locked")))
                    .isZero();
            assertThat(scrape.require("user_operations_total", Map.of("operation_type", "delete", "status", "success")))
                    .isZero();
            // The bootstrap administrator was created at start: counted from 0, so its creation shows as 1.
            assertThat(scrape.require("user_operations_total", Map.of("operation_type", "create", "status", "success")))
                    .isEqualTo(1);
        }
    }
}
