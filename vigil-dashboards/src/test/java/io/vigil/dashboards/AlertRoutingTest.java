package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/alertmanager rendered by its entrypoint (render.sh) and checked by Debian's amtool: every
 * severity routes to its receiver, a channel whose secret is not set is left out without breaking
 * the configuration, and no secret is ever written to the repository's files.
 */
class AlertRoutingTest {
    private static final Map<String, String> SECRETS = Map.of(
            "pagerduty_routing_key", "r0ut1ngk3y",
            "smtp_password", "it's a secret",
            "slack_webhook_url", "https://hooks.slack.invalid/services/T/B/X",
            "slack_info_webhook_url", "https://hooks.slack.invalid/services/T/B/INFO",
            "discord_webhook_url", "https://discord.invalid/api/webhooks/1/abc");
    private static final Map<String, String> EMAIL = Map.of(
            "SMTP_SMARTHOST", "smtp.example.com:587",
            "ALERT_EMAIL_TO", "ops@example.com",
            "SMTP_USERNAME", "alertmanager@example.com");

    @TempDir
    Path tmp;

    @Test
    void routesEverySeverityToItsReceiver() throws Exception {
        Path config = render(SECRETS, EMAIL);
        Map<String, String> expected = new LinkedHashMap<>();
        for (Severity s : Severity.values()) {
            expected.put("severity=" + s.label(), s.label());
        }
        expected.put("severity=unknown", "warning"); // an unlabelled alert still reaches chat
        for (Map.Entry<String, String> c : expected.entrySet()) {
            ToolsTest.Result r = ToolsTest.run(
                    tmp,
                    Deploy.tool("amtool").toString(),
                    "config",
                    "routes",
                    "test",
                    "--config.file=" + config,
                    "--verify.receivers=" + c.getValue(),
                    "alertname=Any",
                    c.getKey());
            assertThat(r.exit()).as(c.getKey() + ": " + r.output()).isZero();
        }
    }

    @Test
    void everySeverityReachesExactlyItsChannelsWhenAllAreConfigured() throws Exception {
        JsonNode config = Deploy.YAML.readTree(render(SECRETS, EMAIL).toFile());
        assertThat(channels(config, "critical"))
                .containsExactly("pagerduty_configs", "email_configs", "slack_configs", "discord_configs");
        assertThat(channels(config, "high")).containsExactly("email_configs", "slack_configs", "discord_configs");
        assertThat(channels(config, "warning")).containsExactly("slack_configs", "discord_configs");
        assertThat(channels(config, "info")).containsExactly("slack_configs");
        assertThat(config.at("/route/group_by").toString()).isEqualTo("[\"alertname\",\"severity\"]");
        assertThat(config.at("/route/repeat_interval").asText()).isEqualTo("12h");
        // the secrets Alertmanager can read from files stay in their files
        String text = Files.readString(tmp.resolve("out/alertmanager.yml"));
        assertThat(text)
                .doesNotContain("r0ut1ngk3y", "it's a secret", "hooks.slack.invalid")
                .contains("routing_key_file: '" + tmp.resolve("secrets") + "/pagerduty_routing_key'");
    }

    @Test
    void leavesOutEveryChannelWhoseSecretIsNotSet() throws Exception {
        Path config = render(Map.of(), Map.of());
        ToolsTest.Result r = ToolsTest.run(tmp, Deploy.tool("amtool").toString(), "check-config", config.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode rendered = Deploy.YAML.readTree(config.toFile());
        for (Severity s : Severity.values()) {
            assertThat(channels(rendered, s.label())).as(s.label()).isEmpty();
        }
        // only Slack set: chat for critical, high and warning; no info channel, no email, no pager
        Path onlySlack = render(Map.of("slack_webhook_url", SECRETS.get("slack_webhook_url")), Map.of());
        r = ToolsTest.run(tmp, Deploy.tool("amtool").toString(), "check-config", onlySlack.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        JsonNode slack = Deploy.YAML.readTree(onlySlack.toFile());
        assertThat(channels(slack, "critical")).containsExactly("slack_configs");
        assertThat(channels(slack, "high")).containsExactly("slack_configs");
        assertThat(channels(slack, "info")).isEmpty();
        // email without a password: a relay without authentication
        JsonNode relay = Deploy.YAML.readTree(render(Map.of(), EMAIL).toFile());
        assertThat(channels(relay, "high")).containsExactly("email_configs");
        assertThat(relay.at("/receivers/0/email_configs/0").has("auth_password_file"))
                .isFalse();
    }

    @Test
    void rendersTheDiscordUrlOnlyIntoThePrivateCopy() throws Exception {
        Path config = render(SECRETS, Map.of());
        assertThat(Files.readString(config)).contains("webhook_url: 'https://discord.invalid/api/webhooks/1/abc'");
        assertThat(Files.getPosixFilePermissions(config))
                .doesNotContain(
                        java.nio.file.attribute.PosixFilePermission.GROUP_READ,
                        java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        String source = Files.readString(Deploy.file("alertmanager/alertmanager.yml"));
        assertThat(source).contains("webhook_url: '${secret:discord_webhook_url}'");
    }

    @Test
    void aSecretFileWithWindowsLineEndsOrTrailingBlankLinesGivesItsValueAlone() throws Exception {
        Path secrets = Files.createDirectories(tmp.resolve("crlf-secrets"));
        Files.writeString(secrets.resolve("discord_webhook_url"), "https://discord.invalid/api/webhooks/1/abc\r\n");
        Files.writeString(secrets.resolve("slack_webhook_url"), "https://hooks.slack.invalid/T/B/X\n\n");
        Path config = Deploy.renderAlertmanager(tmp.resolve("crlf"), secrets, Map.of());

        assertThat(Files.readString(config))
                .contains("webhook_url: 'https://discord.invalid/api/webhooks/1/abc'")
                .doesNotContain("\r");
        JsonNode rendered = Deploy.YAML.readTree(config.toFile());
        assertThat(channels(rendered, "warning")).containsExactly("slack_configs", "discord_configs");
    }

    @Test
    void refusesValuesThatWouldBreakTheConfiguration() throws Exception {
        Path secrets = Files.createDirectories(tmp.resolve("bad-secrets"));
        Files.writeString(secrets.resolve("discord_webhook_url"), "https://a\nb: c");
        ProcessBuilder pb =
                new ProcessBuilder("sh", Deploy.file("alertmanager/render.sh").toString()).redirectErrorStream(true);
        pb.environment().put("RENDER_DIR", tmp.resolve("bad").toString());
        pb.environment().put("SECRETS_DIR", secrets.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isNotZero();
        assertThat(out).contains("discord_webhook_url spans several lines");
    }

    private Path render(Map<String, String> secrets, Map<String, String> env) throws Exception {
        Path dir = tmp.resolve("secrets");
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
        }
        Files.createDirectories(dir);
        for (Map.Entry<String, String> s : secrets.entrySet()) {
            Files.writeString(dir.resolve(s.getKey()), s.getValue() + "\n");
        }
        return Deploy.renderAlertmanager(tmp.resolve("out"), dir, env);
    }

    /** The integrations (…_configs with at least one entry) of a receiver, in file order. */
    private static List<String> channels(JsonNode config, String receiver) {
        List<String> found = new ArrayList<>();
        for (JsonNode r : config.get("receivers")) {
            if (r.get("name").asText().equals(receiver)) {
                r.fieldNames().forEachRemaining(f -> {
                    if (f.endsWith("_configs") && r.get(f).size() > 0) {
                        found.add(f);
                    }
                });
                return found;
            }
        }
        throw new AssertionError("no receiver " + receiver);
    }
}
