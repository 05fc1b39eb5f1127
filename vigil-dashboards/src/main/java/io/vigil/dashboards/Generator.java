package io.vigil.dashboards;

import io.vigil.dashboards.internal.CatalogueMarkdown;
import io.vigil.dashboards.internal.GrafanaJson;
import io.vigil.dashboards.internal.LayoutSvg;
import io.vigil.dashboards.internal.RulesYaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the generated part of {@code deploy/}: Grafana dashboards, Prometheus rule files and their
 * promtool tests, Loki ruler rules, {@code CATALOGUE.md} and the layout picture. Run by {@code
 * ./mvnw -pl vigil-dashboards -am -Pregenerate process-classes}; a test fails when the committed
 * files differ from what {@link #files(MetricCatalogue)} produces.
 */
public final class Generator {
    /** Directories (relative to {@code deploy/}) whose every file is generated. */
    public static final List<String> GENERATED_DIRS =
            List.of("grafana/dashboards", "prometheus/rules", "prometheus/tests", "loki/rules/fake");

    private Generator() {}

    /** Every generated file, by path relative to {@code deploy/}. */
    public static Map<String, String> files(MetricCatalogue catalogue) {
        Map<String, String> files = new TreeMap<>();
        List<Dashboard> dashboards = StandardDashboards.all(catalogue);
        for (Dashboard d : dashboards) {
            files.put("grafana/dashboards/" + d.uid() + ".json", GrafanaJson.render(d));
        }
        List<RuleGroup> groups = StandardAlerts.groups(catalogue);
        for (RuleGroup g : groups) {
            files.put("prometheus/rules/" + g.file() + ".yml", RulesYaml.rules(List.of(g)));
            files.put(
                    "prometheus/tests/" + g.file() + ".test.yml", RulesYaml.tests(g, "../rules/" + g.file() + ".yml"));
        }
        RuleGroup logs = StandardAlerts.logAlerts();
        files.put("loki/rules/fake/" + logs.file() + ".yml", RulesYaml.rules(List.of(logs)));
        files.put("CATALOGUE.md", CatalogueMarkdown.render(dashboards, groups, List.of(logs)));
        files.put("dashboards-layout.svg", LayoutSvg.render(dashboards));
        return files;
    }

    /** Writes the files under the directory given as the first argument (default {@code deploy}). */
    public static void main(String[] args) throws IOException {
        Path root =
                Path.of(args.length > 0 ? args[0] : "deploy").toAbsolutePath().normalize();
        Map<String, String> files = files(MetricCatalogue.standard());
        for (String dir : GENERATED_DIRS) {
            Path d = root.resolve(dir);
            if (Files.isDirectory(d)) {
                try (var stream = Files.list(d)) {
                    for (Path p : stream.toList()) {
                        if (!files.containsKey(root.relativize(p).toString().replace('\\', '/'))) {
                            Files.delete(p);
                        }
                    }
                }
            }
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path p = root.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
        }
        System.out.println("Generated " + files.size() + " files under " + root);
    }
}
