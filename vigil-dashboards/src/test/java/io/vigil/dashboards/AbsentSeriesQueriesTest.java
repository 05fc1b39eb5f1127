package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Counters with an open label set ({@code db_errors_total}'s error types, {@code http_exceptions_total}'s exception
 * types, an HTTP status code) or a label value nothing creates in advance (an operation's {@code status="failure"},
 * a Kafka error type, a WebSocket close code) have no series before their first event. The panels over them said "No
 * data" for a healthy service, as for a target that is not scraped at all, and the 5xx ratios had no value where they
 * are 0. Each generated query, of identity-service's dashboards and the event pipeline's, is evaluated by promtool
 * against series a healthy service exposes (its traffic, none of the counted events): it gives 0; with the events, the
 * real series alone (the 0 never sits beside them); with no traffic either, nothing.
 */
class AbsentSeriesQueriesTest {
    private static final String SVC = "job=\"" + IdentityStack.JOB + "\",instance=\"" + IdentityStack.JOB + ":9464\"";
    private static final String USERS = SVC + ",method=\"GET\",endpoint=\"/api/v1/users\"";
    private static final String FEED = SVC + ",endpoint=\"/api/v1/security/feed\"";
    private static final String SPANS = "service=\"" + IdentityStack.TARGET.service()
            + "\",span_name=\"GET /api/v1/users\",span_kind=\"SPAN_KIND_SERVER\"";
    private static final String PIPELINE =
            "job=\"" + PipelineStack.JOB + "\",instance=\"" + PipelineStack.TARGET.instance() + "\"";
    private static final String EVENTS_TOPIC = PIPELINE + ",topic=\"events\",group=\"analytics\"";

    /**
     * What a healthy, busy service exposes: requests answered 200, statements, logins, checks, token and user
     * operations and sends that worked, WebSocket connections accepted, spans without errors; the pipeline's messages
     * consumed, steps and health probes that worked. One a second each, requests five.
     */
    private static final List<Map<String, String>> TRAFFIC = List.of(
            series("http_requests_total{" + USERS + ",status_code=\"200\"}", "0+300x30"),
            series(
                    "database_operations_total{" + SVC + ",operation=\"select\",table=\"users\",status=\"success\"}",
                    "0+300x30"),
            series("ws_connections_total{" + FEED + ",status=\"accepted\"}", "0+60x30"),
            series("authentication_attempts_total{" + SVC + ",auth_type=\"login\",status=\"success\"}", "0+60x30"),
            series(
                    "authorization_checks_total{" + SVC + ",resource=\"user\",action=\"read\",is_authorized=\"true\"}",
                    "0+60x30"),
            series(
                    "token_operations_total{" + SVC
                            + ",operation_type=\"generate\",token_type=\"access\",status=\"success\"}",
                    "0+60x30"),
            series("user_operations_total{" + SVC + ",operation_type=\"update\",status=\"success\"}", "0+60x30"),
            series("producer_messages_sent_total{" + SVC + ",topic=\"audit\",status=\"success\"}", "0+60x30"),
            series("traces_spanmetrics_calls_total{" + SPANS + ",status_code=\"STATUS_CODE_UNSET\"}", "0+60x30"),
            series("consumer_messages_consumed_total{" + EVENTS_TOPIC + "}", "0+60x30"),
            series("pipeline_steps_total{" + PIPELINE + ",step=\"store\",status=\"success\"}", "0+60x30"),
            series("health_checks_total{" + PIPELINE + ",dependency=\"database\",status=\"success\"}", "0+60x30"));

