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
 * types, an HTTP status code) have no series before their first event. The panels over them said "No data" for a
 * healthy service, as for a target that is not scraped at all, and the 5xx ratios had no value where they are 0. Each
 * generated query is evaluated by promtool against series a healthy service exposes (its traffic, none of the
 * counted events): it gives 0; with the events, the real series alone (the 0 never sits beside them); with no traffic
 * either, nothing.
 */
class AbsentSeriesQueriesTest {
    private static final String SVC = "job=\"" + IdentityStack.JOB + "\",instance=\"" + IdentityStack.JOB + ":9464\"";
    private static final String USERS = SVC + ",method=\"GET\",endpoint=\"/api/v1/users\"";

    /** What a healthy, busy service exposes: requests answered 200, statements that worked. */
    private static final List<Map<String, String>> TRAFFIC = List.of(
            series("http_requests_total{" + USERS + ",status_code=\"200\"}", "0+300x30"),
            series(
                    "database_operations_total{" + SVC + ",operation=\"select\",table=\"users\",status=\"success\"}",
                    "0+300x30"));

    /** The counted events, once they have happened: as many 500s as 200s, one exception and one error a second. */
    private static final List<Map<String, String>> EVENTS = List.of(
            series("http_requests_total{" + USERS + ",status_code=\"500\"}", "0+300x30"),
            series(
                    "http_exceptions_total{" + SVC
                            + ",exception_type=\"IllegalStateException\",endpoint=\"/api/v1/users\"}",
                    "0+60x30"),
            series("db_errors_total{" + SVC + ",operation=\"select\",error_type=\"timeout\"}", "0+60x30"));

    /**
     * A panel's query over such a counter: found by panel title and a metric it reads, with the one sample expected
     * without events and the samples expected with them.
     */
    private record Case(String panel, String reads, String zero, Map<String, String> withEvents) {}

    private static final List<Case> CASES = List.of(
            new Case("Error ratio (5xx)", "status_code=~\"5..\"", "{}", Map.of("{}", "0.5")),
            new Case(
                    "Error ratio by endpoint",
                    "status_code=~\"5..\"",
                    "{endpoint=\"/api/v1/users\"}",
                    Map.of("{endpoint=\"/api/v1/users\"}", "0.5")),
            new Case(
                    "Exceptions by type",
                    "http_exceptions_total",
                    "{exception_type=\"none\"}",
                    Map.of("{endpoint=\"/api/v1/users\",exception_type=\"IllegalStateException\"}", "1")),
            new Case(
                    "Errors by operation and type",
                    "db_errors_total",
                    "{operation=\"none\"}",
                    Map.of("{error_type=\"timeout\",operation=\"select\"}", "1")));

    @Test
    void withoutTheirEventsThePanelsSayZeroNotNoData(@TempDir Path tmp) throws Exception {
        Map<String, String> queries = queries();
        List<Map<String, Object>> tests = new ArrayList<>();
        List<Map<String, Object>> none = new ArrayList<>();
        List<Map<String, Object>> some = new ArrayList<>();
        List<Map<String, Object>> idle = new ArrayList<>();
        for (Case c : CASES) {
            String expr = queries.get(c.panel());
            none.add(check(expr, Map.of(c.zero(), "0")));
            some.add(check(expr, c.withEvents()));
            idle.add(check(expr, Map.of()));
        }
        tests.add(test("traffic, none of the counted events yet", TRAFFIC, none));
        List<Map<String, String>> busy = new ArrayList<>(TRAFFIC);
        busy.addAll(EVENTS);
        tests.add(test("traffic and the counted events", busy, some));
        tests.add(test("no traffic at all", List.of(series("up{" + SVC + "}", "1x30")), idle));
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

    /** Each case's query from the generated dashboards, with Grafana's variables at their sample values. */
    private static Map<String, String> queries() {
        Map<String, String> found = new LinkedHashMap<>();
        for (Dashboard d : IdentityStack.dashboards()) {
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
                            .ifPresent(q -> found.putIfAbsent(c.panel(), substitute(q, d)));
                }
            }
        }
        assertThat(found.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        CASES.stream().map(Case::panel).toList());
        return found;
    }

    private static String substitute(String expr, Dashboard d) {
        String s = expr.replace("$__rate_interval", "5m");
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
