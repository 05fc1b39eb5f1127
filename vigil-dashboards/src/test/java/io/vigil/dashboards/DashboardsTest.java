package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.dashboards.internal.GrafanaJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DashboardsTest {
    private static final Pattern DOTTED = Pattern.compile("(?<![\\w.])([a-zA-Z_]\\w*(?:\\.\\w+)+)");
    private static final Pattern QUOTED = Pattern.compile("\"[^\"]*\"");
    private static final Pattern RECORDED = Pattern.compile("\\b(\\w+:\\w+:\\w+)\\b");

    private final List<Dashboard> dashboards = IdentityStack.dashboards();

    @Test
    void coversTheEightDashboardsWithUidsAndTitlesOfTheService() {
        assertThat(dashboards)
                .extracting(Dashboard::uid)
                .containsExactly(
                        "identity-service-overview",
                        "identity-service-auth-security",
                        "identity-service-users-tokens",
                        "identity-service-pipeline", // Messaging: the audit outbox's producer
                        "identity-service-database",
                        "identity-service-jvm",
                        "identity-service-logs",
                        "identity-service-traces");
        assertThat(dashboards).allSatisfy(d -> {
            assertThat(d.uid()).hasSizeLessThanOrEqualTo(40).matches("[A-Za-z0-9_-]+");
            assertThat(d.title()).startsWith("identity-service · ");
            assertThat(d.tags()).containsExactly("vigil", "identity-service");
        });
        assertThat(dashboards.get(0).title()).isEqualTo("identity-service · Service overview");
    }

    @Test
    void rendersSchemaVersion39OrLaterWithUniquePanelIds() throws Exception {
        for (Dashboard d : dashboards) {
            JsonNode json = Deploy.JSON.readTree(GrafanaJson.render(d));
            assertThat(json.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(39);
            assertThat(json.get("uid").asText()).isEqualTo(d.uid());
            Set<Integer> ids = new HashSet<>();
            for (JsonNode p : json.get("panels")) {
                assertThat(ids.add(p.get("id").asInt()))
                        .as("panel id %s in %s", p.get("id"), d.uid())
                        .isTrue();
                assertThat(p.get("title").asText()).isNotBlank();
                assertThat(p.get("type").asText()).isNotBlank();
                if (!p.get("type").asText().equals("row")) {
                    assertThat(p.get("targets")).as(p.get("title").asText()).isNotEmpty();
                }
            }
        }
    }

    @Test
    void placesPanelsInsideTheGridWithoutOverlap() {
        for (Dashboard d : dashboards) {
            List<Dashboard.Placed> panels = d.panels();
            for (Dashboard.Placed p : panels) {
                assertThat(p.x() + p.w()).as(p.title()).isLessThanOrEqualTo(Dashboard.COLUMNS);
            }
            for (int i = 0; i < panels.size(); i++) {
                for (int j = i + 1; j < panels.size(); j++) {
                    Dashboard.Placed a = panels.get(i);
                    Dashboard.Placed b = panels.get(j);
                    boolean overlap = a.x() < b.x() + b.w()
                            && b.x() < a.x() + a.w()
                            && a.y() < b.y() + b.h()
                            && b.y() < a.y() + a.h();
                    assertThat(overlap)
                            .as("%s overlaps %s in %s", a.title(), b.title(), d.uid())
                            .isFalse();
                }
            }
        }
    }

    @Test
    void usesOnlyDataSourceUidsTheProvisioningDefines() throws Exception {
        Set<String> provisioned = new HashSet<>();
        for (JsonNode ds :
                Deploy.yaml("grafana/provisioning/datasources/datasources.yml").get("datasources")) {
            provisioned.add(ds.get("uid").asText());
        }
        for (Dashboard d : dashboards) {
            JsonNode json = Deploy.JSON.readTree(GrafanaJson.render(d));
            List<String> used = new ArrayList<>();
            json.findValues("datasource").forEach(ds -> {
                if (!ds.path("uid").asText().equals("-- Grafana --")) {
                    used.add(ds.path("uid").asText());
                }
            });
            assertThat(used).as(d.uid()).isNotEmpty();
            assertThat(provisioned).as(d.uid()).containsAll(used);
        }
    }

    @Test
    void writesTraceqlWithScopedAttributeNamesOnly() {
        List<String> traceql = queries(Query.Language.TRACEQL);
        assertThat(traceql).isNotEmpty();
        for (String q : traceql) {
            Matcher m = DOTTED.matcher(QUOTED.matcher(q).replaceAll("\"\""));
            while (m.find()) {
                assertThat(m.group(1)).as(q).matches("(span|resource)\\..+");
            }
        }
    }

    @Test
    void selectsLogStreamsByTheServiceLabel() {
        List<String> logql = queries(Query.Language.LOGQL);
        assertThat(logql).isNotEmpty();
        for (String q : logql) {
            assertThat(q).as(q).containsPattern("\\{service=\"\\$service\"(, level=\"ERROR\")?}");
        }
    }

    @Test
    void readsOnlyRecordingRulesThatAreGenerated() {
        Set<String> recorded = new HashSet<>();
        IdentityStack.groups().forEach(g -> g.recordingRules().forEach(r -> recorded.add(r.record())));
        for (String q : queries(Query.Language.PROMQL)) {
            Matcher m = RECORDED.matcher(q);
            while (m.find()) {
                assertThat(recorded).as(q).contains(m.group(1));
            }
        }
    }

    private List<String> queries(Query.Language language) {
        return dashboards.stream()
                .flatMap(d -> d.queries().stream())
                .filter(q -> q.language() == language)
                .map(Query::text)
                .toList();
    }
}