    /**
     * The counted events, once they have happened: as many 500s as 200s and twice as many 403s; one a second of each
     * other event.
     */
    private static final List<Map<String, String>> EVENTS = List.of(
            series("http_requests_total{" + USERS + ",status_code=\"500\"}", "0+300x30"),
            series("http_requests_total{" + USERS + ",status_code=\"403\"}", "0+600x30"),
            series(
                    "http_exceptions_total{" + SVC
                            + ",exception_type=\"IllegalStateException\",endpoint=\"/api/v1/users\"}",
                    "0+60x30"),
            series("db_errors_total{" + SVC + ",operation=\"select\",error_type=\"timeout\"}", "0+60x30"),
            series(
                    "rate_limit_hits_total{" + SVC + ",limit_type=\"login\",endpoint=\"/api/v1/auth/login\"}",
                    "0+60x30"),
            series("ws_connections_closed_total{" + FEED + ",close_code=\"1009\"}", "0+60x30"),
            series("ws_message_errors_total{" + FEED + ",error_type=\"too_big\"}", "0+60x30"),
            series("authentication_attempts_total{" + SVC + ",auth_type=\"login\",status=\"failure\"}", "0+60x30"),
            series("failed_login_attempts_total{" + SVC + ",reason=\"invalid_credentials\"}", "0+60x30"),
            series("security_events_total{" + SVC + ",event_type=\"account_locked\",severity=\"high\"}", "0+60x30"),
            series(
                    "authorization_checks_total{" + SVC
                            + ",resource=\"user\",action=\"delete\",is_authorized=\"false\"}",
                    "0+60x30"),
            series(
                    "token_operations_total{" + SVC
                            + ",operation_type=\"refresh\",token_type=\"refresh\",status=\"failure\"}",
                    "0+60x30"),
            series("user_operations_total{" + SVC + ",operation_type=\"create\",status=\"failure\"}", "0+60x30"),
            series("producer_errors_total{" + SVC + ",topic=\"audit\",error_type=\"TimeoutException\"}", "0+60x30"),
            series("traces_spanmetrics_calls_total{" + SPANS + ",status_code=\"STATUS_CODE_ERROR\"}", "0+60x30"),
            series("consumer_errors_total{" + EVENTS_TOPIC + ",error_type=\"JsonParseException\"}", "0+60x30"),
            series("consumer_dead_lettered_total{" + EVENTS_TOPIC + ",status=\"success\"}", "0+60x30"),
            series("pipeline_steps_total{" + PIPELINE + ",step=\"store\",status=\"error\"}", "0+60x30"),
            series("health_checks_total{" + PIPELINE + ",dependency=\"storage\",status=\"failure\"}", "0+60x30"));

    /**
     * A panel's query over such a counter: found by panel title and a text it holds (the counter, or the label value
     * it selects), with the one sample expected without events and the samples expected with them.
     */
    private record Case(String panel, String reads, String zero, Map<String, String> withEvents) {}

