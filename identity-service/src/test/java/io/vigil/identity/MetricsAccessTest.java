package io.vigil.identity;

import static io.vigil.identity.ApiContractTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where the metrics are served: on the management port by default; on the public port only when
 * the operator puts them there ({@code MANAGEMENT_PORT == PORT}), and then only behind {@code
 * METRICS_TOKEN}.
 */
class MetricsAccessTest {
    private static final String TOKEN = "a-scrape-token-of-some-length";

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void onThePublicPortMetricsNeedTheBearerToken() throws Exception {
        int port = freePort();
        try (TestService s = new TestService(
                TestDatabases.h2(), c -> c.port(port).managementPort(port).metricsToken(TOKEN))) {
            assertThat(s.service.managementPort()).isEqualTo(s.service.port());
            Api.Response anonymous = s.api.get("/metrics", null);
            assertProblem(anonymous, 401, "unauthorized");
            assertThat(anonymous.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(anonymous.text()).doesNotContain("app_info");
            assertProblem(s.api.get("/metrics", "not-the-token-at-all-really"), 401, "unauthorized");
            Api.Response scraped = s.api.get("/metrics", TOKEN);
            assertThat(scraped.status()).isEqualTo(200);
            assertThat(scraped.text()).contains("app_info");
        }
    }

    @Test
    void metricsOnThePublicPortWithoutATokenStopStartUp() {
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("PORT", "8000", "MANAGEMENT_PORT", "8000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("METRICS_TOKEN");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(
                        Map.of("PORT", "8000", "MANAGEMENT_PORT", "8000", "METRICS_TOKEN", "short")))
                .hasMessageContaining("METRICS_TOKEN");
        IdentityConfig ok = IdentityConfig.fromEnvironment(
                Map.of("PORT", "8000", "MANAGEMENT_PORT", "8000", "METRICS_TOKEN", TOKEN));
        assertThat(ok.metricsOnServicePort()).isTrue();
        assertThat(ok.summary()).doesNotContain(TOKEN);
    }

    @Test
    void aTokenAlsoGuardsTheManagementPortWhenSet() {
        try (TestService s = new TestService(TestDatabases.h2(), c -> c.metricsToken(TOKEN))) {
            assertProblem(s.management.get("/metrics", null), 401, "unauthorized");
            assertThat(s.management.get("/metrics", TOKEN).status()).isEqualTo(200);
            // Two credentials: not the first one silently, as on the API.
            Api.Response two = s.management.send(
                    "GET", "/metrics", null, null, TOKEN, Map.of("Authorization", "Bearer not-the-token-at-all"));
            assertProblem(two, 400, "bad-request");
            assertThat(two.text()).doesNotContain("app_info");
            // Probes need no token.
            assertThat(s.management.get("/health", null).status()).isEqualTo(200);
        }
    }

    /**
     * METRICS_ENDPOINT is a telemetry setting: one naming a path the service answers itself (a health
     * check) is reported and replaced by {@code /metrics}; it used to stop the start (a duplicate route).
     */
    @Test
    void aMetricsPathTheServiceAnswersItselfIsReportedAndReplacedNotFatal() {
        try (LogCapture logs = new LogCapture();
                TestService s = new TestService(TestDatabases.h2(), c -> c, t -> t.metricsPath("/health"))) {
            assertThat(s.management.get("/health", null).json().get("status").asString())
                    .isEqualTo("ok");
            Api.Response scraped = s.management.get("/metrics", null);
            assertThat(scraped.status()).isEqualTo(200);
            assertThat(scraped.text()).contains("app_info");
            assertThat(logs.all())
                    .filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                            && e.getFormattedMessage().contains("METRICS_ENDPOINT"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage()).contains("/health", "/metrics"));
        }
    }
}
