package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The LogQL of the Loki rules, checked against the telemetry contract without a Loki (none is
 * packaged for Debian): stream selectors use only the contract's stream labels with upper-case
 * levels, every field filter after {@code | json} names a field the contract's log lines carry, and
 * the expressions are well formed. The rule file's structure is checked by promtool (ToolsTest).
 */
class LogQlRulesTest {
    /** Contract section 4: Loki stream labels. */
    private static final Set<String> STREAM_LABELS = Set.of("service", "environment", "level");
    /** Contract section 4: the levels as written (upper case). */
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
    /** Contract section 4 and the kinds' log fields that the rules filter or group on. */
    private static final Set<String> LOG_FIELDS = Set.of(
            "event_type",
            "status",
            "operation_type",
            "status_code",
            "task_name",
            "task_id",
            "resource",
            "action",
            "auth_type",
            "failure_reason",
            "security_event_type",
            "severity",
            "endpoint",
            "method");

    private static final Pattern SELECTOR = Pattern.compile("\\{([^{}]*)}");
    private static final Pattern MATCHER = Pattern.compile("\\s*(\\w+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"\\s*");
    private static final Pattern FILTER = Pattern.compile("\\|\\s*(\\w+)\\s*(=~|!~|!=|=|>=|<=|>|<)\\s*\"[^\"]*\"");

    private final List<AlertRule> rules = IdentityStack.logAlerts().alerts();

    @Test
    void coversEachLogBasedAlertClassOfDocument003() {
        assertThat(rules)
                .extracting(AlertRule::severity)
                .contains(Severity.CRITICAL, Severity.HIGH, Severity.WARNING, Severity.INFO);
        assertThat(rules).allSatisfy(r -> assertThat(r.covers()).startsWith("003"));
    }

    @Test
    void selectsStreamsByTheContractsLabelsWithUpperCaseLevels() {
        for (AlertRule r : rules) {
            Matcher m = SELECTOR.matcher(r.expr());
            assertThat(m.find()).as(r.name()).isTrue();
            boolean service = false;
            for (String part : m.group(1).split(",")) {
                Matcher l = MATCHER.matcher(part);
                assertThat(l.matches()).as(r.name() + ": " + part).isTrue();
                assertThat(STREAM_LABELS).as(r.name()).contains(l.group(1));
                if (l.group(1).equals("level")) {
                    assertThat(LEVELS).as(r.name()).contains(l.group(3));
                }
                service |= l.group(1).equals("service") && l.group(3).equals(IdentityStack.JOB);
            }
            assertThat(service).as(r.name() + " selects the service's stream").isTrue();
            assertThat(m.find()).as(r.name() + ": one stream selector").isFalse();
        }
    }

    @Test
    void filtersOnlyOnFieldsTheLogLinesCarryAfterParsingThem() {
        for (AlertRule r : rules) {
            String pipeline = r.expr().replaceFirst("^.*?\\{[^{}]*}", "");
            Matcher f = FILTER.matcher(pipeline);
            List<String> fields = new ArrayList<>();
            while (f.find()) {
                fields.add(f.group(1));
            }
            if (!fields.isEmpty()) {
                assertThat(pipeline).as(r.name()).containsPattern("^\\s*\\|\\s*json\\s*\\|");
            }
            assertThat(LOG_FIELDS).as(r.name()).containsAll(fields);
            // failures are logged at WARN, errors at ERROR (OperationScope)
            if (r.expr().contains("status=\"failure\"")) {
                assertThat(r.expr()).as(r.name()).contains("level=\"WARN\"");
            }
        }
    }

    @Test
    void isWellFormedAndGroupsByLabelsItHas() {
        for (AlertRule r : rules) {
            String e = r.expr();
            int depth = 0;
            for (char ch : e.toCharArray()) {
                depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
                assertThat(depth).as(r.name()).isNotNegative();
            }
            assertThat(depth).as(r.name()).isZero();
            assertThat(e).as(r.name()).containsPattern("(rate|count_over_time)\\(\\{.*\\[\\d+m]\\)");
            assertThat(e).as(r.name()).matches("sum by \\(([\\w, ]+)\\) \\(.*\\) > [\\d.]+");
            Matcher by = Pattern.compile("^sum by \\(([\\w, ]+)\\)").matcher(e);
            assertThat(by.find()).isTrue();
            for (String label : by.group(1).split(",\\s*")) {
                assertThat(STREAM_LABELS.contains(label) || LOG_FIELDS.contains(label))
                        .as(r.name() + " groups by " + label)
                        .isTrue();
                // what a description prints is a label the result has
            }
            for (String used : templateLabels(r.description())) {
                assertThat(by.group(1))
                        .as(r.name() + " description uses " + used)
                        .contains(used);
            }
        }
    }

    @Test
    void theRulerEvaluatesTheGeneratedFileAndSendsToAlertmanager() {
        JsonNode loki = Deploy.yaml("loki/loki.yml");
        assertThat(loki.at("/ruler/storage/type").asText()).isEqualTo("local");
        assertThat(loki.at("/ruler/enable_api").asBoolean()).isTrue();
        // auth off: the tenant is "fake", whose directory holds the generated file
        assertThat(loki.get("auth_enabled").asBoolean()).isFalse();
        assertThat(Deploy.file("loki/rules/fake/identity-service-log-alerts.yml"))
                .exists();
        JsonNode file = Deploy.yaml("loki/rules/fake/identity-service-log-alerts.yml");
        assertThat(file.at("/groups/0/rules").size()).isEqualTo(rules.size());
    }

    private static List<String> templateLabels(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\$labels\\.(\\w+)").matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
