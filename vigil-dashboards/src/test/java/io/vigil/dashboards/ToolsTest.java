package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration checked by the real tools from Debian's prometheus and prometheus-alertmanager. */
class ToolsTest {
    record Result(int exit, String output) {}

    @Test
    void promtoolAcceptsThePrometheusConfigAndTheRulesItLoads() throws Exception {
        Result r =
                run(Deploy.dir(), Deploy.tool("promtool").toString(), "check", "config", "prometheus/prometheus.yml");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS").doesNotContain("0 rule files found");
    }

    @Test
    void promtoolAcceptsEveryRuleFile() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Deploy.tool("promtool").toString(), "check", "rules"));
        cmd.addAll(files("prometheus/rules"));
        Result r = run(Deploy.dir(), cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @Test
    void everyAlertPassesItsPromtoolCases() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Deploy.tool("promtool").toString(), "test", "rules"));
        cmd.addAll(files("prometheus/tests").stream()
                .map(f -> Path.of(f).getFileName().toString())
                .toList());
        Result r = run(Deploy.file("prometheus/tests"), cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).doesNotContain("FAILED");
    }

    @Test
    void promtoolCasesFailWhenAnExpectationIsWrong(@TempDir Path tmp) throws Exception {
        // Guards the harness itself: a wrong expected value must make promtool fail.
        Path rules = Files.createDirectories(tmp.resolve("rules"));
        Path tests = Files.createDirectories(tmp.resolve("tests"));
        Files.copy(
                Deploy.file("prometheus/rules/identity-service-identity.yml"),
                rules.resolve("identity-service-identity.yml"));
        String test = Files.readString(Deploy.file("prometheus/tests/identity-service-identity.test.yml"));
        assertThat(test).contains("15 failed authentications");
        Files.writeString(
                tests.resolve("identity-service-identity.test.yml"),
                test.replace("15 failed authentications", "16 failed authentications"));
        Result r =
                run(tests, Deploy.tool("promtool").toString(), "test", "rules", "identity-service-identity.test.yml");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("FAILED").contains("HighAuthenticationFailureRate");
    }

    @Test
    void amtoolAcceptsTheAlertmanagerConfigAsItsEntrypointRendersIt(@TempDir Path tmp) throws Exception {
        Path secrets = Files.createDirectories(tmp.resolve("secrets"));
        for (String s : List.of("pagerduty_routing_key", "slack_webhook_url", "discord_webhook_url")) {
            Files.writeString(secrets.resolve(s), "https://example.invalid/" + s);
        }
        Path config = Deploy.renderAlertmanager(
                tmp.resolve("out"),
                secrets,
                java.util.Map.of("SMTP_SMARTHOST", "smtp.example.com:587", "ALERT_EMAIL_TO", "ops@example.com"));
        Result r = run(tmp, Deploy.tool("amtool").toString(), "check-config", config.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS").contains("5 inhibit rules").contains("1 templates");
    }

    @Test
    void theLokiRuleFileHasThePrometheusRuleFormatLokisRulerReads(@TempDir Path tmp) throws Exception {
        // Loki's ruler reads Prometheus rule groups with LogQL expressions. promtool checks everything
        // but the expressions (durations, label names, annotation templates) once each LogQL
        // expression is swapped for a PromQL one; LogQlRulesTest checks the expressions themselves.
        com.fasterxml.jackson.databind.JsonNode rules = Deploy.yaml("loki/rules/fake/identity-service-log-alerts.yml");
        for (com.fasterxml.jackson.databind.JsonNode group : rules.get("groups")) {
            for (com.fasterxml.jackson.databind.JsonNode rule : group.get("rules")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) rule).put("expr", "vector(1)");
            }
        }
        Path copy = tmp.resolve("log-alerts.yml");
        Deploy.YAML.writeValue(copy.toFile(), rules);
        Result r = run(tmp, Deploy.tool("promtool").toString(), "check", "rules", copy.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 6 rules found");
    }

    private static List<String> files(String dir) throws IOException {
        try (var s = Files.list(Deploy.file(dir))) {
            return s.map(p -> Deploy.dir().relativize(p).toString()).sorted().toList();
        }
    }

    static Result run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
