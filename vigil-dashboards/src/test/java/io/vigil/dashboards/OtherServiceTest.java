package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.DatabaseOperation;
import io.vigil.core.MessageConsumption;
import io.vigil.core.OperationKind;
import io.vigil.identity.telemetry.IdentityCatalogue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dashboards and rules for a service that is not identity-service: "orders", with core's database
 * kind, a kind of its own and the HTTP module's metrics. Nothing of identity-service may show up, and
 * the rules must pass promtool.
 */
class OtherServiceTest {
    static final ServiceTarget ORDERS = ServiceTarget.of("orders", "orders");

    /** The orders service's kinds, as a service names them on the generator's command line. */
    public static final class OrdersKinds implements Supplier<Collection<OperationKind>> {
        static final OperationKind ORDER_PLACEMENT = OperationKind.builder("order_placement")
                .dimension("channel", "order.channel", Set.of("web", "api"))
                .spanName(op -> "order." + op.value(0) + "." + op.name())
                .outcome("status", "order.status", OperationKind.OutcomeEncoding.STATUS)
                .durationSpanAttribute("order.duration_seconds")
                .counter("orders_placed_total", "Orders placed", OperationKind.Trigger.END, "channel", "status")
                .durationHistogram("order_placement_duration_seconds", "Order placement duration", "channel")
                .build();

        @Override
        public Collection<OperationKind> get() {
            return List.of(DatabaseOperation.KIND, ORDER_PLACEMENT);
        }
    }

    private final List<OperationKind> kinds = List.copyOf(new OrdersKinds().get());
    /** The command line's default: HTTP, runtime, up, and the pool its database kind implies. */
    private final MetricCatalogue catalogue = MetricCatalogue.forKinds(kinds);

    /** Every metric identity-service has and orders has not: its kinds' but core's, and its token gauge. */
    private static Set<String> identityOnlyMetrics() {
        Set<String> names = new HashSet<>();
        for (OperationKind k : new IdentityCatalogue().get()) {
            if (k != DatabaseOperation.KIND && k != MessageConsumption.KIND) {
                k.instruments().forEach(i -> names.add(i.name()));
            }
        }
        names.add("active_tokens");
        assertThat(names).contains("authentication_attempts_total", "token_operations_total");
        return names;
    }

    @Test
    void theCatalogueHoldsOnlyWhatTheServiceExposes() {
        assertThat(PlatformMetrics.implied(kinds))
                .containsExactlyInAnyOrder(
                        PlatformMetrics.HTTP, PlatformMetrics.CORE, PlatformMetrics.PROMETHEUS, PlatformMetrics.POOL);
        assertThat(catalogue.contains("orders_placed_total")).isTrue();
        assertThat(catalogue.contains("db_connections_active")).isTrue();
        assertThat(catalogue.contains("consumer_lag")).isFalse();
        assertThat(catalogue.contains("active_tokens")).isFalse();
        assertThat(catalogue.contains("ws_connections_active")).isFalse(); // WebSocket is named, never implied
        assertThat(catalogue.contains("rate_limit_hits_total")).isFalse(); // so are rate limits
        assertThat(catalogue.contains("token_validation_total")).isFalse(); // and bearer-token validation
    }

    @Test
    void aServiceWithoutARateLimiterGetsNoRateLimitAlertOrPanel() {
        assertThat(alertNames(StandardAlerts.groups(catalogue, ORDERS))).doesNotContain("RateLimitAbuse");
        assertThat(StandardDashboards.all(catalogue, ORDERS))
                .flatExtracting(Dashboard::panels)
                .extracting(Dashboard.Placed::title)
                .doesNotContain("Rate-limit hits by type");
        Generator.files(catalogue, ORDERS)
                .forEach((path, text) -> assertThat(text)
                        .as(path)
                        .doesNotContain("rate_limit_hits_total", "RateLimitAbuse", "token_validation_total"));
        // the HTTP source alone holds neither: a service names them with --platform
        assertThat(PlatformMetrics.of(List.of(PlatformMetrics.HTTP)))
                .extracting(Metric::name)
                .doesNotContain("rate_limit_hits_total", "token_validation_total");
    }

    @Test
    void aServiceWithARateLimiterNamesTheSourceAndGetsItsPanelAndAlert() {
        Set<String> sources = new java.util.LinkedHashSet<>(PlatformMetrics.implied(kinds));
        sources.add(PlatformMetrics.RATE_LIMIT);
        MetricCatalogue limited = MetricCatalogue.of(kinds, PlatformMetrics.of(sources));
        assertThat(alertNames(StandardAlerts.groups(limited, ORDERS))).contains("RateLimitAbuse");
        assertThat(StandardDashboards.all(limited, ORDERS).get(0).panels())
                .extracting(Dashboard.Placed::title)
                .contains("Rate-limit hits by type");
        assertThat(PlatformMetrics.of(List.of(PlatformMetrics.RATE_LIMIT)))
                .extracting(Metric::name)
                .containsExactly("rate_limit_hits_total");
        assertThat(PlatformMetrics.of(List.of(PlatformMetrics.TOKEN_VALIDATION)))
                .extracting(Metric::name)
                .containsExactly("token_validation_total");
    }

