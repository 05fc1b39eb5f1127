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
        Files.copy(Deploy.file("prometheus/rules/identity.yml"), rules.resolve("identity.yml"));
        String test = Files.readString(Deploy.file("prometheus/tests/identity.test.yml"));
        assertThat(test).contains("15 failed authentications");
        Files.writeString(
                tests.resolve("identity.test.yml"),
                test.replace("15 failed authentications", "16 failed authentications"));
        Result r = run(tests, Deploy.tool("promtool").toString(), "test", "rules", "identity.test.yml");
        assertThat(r.exit()).isNotZero();
        assertThat(r.output()).contains("FAILED").contains("HighAuthenticationFailureRate");
    }

    @Test
    void amtoolAcceptsTheAlertmanagerConfig() throws Exception {
        Result r = run(Deploy.dir(), Deploy.tool("amtool").toString(), "check-config", "alertmanager/alertmanager.yml");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
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
