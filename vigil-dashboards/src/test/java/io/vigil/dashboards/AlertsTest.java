package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AlertsTest {
    private final List<RuleGroup> groups = StandardAlerts.groups(MetricCatalogue.standard());

    private List<AlertRule> alerts() {
        List<AlertRule> all = new ArrayList<>();
        groups.forEach(g -> all.addAll(g.alerts()));
        return all;
    }

    @Test
    void coversEveryAlertOfTheSourceDocuments() {
        assertThat(alerts())
                .extracting(AlertRule::name)
                .contains(
                        // 000 (identity service)
                        "HighAuthenticationFailureRate",
                        "AccountLockoutSpike",
                        "SlowDatabaseQueries",
                        "HighServerErrorRate",
                        // 004 (HTTP service)
                        "HighErrorRate",
                        "SlowResponseTime",
                        "HighWebSocketConnections",
                        "RateLimitAbuse",
                        "DatabaseConnectionPoolExhausted",
                        "ServiceDown",
                        "DatabaseDown",
                        "RedisDown",
                        "HighMemoryUsage",
                        "HighCPUUsage",
                        "HighFailedLoginRate",
                        "UnauthorizedAccessAttempts",
                        // 002 (event pipeline)
                        "SlowResponseTimeP95",
                        "ConsumerSlowProcessing",
                        "ConsumerLagHigh",
                        "ConsumerErrorRate",
                        // 001/002 trace errors
                        "HighTraceErrorRate",
                        // SLOs
                        "AvailabilityBudgetBurnFast",
                        "AvailabilityBudgetBurnSlow",
                        "LatencyBudgetBurnFast",
                        "LatencyBudgetBurnSlow");
        assertThat(StandardAlerts.logAlerts().alerts())
                .extracting(AlertRule::name)
                .containsExactly("HighErrorLogRate");
    }

    @Test
    void namesEachAlertOnce() {
        List<String> names = alerts().stream().map(AlertRule::name).toList();
        assertThat(new HashSet<>(names)).hasSameSizeAs(names);
    }

    @Test
    void givesEveryAlertSeverityTextRunbookDashboardAndSource() {
        Set<String> uids = new HashSet<>();
        StandardDashboards.all(MetricCatalogue.standard()).forEach(d -> uids.add(d.uid()));
        List<AlertRule> all = new ArrayList<>(alerts());
        all.addAll(StandardAlerts.logAlerts().alerts());
        for (AlertRule a : all) {
            assertThat(a.allLabels()).as(a.name()).containsKey("severity");
            assertThat(a.summary()).as(a.name()).isNotBlank();
            assertThat(a.description()).as(a.name()).isNotBlank();
            assertThat(a.runbook()).as(a.name()).isNotBlank();
            assertThat(a.covers()).as(a.name()).isNotBlank();
            assertThat(uids).as(a.name()).contains(a.dashboardUid());
        }
    }

    @Test
    void testsEveryAlertFiringAndNotFiring() {
        for (AlertRule a : alerts()) {
            List<AlertTest.Check> checks =
                    a.tests().stream().flatMap(t -> t.checks().stream()).toList();
            assertThat(checks).as(a.name() + " fires somewhere").anyMatch(AlertTest.Check::fires);
            assertThat(checks).as(a.name() + " stays silent somewhere").anyMatch(c -> !c.fires());
        }
    }

    @Test
    void usesTheContractsNamesNotTheDocumentsSlips() {
        for (AlertRule a : alerts()) {
            assertThat(a.expr()).as(a.name()).doesNotContainPattern("failed_login_attempts(?!_total)");
            assertThat(a.expr()).as(a.name()).doesNotContain("status=~\"5..\"");
        }
    }

    @Test
    void refersOnlyToJobsPrometheusScrapes() {
        Set<String> jobs = new HashSet<>();
        for (JsonNode s : Deploy.yaml("prometheus/prometheus.yml").get("scrape_configs")) {
            jobs.add(s.get("job_name").asText());
        }
        assertThat(jobs)
                .contains(StandardAlerts.SERVICE_JOB, StandardAlerts.POSTGRES_JOB, StandardAlerts.REDIS_JOB, "tempo");
    }

    @Test
    void routesEverySeverityThatNotifiesToAReceiver() {
        JsonNode routes =
                Deploy.yaml("alertmanager/alertmanager.yml").get("route").get("routes");
        List<String> matchers = new ArrayList<>();
        routes.forEach(r -> r.get("matchers").forEach(m -> matchers.add(m.asText())));
        assertThat(String.join(" ", matchers)).contains("critical").contains("warning");
    }

    @Test
    void keepsReceiverSecretsOutOfTheAlertmanagerConfig() throws Exception {
        String config = java.nio.file.Files.readString(Deploy.file("alertmanager/alertmanager.yml"));
        assertThat(config)
                .doesNotContainPattern("(?m)^\\s*-?\\s*(api_url|routing_key|service_key|auth_password|url):")
                .contains("api_url_file: /run/secrets/")
                .contains("routing_key_file: /run/secrets/");
    }
}