    @Test
    void generatesNoIdentityRowPanelOrAlert() {
        Map<String, String> files = Generator.files(catalogue, ORDERS);
        Set<String> identity = identityOnlyMetrics();
        files.forEach((path, text) -> {
            assertThat(text).as(path).doesNotContain("identity-service");
            for (String metric : identity) {
                assertThat(text).as(path).doesNotContain(metric);
            }
        });
        List<Dashboard> dashboards = StandardDashboards.all(catalogue, ORDERS);
        assertThat(dashboards)
                .extracting(Dashboard::uid)
                .containsExactly("orders-overview", "orders-database", "orders-jvm", "orders-logs", "orders-traces");
        List<String> rows = dashboards.stream()
                .flatMap(d -> d.panels().stream())
                .filter(Dashboard.Placed::isRow)
                .map(Dashboard.Placed::title)
                .toList();
        assertThat(rows)
                .contains("Golden signals", "Operations", "Connection pool")
                .doesNotContain(
                        "WebSocket",
                        "Message consumers",
                        "Authentication and security",
                        "Users and tokens",
                        "PostgreSQL (postgres-exporter)");
        assertThat(alertNames(StandardAlerts.groups(catalogue, ORDERS)))
                .contains("HighErrorRate", "ServiceDown", "SlowDatabaseQueries", "DatabaseConnectionPoolExhausted")
                .doesNotContain(
                        "HighAuthenticationFailureRate",
                        "UnauthorizedAccessAttempts",
                        "SignupSurge",
                        "DatabaseDown",
                        "RedisDown",
                        "ConsumerLagHigh",
                        "HighWebSocketConnections",
                        "HighTraceErrorRate");
        assertThat(StandardAlerts.logAlerts(catalogue, ORDERS).alerts())
                .extracting(AlertRule::name)
                .containsExactly("HighErrorLogRate", "DatabaseErrorLogs", "TaskFailureLogs", "ValidationErrorLogs");
    }

    @Test
    void aServiceWithoutADatabaseGetsNoPoolAlertOrDatabaseDashboard() {
        MetricCatalogue noDb = MetricCatalogue.forKinds(List.of(OrdersKinds.ORDER_PLACEMENT));
        assertThat(alertNames(StandardAlerts.groups(noDb, ORDERS)))
                .doesNotContain("DatabaseConnectionPoolExhausted", "SlowDatabaseQueries");
        assertThat(StandardDashboards.all(noDb, ORDERS))
                .extracting(Dashboard::uid)
                .doesNotContain(StandardDashboards.uid(ORDERS, StandardDashboards.DATABASE));
    }

    @Test
    void scopesEveryQueryAndRuleToTheService() {
        for (Dashboard d : StandardDashboards.all(catalogue, ORDERS)) {
            Set<String> variables = d.variables().stream().map(Variable::name).collect(Collectors.toSet());
            for (Query q : d.queries()) {
                switch (q.language()) {
                    case PROMQL -> {
                        if (q.text().contains("traces_spanmetrics")) {
                            assertThat(q.text()).as(q.text()).contains("service=\"$service\"");
                        } else {
                            assertThat(variables).as(d.uid()).contains("job", "instance");
                            assertThat(q.text()).as(q.text()).contains("job=~\"$job\"");
                            if (!q.text().contains("job:")) { // recorded per job
                                assertThat(q.text()).as(q.text()).contains("instance=~\"$instance\"");
                            }
                        }
                    }
                    case LOGQL -> assertThat(q.text()).as(q.text()).contains("service=\"$service\"");
                    case TRACEQL -> assertThat(q.text()).as(q.text()).contains("\"$service\"");
                    default -> {}
                }
            }
            d.variables().stream()
                    .filter(v -> v.name().equals("job") || v.name().equals("service"))
                    .forEach(v -> assertThat(v.value()).as(d.uid()).isEqualTo("orders"));
        }
        for (RuleGroup g : StandardAlerts.groups(catalogue, ORDERS)) {
            g.alerts().forEach(a -> assertThat(a.expr()).as(a.name()).contains("job=\"orders\""));
            g.recordingRules().forEach(r -> assertThat(r.expr()).as(r.record()).contains("job=\"orders\""));
        }
        for (AlertRule a : StandardAlerts.logAlerts(catalogue, ORDERS).alerts()) {
            assertThat(a.expr()).as(a.name()).contains("{service=\"orders\", level=");
        }
    }