    private static final List<Case> CASES = List.of(
            new Case("Error ratio (5xx)", "status_code=~\"5..\"", "{}", Map.of("{}", "0.25")),
            new Case(
                    "Error ratio by endpoint",
                    "status_code=~\"5..\"",
                    "{endpoint=\"/api/v1/users\"}",
                    Map.of("{endpoint=\"/api/v1/users\"}", "0.25")),
            new Case(
                    "5xx rate by endpoint",
                    "status_code=~\"5..\"",
                    "{method=\"none\"}",
                    Map.of("{endpoint=\"/api/v1/users\",method=\"GET\",status_code=\"500\"}", "5")),
            new Case(
                    "Exceptions by type",
                    "http_exceptions_total",
                    "{exception_type=\"none\"}",
                    Map.of("{endpoint=\"/api/v1/users\",exception_type=\"IllegalStateException\"}", "1")),
            new Case(
                    "Rate-limit hits by type",
                    "rate_limit_hits_total",
                    "{limit_type=\"none\"}",
                    Map.of("{limit_type=\"login\"}", "1")),
            new Case(
                    "Closes by code",
                    "ws_connections_closed_total",
                    "{close_code=\"none\"}",
                    Map.of("{close_code=\"1009\"}", "1")),
            new Case(
                    "Errors by type",
                    "ws_message_errors_total",
                    "{error_type=\"none\"}",
                    Map.of("{error_type=\"too_big\"}", "1")),
            new Case(
                    "Errors by operation and type",
                    "db_errors_total",
                    "{operation=\"none\"}",
                    Map.of("{error_type=\"timeout\",operation=\"select\"}", "1")),
            // over the last hour: 20 minutes of one a second
            new Case("Failed logins, last hour", "failed_login_attempts_total", "{}", Map.of("{}", "1200")),
            new Case("Accounts locked, last hour", "account_locked", "{}", Map.of("{}", "1200")),
            new Case("Authorization denials, last hour", "is_authorized=\"false\"", "{}", Map.of("{}", "1200")),
            new Case(
                    "Failure rate", "status=\"failure\"", "{auth_type=\"none\"}", Map.of("{auth_type=\"login\"}", "1")),
            // over the dashboard's range, 10 minutes here
            new Case(
                    "Failed logins by reason",
                    "failed_login_attempts_total",
                    "{reason=\"none\"}",
                    Map.of("{reason=\"invalid_credentials\"}", "600")),
            new Case(
                    "Security events by type and severity",
                    "security_events_total",
                    "{event_type=\"none\"}",
                    Map.of("{event_type=\"account_locked\",severity=\"high\"}", "1")),
            new Case(
                    "Authorization denials by resource and action",
                    "is_authorized=\"false\"",
                    "{resource=\"none\"}",
                    Map.of("{action=\"delete\",resource=\"user\"}", "1")),
            new Case("Token validations and 403s", "status_code=\"403\"", "{}", Map.of("{}", "10")),
            new Case(
                    "Token operation failures",
                    "token_operations_total",
                    "{operation_type=\"none\"}",
                    Map.of("{operation_type=\"refresh\",token_type=\"refresh\"}", "1")),
            new Case(
                    "Failed user operations",
                    "user_operations_total",
                    "{operation_type=\"none\"}",
                    Map.of("{operation_type=\"create\",status=\"failure\"}", "1")),
            new Case(
                    "Sent by topic and outcome",
                    "producer_errors_total",
                    "{topic=\"none\"}",
                    Map.of("{error_type=\"TimeoutException\",topic=\"audit\"}", "1")),
            new Case(
                    "Span errors by name",
                    "STATUS_CODE_ERROR",
                    "{span_name=\"none\"}",
                    Map.of("{span_name=\"GET /api/v1/users\"}", "1")),
            // the event pipeline's
            new Case(
                    "Errors by type",
                    "consumer_errors_total",
                    "{error_type=\"none\"}",
                    Map.of("{error_type=\"JsonParseException\"}", "1")),
            new Case(
                    "Errors by type and dead-lettered",
                    "consumer_errors_total",
                    "{topic=\"none\"}",
                    Map.of("{error_type=\"JsonParseException\",topic=\"events\"}", "1")),
            new Case(
                    "Errors by type and dead-lettered",
                    "consumer_dead_lettered_total",
                    "{topic=\"none\"}",
                    Map.of("{status=\"success\",topic=\"events\"}", "1")),
            new Case("Failed steps", "pipeline_steps_total", "{step=\"none\"}", Map.of("{step=\"store\"}", "1")),
            new Case(
                    "Failed probes by dependency",
                    "health_checks_total",
                    "{dependency=\"none\"}",
                    Map.of("{dependency=\"storage\"}", "1")));

