package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AlertsTest {
    private final List<RuleGroup> groups = IdentityStack.groups();

    private List<AlertRule> alerts() {
        List<AlertRule> all = new ArrayList<>();
        groups.forEach(g -> all.addAll(g.alerts()));
        return all;
    }

    /**
     * The documents' alerts are spread over the two reference systems: the consumer alerts of
     * document 002 belong to the event pipeline (identity-service consumes no messages).
     */
    @Test
    void coversEveryAlertOfTheSourceDocuments() {
        List<AlertRule> both = new ArrayList<>(alerts());
        PipelineStack.groups().forEach(g -> both.addAll(g.alerts()));
        assertThat(both)
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
                        // 003 (info: user behaviour patterns)
                        "SignupSurge",
                        // 002 (event pipeline; the consumer alerts are the pipeline's)
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
        assertThat(IdentityStack.logAlerts().alerts())
                .extracting(AlertRule::name)
                .containsExactly(
                        "HighErrorLogRate",
                        "DatabaseErrorLogs",
                        "AuthenticationErrorLogs",
                        "TaskFailureLogs",
                        "ValidationErrorLogs",
                        "BlockedAccountDeletions");
    }

    @Test
    void namesEachAlertOnce() {
        List<String> names = alerts().stream().map(AlertRule::name).toList();
        assertThat(new HashSet<>(names)).hasSameSizeAs(names);
    }

    @Test
    void givesEveryAlertSeverityTextRunbookDashboardAndSource() {
        Set<String> uids = new HashSet<>();
        IdentityStack.dashboards().forEach(d -> uids.add(d.uid()));
        List<AlertRule> all = new ArrayList<>(alerts());
        all.addAll(IdentityStack.logAlerts().alerts());
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
        assertThat(jobs).contains(IdentityStack.JOB, StandardAlerts.POSTGRES_JOB, StandardAlerts.REDIS_JOB, "tempo");
    }

    @Test
    void givesEverySeverityAReasonAndUsesAllFour() {
        List<AlertRule> all = new ArrayList<>(alerts());
        all.addAll(IdentityStack.logAlerts().alerts());
        for (AlertRule a : all) {
            assertThat(a.severityReason()).as(a.name()).isNotBlank();
        }
        assertThat(all).extracting(AlertRule::severity).contains(Severity.values());
        assertThat(alerts()).extracting(AlertRule::severity).contains(Severity.values());
    }

    @Test
    void putsEverySymptomOnTheTargetThatServiceDownNames() {
        // ServiceDown silences the alerts of the same job and instance: a symptom summed over a
        // job would never be silenced.
        for (AlertRule a : alerts()) {
            assertThat(a.expr())
                    .as(a.name())
                    .doesNotContain("sum by (job) (rate(")
                    .doesNotContain("by (job, le)");
        }
    }

    @Test
    void linksExampleTracesForAlertsOnSignalsWithExemplars() {
        for (AlertRule a : alerts()) {
            if (a.exemplars() != null) {
                assertThat(a.exemplars()).as(a.name()).contains("_bucket{").contains("{{ $labels.job }}");
                assertThat(IdentityStack.catalogue().select(a.exemplars().replaceAll(".*rate\\((\\w+)_bucket.*", "$1")))
                        .as(a.name())
                        .isNotNull();
            }
        }
        assertThat(alerts())
                .filteredOn(a -> a.name().equals("HighAuthenticationFailureRate"))
                .singleElement()
                .satisfies(a -> assertThat(a.annotations()).containsKey("exemplars"));
    }

    @Test
    void keepsReceiverSecretsOutOfTheAlertmanagerConfig() throws Exception {
        String config = java.nio.file.Files.readString(Deploy.file("alertmanager/alertmanager.yml"));
        // every URL, key and password is a file Alertmanager reads or a placeholder the entrypoint fills
        assertThat(config)
                .doesNotContainPattern("(?m)^\\s*-?\\s*(api_url|routing_key|service_key|auth_password):")
                .doesNotContainPattern("(?m)^\\s*(url|webhook_url):\\s*+'?+(?!\\$\\{)")
                .contains("api_url_file: '${SECRETS_DIR}/slack_webhook_url'")
                .contains("routing_key_file: '${SECRETS_DIR}/pagerduty_routing_key'")
                .contains("auth_password_file: '${SECRETS_DIR}/smtp_password'")
                .contains("webhook_url: '${secret:discord_webhook_url}'");
    }
}