    @Test
    void linksEveryAlertToAGeneratedDashboard() {
        Set<String> uids = StandardDashboards.all(catalogue, ORDERS).stream()
                .map(Dashboard::uid)
                .collect(Collectors.toSet());
        List<AlertRule> all = new ArrayList<>();
        StandardAlerts.groups(catalogue, ORDERS).forEach(g -> all.addAll(g.alerts()));
        all.addAll(StandardAlerts.logAlerts(catalogue, ORDERS).alerts());
        assertThat(all).allSatisfy(a -> assertThat(uids).as(a.name()).contains(a.dashboardUid()));
    }

    @Test
    void promtoolAcceptsTheRulesAndPassesTheirCases(@TempDir Path out) throws Exception {
        Generator.write(out, catalogue, ORDERS);
        promtoolPasses(out, 1);
        assertThat(Files.readString(out.resolve("prometheus/tests/orders-slo.test.yml"), StandardCharsets.UTF_8))
                .contains("job:http_apdex:ratio_rate5m{job=\\\"orders\\\"}");
    }

    /** promtool accepts every rule file under {@code out} (more than {@code atLeast}) and passes every case. */
    private static void promtoolPasses(Path out, int atLeast) throws Exception {
        List<String> check = new ArrayList<>(List.of(Deploy.tool("promtool").toString(), "check", "rules"));
        List<String> tests = new ArrayList<>(List.of(Deploy.tool("promtool").toString(), "test", "rules"));
        try (var rules = Files.list(out.resolve("prometheus/rules"))) {
            rules.sorted().forEach(p -> check.add(p.toString()));
        }
        try (var cases = Files.list(out.resolve("prometheus/tests"))) {
            cases.sorted().forEach(p -> tests.add(p.getFileName().toString()));
        }
        assertThat(check).hasSizeGreaterThan(3 + atLeast);
        ToolsTest.Result checked = ToolsTest.run(out, check.toArray(String[]::new));
        assertThat(checked.exit()).as(checked.output()).isZero();
        ToolsTest.Result tested = ToolsTest.run(out.resolve("prometheus/tests"), tests.toArray(String[]::new));
        assertThat(tested.exit()).as(tested.output()).isZero();
        assertThat(tested.output()).doesNotContain("FAILED");
    }

    @Test
    void aServiceWithWebSocketsNamesTheSourceAndGetsItsRowAndAlert() {
        Set<String> sources = new java.util.LinkedHashSet<>(PlatformMetrics.implied(kinds));
        sources.add(PlatformMetrics.WEBSOCKET);
        MetricCatalogue withWs = MetricCatalogue.of(kinds, PlatformMetrics.of(sources));
        assertThat(alertNames(StandardAlerts.groups(withWs, ORDERS))).contains("HighWebSocketConnections");
        assertThat(StandardDashboards.all(withWs, ORDERS).get(0).panels())
                .extracting(Dashboard.Placed::title)
                .contains("WebSocket", "Open connections");
        assertThat(PlatformMetrics.of(List.of(PlatformMetrics.HTTP)))
                .extracting(Metric::name)
                .contains("http_requests_total")
                .noneMatch(name -> name.startsWith("ws_"));
    }

    @Test
    void twoServicesGeneratedIntoOneDirectoryKeepTheirOwnDashboardsAndRules(@TempDir Path out) throws Exception {
        Generator.write(out, IdentityStack.catalogue(), IdentityStack.TARGET);
        Generator.write(out, catalogue, ORDERS);
        Map<String, String> identity = Generator.files(IdentityStack.catalogue(), IdentityStack.TARGET);
        Map<String, String> orders = Generator.files(catalogue, ORDERS);
        assertThat(identity.keySet()).doesNotContainAnyElementsOf(orders.keySet());
        for (Map<String, String> files : List.of(identity, orders)) {
            for (Map.Entry<String, String> e : files.entrySet()) {
                assertThat(out.resolve(e.getKey())).as(e.getKey()).hasContent(e.getValue());
            }
        }
        List<Dashboard> all = new ArrayList<>(StandardDashboards.all(IdentityStack.catalogue(), IdentityStack.TARGET));
        all.addAll(StandardDashboards.all(catalogue, ORDERS));
        assertThat(all)
                .extracting(Dashboard::uid)
                .doesNotHaveDuplicates()
                .allSatisfy(uid -> assertThat(uid).hasSizeLessThanOrEqualTo(40).matches("[A-Za-z0-9_-]+"));
        assertThat(all).extracting(Dashboard::title).doesNotHaveDuplicates();
        try (var dashboards = Files.list(out.resolve("grafana/dashboards"))) {
            List<String> uids = new ArrayList<>();
            for (Path p : dashboards.toList()) {
                uids.add(Deploy.JSON.readTree(p.toFile()).get("uid").asText());
            }
            assertThat(uids).hasSize(all.size()).doesNotHaveDuplicates();
        }
        // each service's alerts link to its own dashboards
        for (RuleGroup g : StandardAlerts.groups(catalogue, ORDERS)) {
            g.alerts().forEach(a -> assertThat(a.dashboardUid()).as(a.name()).startsWith("orders-"));
        }
        for (RuleGroup g : StandardAlerts.groups(IdentityStack.catalogue(), IdentityStack.TARGET)) {
            g.alerts().forEach(a -> assertThat(a.dashboardUid()).as(a.name()).startsWith("identity-service-"));
        }
        promtoolPasses(out, 10);
        // regenerating one service leaves the other's files alone
        Generator.write(out, MetricCatalogue.forKinds(List.of(OrdersKinds.ORDER_PLACEMENT)), ORDERS);
        assertThat(out.resolve("grafana/dashboards/orders-database.json")).doesNotExist();
        identity.keySet().forEach(path -> assertThat(out.resolve(path)).exists());
    }