    @Test
    void withoutTheirEventsThePanelsSayZeroNotNoData(@TempDir Path tmp) throws Exception {
        Map<Case, String> queries = queries();
        List<Map<String, Object>> tests = new ArrayList<>();
        List<Map<String, Object>> none = new ArrayList<>();
        List<Map<String, Object>> some = new ArrayList<>();
        List<Map<String, Object>> idle = new ArrayList<>();
        for (Case c : CASES) {
            String expr = queries.get(c);
            none.add(check(expr, Map.of(c.zero(), "0")));
            some.add(check(expr, c.withEvents()));
            idle.add(check(expr, Map.of()));
        }
        tests.add(test("traffic, none of the counted events yet", TRAFFIC, none));
        List<Map<String, String>> busy = new ArrayList<>(TRAFFIC);
        busy.addAll(EVENTS);
        tests.add(test("traffic and the counted events", busy, some));
        tests.add(test(
                "no traffic at all",
                List.of(series("up{" + SVC + "}", "1x30"), series("up{" + PIPELINE + "}", "1x30")),
                idle));
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("rule_files", List.of());
        file.put("evaluation_interval", "1m");
        file.put("tests", tests);
        Deploy.YAML.writeValue(tmp.resolve("absent.test.yml").toFile(), file);

        ToolsTest.Result r = ToolsTest.run(tmp, Deploy.tool("promtool").toString(), "test", "rules", "absent.test.yml");

        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).doesNotContain("FAILED");
    }

    @Test
    void theHarnessFailsWhenTheZeroIsMissing(@TempDir Path tmp) throws Exception {
        // Guards the harness: the queries as they were (no fallback) give nothing, which promtool must call a failure.
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("rule_files", List.of());
        file.put("evaluation_interval", "1m");
        file.put(
                "tests",
                List.of(test(
                        "a bare breakdown",
                        TRAFFIC,
                        List.of(check(
                                "sum by (operation, error_type) (rate(db_errors_total{" + SVC + "}[5m]))",
                                Map.of("{operation=\"none\"}", "0"))))));
        Deploy.YAML.writeValue(tmp.resolve("bare.test.yml").toFile(), file);

        ToolsTest.Result r = ToolsTest.run(tmp, Deploy.tool("promtool").toString(), "test", "rules", "bare.test.yml");

        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("FAILED");
    }

    /**
     * Each case's query from the generated dashboards, identity-service's first, then the event pipeline's, with
     * Grafana's variables at their sample values.
     */
    private static Map<Case, String> queries() {
        List<Dashboard> dashboards = new ArrayList<>(IdentityStack.dashboards());
        dashboards.addAll(PipelineStack.dashboards());
        Map<Case, String> found = new LinkedHashMap<>();
        for (Dashboard d : dashboards) {
            for (Dashboard.Placed p : d.panels()) {
                if (p.isRow()) {
                    continue;
                }
                for (Case c : CASES) {
                    if (!p.title().equals(c.panel())) {
                        continue;
                    }
                    p.panel().queries().stream()
                            .map(Query::text)
                            .filter(q -> q.contains(c.reads()))
                            .findFirst()
                            .ifPresent(q -> found.putIfAbsent(c, substitute(q, d)));
                }
            }
        }
        assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(CASES);
        return found;
    }

    private static String substitute(String expr, Dashboard d) {
        String s = expr.replace("$__rate_interval", "5m").replace("$__range", "10m");
        for (Variable v : d.variables()) {
            s = s.replace("$" + v.name(), v.sample());
        }
        assertThat(s).as(expr).doesNotContain("$");
        return s;
    }

    private static Map<String, String> series(String series, String values) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("series", series);
        m.put("values", values);
        return m;
    }

    private static Map<String, Object> check(String expr, Map<String, String> samples) {
        List<Map<String, Object>> expected = new ArrayList<>();
        samples.forEach((labels, value) -> {
            Map<String, Object> sample = new LinkedHashMap<>();
            sample.put("labels", labels);
            sample.put("value", Double.parseDouble(value));
            expected.add(sample);
        });
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("expr", expr);
        check.put("eval_time", "20m");
        check.put("exp_samples", expected);
        return check;
    }

    private static Map<String, Object> test(
            String name, List<Map<String, String>> input, List<Map<String, Object>> checks) {
        Map<String, Object> test = new LinkedHashMap<>();
        test.put("name", name);
        test.put("interval", "1m");
        test.put("input_series", input);
        test.put("promql_expr_test", checks);
        return test;
    }
}