    @Test
    void everyAlertNamesTheCatalogueThatHoldsItsRunbook(@TempDir Path out) throws Exception {
        // One RUNBOOK_URL served every service's alerts from the first service's catalogue, where the others'
        // headings do not exist: each alert now names its own, and the notification template links that one.
        Generator.write(out, IdentityStack.catalogue(), IdentityStack.TARGET);
        Generator.write(out, catalogue, ORDERS);
        int alerts = 0;
        for (String dir : List.of("prometheus/rules", "loki/rules/fake")) {
            try (var files = Files.list(out.resolve(dir))) {
                for (Path file : files.toList()) {
                    for (com.fasterxml.jackson.databind.JsonNode g :
                            Deploy.YAML.readTree(file.toFile()).get("groups")) {
                        for (com.fasterxml.jackson.databind.JsonNode rule : g.get("rules")) {
                            if (!rule.has("alert")) {
                                continue;
                            }
                            alerts++;
                            String service = file.getFileName().toString().startsWith("orders-")
                                    ? "orders"
                                    : IdentityStack.TARGET.slug();
                            String catalogueFile =
                                    rule.at("/annotations/catalogue").asText();
                            assertThat(catalogueFile)
                                    .as(rule.get("alert").asText())
                                    .isEqualTo(service + "/CATALOGUE.md");
                            assertThat(Files.readString(out.resolve(catalogueFile)))
                                    .as(rule.get("alert").asText())
                                    .contains("\n### " + rule.get("alert").asText() + "\n");
                        }
                    }
                }
            }
        }
        assertThat(alerts).isGreaterThan(20);
    }

    @Test
    void theGeneratorOwnsEveryFileItGeneratesInASharedDirectory() {
        // write() only replaces and deletes owned() files: a new dashboard or rule group must be listed
        // in StandardDashboards.NAMES / StandardAlerts.FILES, or its stale file would never be deleted
        for (ServiceTarget target : List.of(IdentityStack.TARGET, ORDERS)) {
            List<String> inSharedDirs = Generator.files(IdentityStack.catalogue(), target).keySet().stream()
                    .filter(path -> Generator.GENERATED_DIRS.stream().anyMatch(dir -> path.startsWith(dir + "/")))
                    .toList();
            assertThat(inSharedDirs).hasSizeGreaterThan(20);
            assertThat(Generator.owned(target)).containsAll(inSharedDirs);
        }
        assertThat(Generator.owned(ORDERS)).allSatisfy(path -> assertThat(path).contains("/orders-"));
    }

    @Test
    void slugsAreValidUidPartsAndDistinct() {
        assertThat(ServiceTarget.of("orders", "orders").slug()).isEqualTo("orders");
        String dotted = ServiceTarget.of("j", "shop.orders:v2").slug();
        String dashed = ServiceTarget.of("j", "shop-orders-v2").slug();
        assertThat(dotted).matches("shop-orders-v2-[0-9a-f]{8}").isNotEqualTo(dashed);
        String long1 = ServiceTarget.of("j", "a-very-long-service-name-of-the-payments-team")
                .slug();
        String long2 = ServiceTarget.of("j", "a-very-long-service-name-of-the-payments-team2")
                .slug();
        assertThat(long1).hasSize(ServiceTarget.MAX_SLUG_LENGTH).isNotEqualTo(long2);
        for (String name : StandardDashboards.NAMES) {
            assertThat(StandardDashboards.uid(
                            ServiceTarget.of("j", "a-very-long-service-name-of-the-payments-team"), name))
                    .hasSizeLessThanOrEqualTo(40)
                    .matches("[A-Za-z0-9_-]+");
        }
    }

    private static List<String> alertNames(List<RuleGroup> groups) {
        return groups.stream()
                .flatMap(g -> g.alerts().stream())
                .map(AlertRule::name)
                .toList();
    }
}
