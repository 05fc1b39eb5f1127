package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.IdentityConfig;
import io.vigil.identity.IdentityService;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts reach people, end to end with real parts: the reference identity service in-process under
 * a brute-force burst, Debian's Prometheus evaluating the generated rules, Debian's Alertmanager
 * running the configuration deploy/alertmanager/render.sh renders (its entrypoint), and the
 * receivers on loopback: GreenMail for SMTP and one HTTP server standing in for the Slack, Discord
 * and PagerDuty webhooks (their request shapes are parsed as the services would).
 *
 * <p>Live, the burst fires AccountLockoutSpike (critical), HighAuthenticationFailureRate and
 * HighFailedLoginRate (high), RateLimitAbuse (warning) and SignupSurge (info); dead scrape targets
 * fire ServiceDown (two targets, one group) and DatabaseDown. The inhibition cases that need a
 * symptom on a target Prometheus cannot scrape are posted to Alertmanager's API the way Prometheus
 * and Loki's ruler post alerts. The test asserts which channel got which alert with what severity
 * and content, that inhibited alerts reach nobody, grouping, and the resolved notifications once
 * the burst stops.
 *
 * <p>Time scales are the live check's: the driven alerts' {@code for:} is 0s (ServiceDown's 15s, so
 * that a live target scraped late on a busy machine does not count as down), the burst alerts'
 * 5-minute windows are {@value #WINDOW}, Alertmanager's group_wait and group_interval are 1s
 * (004's 10s in the shipped file). The burst alerts' thresholds, sized for production (10/s, 100/s, more than
 * 5 lockouts), are 0.5/s and more than 1 lockout here, so that a small burst on two busy cores
 * crosses them within seconds: thresholds are tested by promtool's cases and by LiveStackTest with
 * a full burst; delivery is this test's. Needs {@code prometheus} and {@code
 * prometheus-alertmanager}: fails without them under {@code -Dvigil.require.servers=true} (CI).
 */
class AlertDeliveryTest {
    private static final String WINDOW = "30s";
    private static final Set<String> DRIVEN = Set.of(
            "AccountLockoutSpike",
            "HighAuthenticationFailureRate",
            "HighFailedLoginRate",
            "SignupSurge",
            "RateLimitAbuse",
            "ServiceDown",
            "DatabaseDown");
    private static final List<String> BURST_ALERTS =
            List.of("AccountLockoutSpike", "HighAuthenticationFailureRate", "HighFailedLoginRate", "RateLimitAbuse");

    /** The channels and the severities each may carry (deploy/alertmanager/alertmanager.yml). */
    private static final Map<String, Set<String>> CHANNELS = Map.of(
            "pagerduty", Set.of("critical"),
            "email", Set.of("critical", "high"),
            "slack", Set.of("critical", "high", "warning"),
            "discord", Set.of("critical", "high", "warning"),
            "slack-info", Set.of("info"));

    private static final String RUNBOOKS = "https://git.vigil.test/deploy/identity-service/CATALOGUE.md";
    private static final String GRAFANA = "http://grafana.vigil.test:3000";
    private static final String ROUTING_KEY = "vigil-test-routing-key";
    private static final String ADMIN_PASSWORD = "delivery check passphrase 2024";
    private static final String PASSWORD = "victim passphrase 2024";
    private static final Pattern TITLE = Pattern.compile("\\[(FIRING|RESOLVED)(?::(\\d+))?] (\\w+) \\((\\w+)\\)");

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final HttpClient ATTACKER = LiveClients.from("127.0.0.2");
    private static final HttpClient SIGNUPS = LiveClients.from("127.0.0.3");

    /** One notification as a channel received it. */
    record Notification(String channel, String status, int count, String alertname, String severity, String text) {
        boolean isFiring() {
            return status.equals("FIRING");
        }
    }

    private static final List<Notification> received = new CopyOnWriteArrayList<>();
    private static final List<JsonNode> pagerduty = new CopyOnWriteArrayList<>();

    @TempDir
    static Path tmp;

    private static long started;
    private static GreenMail smtp;
    private static HttpServer hooks;
    private static Process alertmanager;
    private static Process prometheus;
    private static URI alertmanagerUrl;
    private static URI prometheusUrl;
    private static Vigil vigil;
    private static IdentityService service;
    private static String liveTarget;
    private static String deadTarget;

    @BeforeAll
    static void startStack() throws Exception {
        started = System.nanoTime();
        Path prometheusBinary = Deploy.tool("prometheus");
        Path alertmanagerBinary = Deploy.tool("prometheus-alertmanager");
        Path amtool = Deploy.tool("amtool");

        smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.setUser("oncall@vigil.test", "alertmanager", "smtp-secret");
        smtp.start();
        hooks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        for (String channel : List.of("slack", "slack-info", "discord", "pagerduty")) {
            hooks.createContext("/" + channel, exchange -> {
                try (exchange) {
                    JsonNode body = Deploy.JSON.readTree(exchange.getRequestBody());
                    record(channel, body);
                    // what each service answers: Slack "ok", Discord 204, PagerDuty 202 + JSON
                    byte[] answer = channel.equals("pagerduty")
                            ? "{\"status\":\"success\",\"message\":\"Event processed\"}"
                                    .getBytes(StandardCharsets.UTF_8)
                            : "ok".getBytes(StandardCharsets.UTF_8);
                    if (channel.equals("discord")) {
                        exchange.sendResponseHeaders(204, -1);
                    } else {
                        exchange.sendResponseHeaders(channel.equals("pagerduty") ? 202 : 200, answer.length);
                        exchange.getResponseBody().write(answer);
                    }
                }
            });
        }
        hooks.start();
        String hookBase = "http://127.0.0.1:" + hooks.getAddress().getPort() + "/";

        // The configuration as the container's entrypoint renders it, with this test's secrets.
        Path secrets = Files.createDirectories(tmp.resolve("secrets"));
        Files.writeString(secrets.resolve("pagerduty_routing_key"), ROUTING_KEY);
        Files.writeString(secrets.resolve("smtp_password"), "smtp-secret");
        Files.writeString(secrets.resolve("slack_webhook_url"), hookBase + "slack");
        Files.writeString(secrets.resolve("slack_info_webhook_url"), hookBase + "slack-info");
        Files.writeString(secrets.resolve("discord_webhook_url"), hookBase + "discord");
        Path config = Deploy.renderAlertmanager(
                tmp.resolve("alertmanager-config"),
                secrets,
                Map.of(
                        "SMTP_SMARTHOST",
                        "127.0.0.1:" + smtp.getSmtp().getPort(),
                        "SMTP_REQUIRE_TLS",
                        "false",
                        "SMTP_FROM",
                        "alertmanager@vigil.test",
                        "SMTP_USERNAME",
                        "alertmanager",
                        "ALERT_EMAIL_TO",
                        "oncall@vigil.test",
                        "PAGERDUTY_URL",
                        hookBase + "pagerduty",
                        "GRAFANA_URL",
                        GRAFANA,
                        "RUNBOOK_URL",
                        RUNBOOKS));
        String rendered = Files.readString(config);
        assertThat(rendered).contains("group_wait: 10s", "group_interval: 10s", "repeat_interval: 12h");
        Files.writeString(
                config,
                rendered.replace("group_wait: 10s", "group_wait: 1s")
                        .replace("group_interval: 10s", "group_interval: 1s"));
        ToolsTest.Result check = ToolsTest.run(tmp, amtool.toString(), "check-config", config.toString());
        assertThat(check.exit()).as(check.output()).isZero();

        int amPort = freePort();
        alertmanager = new ProcessBuilder(
                        alertmanagerBinary.toString(),
                        "--config.file=" + config,
                        "--storage.path=" + tmp.resolve("alertmanager-data"),
                        "--web.listen-address=127.0.0.1:" + amPort,
                        "--cluster.listen-address=") // no gossip port: a single instance
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("alertmanager.log").toFile())
                .start();
        alertmanagerUrl = URI.create("http://127.0.0.1:" + amPort);
        awaitReady(alertmanager, alertmanagerUrl.resolve("/-/ready"), "alertmanager.log");

        vigil = Vigil.builder()
                .config(VigilConfig.builder().serviceName("identity-service").build())
                .build();
        service = IdentityService.start(
                IdentityConfig.builder()
                        .host("127.0.0.1")
                        .port(0)
                        .managementPort(0) // scraped on the management port, as deployed
                        // The burst is about alerts, not load shedding: on a loaded machine the
                        // Argon2 queue would otherwise answer some of its logins 503.
                        .passwordHashMaxWait(Duration.ofSeconds(30))
                        .databaseUrl("jdbc:h2:file:" + tmp.resolve("db/identity")
                                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH")
                        .admin("admin@example.com", ADMIN_PASSWORD)
                        .lockoutThreshold(2)
                        .lockoutDuration(Duration.ofMinutes(10))
                        // 2 logins per 4 s and address: the attacker is refused (429, a cheap failed
                        // login) almost at once, each victim's two wrong passwords are not
                        .loginRateLimit(new IdentityConfig.RateLimit(2, Duration.ofSeconds(4)))
                        .registerRateLimit(new IdentityConfig.RateLimit(1_000_000, Duration.ofMinutes(1)))
                        .build(),
                vigil);

        Path rules = Files.createDirectories(tmp.resolve("rules"));
        try (Stream<Path> files = Files.list(Deploy.file("prometheus/rules"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml")).toList()) {
                Files.writeString(rules.resolve(f.getFileName()), shortened(f));
            }
        }
        // The service, one more identity-service target and a postgres-exporter that are not there:
        // ServiceDown fires for the dead instance and for tempo (one group of two), DatabaseDown once.
        liveTarget = "127.0.0.1:" + service.managementPort();
        deadTarget = "127.0.0.1:" + freePort();
        int promPort = freePort();
        Path promConfig = tmp.resolve("prometheus.yml");
        Files.writeString(promConfig, """
                global:
                  scrape_interval: 3s
                  scrape_timeout: 3s
                  evaluation_interval: 1s
                rule_files:
                  - %s/*.yml
                alerting:
                  alertmanagers:
                    - static_configs:
                        - targets: ["127.0.0.1:%d"]
                scrape_configs:
                  - job_name: %s
                    static_configs:
                      - targets: ["%s", "%s"]
                  - job_name: tempo
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                  - job_name: %s
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(
                        rules,
                        amPort,
                        IdentityStack.JOB,
                        liveTarget,
                        deadTarget,
                        freePort(),
                        StandardAlerts.POSTGRES_JOB,
                        freePort()));
        prometheus = new ProcessBuilder(
                        prometheusBinary.toString(),
                        "--config.file=" + promConfig,
                        "--storage.tsdb.path=" + tmp.resolve("prometheus-data"),
                        "--web.listen-address=127.0.0.1:" + promPort)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("prometheus.log").toFile())
                .start();
        prometheusUrl = URI.create("http://127.0.0.1:" + promPort);
        awaitReady(prometheus, prometheusUrl.resolve("/-/ready"), "prometheus.log");
        System.out.printf("AlertDeliveryTest: stack up after %.1f s%n", seconds());
    }

    @AfterAll
    static void stopStack() throws Exception {
        for (Process p : new Process[] {prometheus, alertmanager}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        if (service != null) {
            service.close();
        }
        if (vigil != null) {
            vigil.close();
        }
        if (hooks != null) {
            hooks.stop(0);
        }
        if (smtp != null) {
            smtp.stop();
        }
        System.out.printf("AlertDeliveryTest: %.1f s in all%n", seconds());
    }

    @Test
    void eachSeverityReachesExactlyItsChannelsWithInhibitionGroupingAndResolution() throws Exception {
        // 1. The dead targets fire ServiceDown and DatabaseDown; once Alertmanager has them, the
        //    symptoms they explain are posted, with a same-named pair of two severities.
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                // The inhibitors themselves: ServiceDown on the dead instance (not merely tempo's, which may
                // fire a scrape earlier; a symptom posted before its inhibitor is delivered) and DatabaseDown.
                .until(() -> activeAlerts().containsAll(List.of("ServiceDown@" + deadTarget, "DatabaseDown")));
        postAlerts();

        // 2. The burst, until every driven alert has reached its channels (bounded).
        AtomicBoolean stop = new AtomicBoolean();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> burst = startBurst(threads, stop);
            try {
                await().atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(firing("slack"))
                                .as(
                                        "alerts notified on Slack; received: %s; in Prometheus: %s",
                                        summary(), ruleStates())
                                .containsAll(List.of(
                                        "AccountLockoutSpike/critical",
                                        "HighAuthenticationFailureRate/high",
                                        "HighFailedLoginRate/high",
                                        "RateLimitAbuse/warning",
                                        "ServiceDown/critical",
                                        "DatabaseDown/critical",
                                        "ConsumerLagHigh/warning",
                                        "HighWebSocketConnections/critical")));
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(firing("slack-info")).contains("SignupSurge/info"));
            } finally {
                stop.set(true);
                for (Future<?> f : burst) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
        }
        double burstEnded = seconds();
        System.out.printf("AlertDeliveryTest: burst alerts delivered, burst stopped at %.1f s%n", burstEnded);

        // 3. Resolution: once the windows pass, every burst alert is notified resolved.
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    assertThat(resolved("slack")).as(summary()).containsAll(BURST_ALERTS);
                    assertThat(resolved("discord")).containsAll(BURST_ALERTS);
                    assertThat(resolved("email"))
                            .contains("AccountLockoutSpike", "HighAuthenticationFailureRate", "HighFailedLoginRate");
                    assertThat(pagerduty)
                            .anySatisfy(e ->
                                    assertThat(e.at("/event_action").asText()).isEqualTo("resolve"));
                });
        System.out.printf(
                "AlertDeliveryTest: resolved notifications %.1f s after the burst; %d notifications: %s%n",
                seconds() - burstEnded, received.size(), summary());

        // Each channel carried only its severities, and each driven alert reached all of its channels.
        for (Notification n : all()) {
            assertThat(CHANNELS.get(n.channel()))
                    .as("%s got %s/%s", n.channel(), n.alertname(), n.severity())
                    .contains(n.severity());
            if (n.channel().startsWith("slack")) {
                assertThat(n.text())
                        .startsWith(n.channel().equals("slack") ? "channel #alerts\n" : "channel #alerts-info\n");
            }
        }
        Map<String, String> driven = Map.of(
                "AccountLockoutSpike", "critical",
                "ServiceDown", "critical",
                "DatabaseDown", "critical",
                "HighAuthenticationFailureRate", "high",
                "HighFailedLoginRate", "high",
                "RateLimitAbuse", "warning",
                "SignupSurge", "info");
        driven.forEach((alert, severity) -> {
            for (Map.Entry<String, Set<String>> c : CHANNELS.entrySet()) {
                boolean expected = c.getValue().contains(severity);
                assertThat(firing(c.getKey()).contains(alert + "/" + severity))
                        .as("%s (%s) on %s", alert, severity, c.getKey())
                        .isEqualTo(expected);
            }
        });
        assertThat(resolved("slack-info"))
                .as("info is not notified when resolved")
                .isEmpty();

        // Inhibition: the symptoms on the dead instance, the database symptom and the lower of the
        // same-named pair reached nobody; their siblings did.
        for (Notification n : received) {
            assertThat(n.alertname()).as(n.toString()).isNotEqualTo("SlowDatabaseQueries");
            if (n.alertname().equals("HighWebSocketConnections")) {
                assertThat(n.severity()).as(n.toString()).isEqualTo("critical");
            }
            if (n.alertname().equals("ConsumerLagHigh")) {
                assertThat(n.text()).contains("other-instance:8000").doesNotContain(deadTarget);
                // the event pipeline's runbook is in its own catalogue: identity-service's has no such heading
                assertThat(n.text())
                        .contains("Runbook link: "
                                + RUNBOOKS.replace("identity-service/CATALOGUE.md", "event-pipeline/CATALOGUE.md")
                                + "#consumerlaghigh");
            }
            // the dead instance's own ServiceDown is delivered, not a symptom of it
            if (n.text().contains(deadTarget)) {
                assertThat(n.alertname()).as(n.toString()).isEqualTo("ServiceDown");
            }
        }

        // Grouping by alertname and severity: both dead targets in one ServiceDown notification, and
        // one PagerDuty incident (dedup key) per group, not per alert.
        assertThat(received)
                .filteredOn(n -> n.channel().equals("slack") && n.alertname().equals("ServiceDown"))
                .anySatisfy(n -> {
                    assertThat(n.count()).isEqualTo(2);
                    assertThat(n.text()).contains(deadTarget).contains("tempo");
                });
        Map<String, Set<String>> keysByGroup = new LinkedHashMap<>();
        for (JsonNode e : pagerduty) {
            Matcher t = TITLE.matcher(e.at("/payload/summary").asText());
            assertThat(t.find()).as(e.toString()).isTrue();
            keysByGroup
                    .computeIfAbsent(t.group(3), k -> new LinkedHashSet<>())
                    .add(e.get("dedup_key").asText());
        }
        keysByGroup.forEach((group, keys) -> assertThat(keys).as(group).hasSize(1));

        assertPagerDutyEvent();
        assertEmail();
        assertChat();
    }

    /** The PagerDuty Events API v2 request for the lockout spike: key, severity, links. */
    private static void assertPagerDutyEvent() {
        JsonNode trigger = pagerduty.stream()
                .filter(e -> e.at("/event_action").asText().equals("trigger")
                        && e.at("/payload/summary").asText().contains("AccountLockoutSpike"))
                .findFirst()
                .orElseThrow();
        assertThat(trigger.get("routing_key").asText()).isEqualTo(ROUTING_KEY);
        assertThat(trigger.at("/payload/severity").asText()).isEqualTo("critical");
        assertThat(trigger.at("/payload/summary").asText()).startsWith("[FIRING:1] AccountLockoutSpike (critical)");
        JsonNode details = trigger.at("/payload/custom_details");
        assertThat(details.get("summary").asText()).isEqualTo("Multiple account lockouts detected");
        assertThat(details.get("runbook").asText()).isEqualTo(RUNBOOKS + "#accountlockoutspike");
        assertDashboardLink(
                details.get("dashboard").asText(),
                "/d/" + StandardDashboards.uid(IdentityStack.TARGET, StandardDashboards.AUTH),
                true);
        assertTracesLink(details.get("traces").asText(), "authentication_duration_seconds_bucket");
        assertThat(trigger.at("/links/0/href").asText())
                .isEqualTo(details.get("dashboard").asText());
        JsonNode resolve = pagerduty.stream()
                .filter(e -> e.at("/event_action").asText().equals("resolve")
                        && e.get("dedup_key")
                                .asText()
                                .equals(trigger.get("dedup_key").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no resolve for the lockout incident: " + pagerduty));
        assertThat(resolve.at("/payload/summary").asText()).startsWith("[RESOLVED] AccountLockoutSpike");
    }

    /** The emails: authenticated SMTP, subject, text and HTML parts with the links. */
    private static void assertEmail() throws Exception {
        MimeMessage mail = emails().stream()
                .filter(m -> subject(m).startsWith("[FIRING:1] HighFailedLoginRate (high)"))
                .findFirst()
                .orElseThrow();
        assertThat(mail.getFrom()[0].toString()).isEqualTo("alertmanager@vigil.test");
        assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("oncall@vigil.test");
        String text = part(mail, "text/plain");
        String html = part(mail, "text/html");
        assertThat(text)
                .contains("High rate of failed login attempts (" + liveTarget + ")")
                .contains("failed logins per second (threshold 10/s)")
                .contains("Runbook: Break failed_login_attempts_total down by reason")
                .contains("Runbook link: " + RUNBOOKS + "#highfailedloginrate");
        assertDashboardLink(
                line(text, "Dashboard: "),
                "/d/" + StandardDashboards.uid(IdentityStack.TARGET, StandardDashboards.AUTH),
                true);
        assertTracesLink(line(text, "Example traces: "), "authentication_duration_seconds_bucket");
        assertThat(html)
                .contains("<h3>High rate of failed login attempts (" + liveTarget + ")</h3>")
                .contains("href=\"" + RUNBOOKS + "#highfailedloginrate\"")
                .contains(">Example traces</a>");
        assertThat(emails())
                .anySatisfy(m -> assertThat(subject(m)).startsWith("[RESOLVED] HighFailedLoginRate (high)"));
    }

    /** The Slack and Discord payloads: title, link, colour, text with the same per-alert lines. */
    private static void assertChat() {
        Notification slack = received.stream()
                .filter(n -> n.channel().equals("slack") && n.alertname().equals("RateLimitAbuse") && n.isFiring())
                .findFirst()
                .orElseThrow();
        assertThat(slack.text())
                .startsWith("channel #alerts\nHigh rate of rate limit hits (" + liveTarget + ")")
                .contains("Runbook link: " + RUNBOOKS + "#ratelimitabuse");
        assertDashboardLink(
                line(slack.text(), "Dashboard: "),
                "/d/" + StandardDashboards.uid(IdentityStack.TARGET, StandardDashboards.OVERVIEW),
                true);
        assertTracesLink(line(slack.text(), "Example traces: "), "http_request_duration_seconds_bucket");
        assertThat(received)
                .filteredOn(n -> n.channel().equals("discord") && n.alertname().equals("ServiceDown"))
                .anySatisfy(n -> assertThat(n.text())
                        .contains("Service identity-service is down (" + deadTarget + ")")
                        .doesNotContain("Example traces"));
        Notification resolved = received.stream()
                .filter(n -> n.channel().equals("slack")
                        && n.status().equals("RESOLVED")
                        && n.alertname().equals("RateLimitAbuse"))
                .findFirst()
                .orElseThrow();
        assertThat(resolved.text()).startsWith("channel #alerts\nRESOLVED: High rate of rate limit hits");
        // a resolved alert's dashboard range ends after it did, not "now"
        assertDashboardLink(
                line(resolved.text(), "Dashboard: "),
                "/d/" + StandardDashboards.uid(IdentityStack.TARGET, StandardDashboards.OVERVIEW),
                false);
    }

    private static void assertDashboardLink(String url, String path, boolean firing) {
        assertThat(url).startsWith(GRAFANA + path + "?from=");
        Matcher m = Pattern.compile("from=(\\d+)&to=(\\w+)").matcher(url);
        assertThat(m.find()).as(url).isTrue();
        long from = Long.parseLong(m.group(1));
        assertThat(from).as(url).isBetween(started() - 3_700_000, Instant.now().toEpochMilli());
        if (firing) {
            assertThat(m.group(2)).isEqualTo("now");
        } else {
            assertThat(Long.parseLong(m.group(2))).isGreaterThan(from + 3_600_000);
        }
        assertThat(url).contains("&var-job=" + IdentityStack.JOB);
    }

    private static void assertTracesLink(String url, String histogram) {
        assertThat(url).startsWith(GRAFANA + "/explore?schemaVersion=1&orgId=1&panes=");
        String panes = java.net.URLDecoder.decode(url.substring(url.indexOf("panes=") + 6), StandardCharsets.UTF_8);
        JsonNode query;
        try {
            query = Deploy.JSON.readTree(panes).at("/a/queries/0");
        } catch (IOException e) {
            throw new AssertionError(panes, e);
        }
        assertThat(query.get("exemplar").asBoolean()).isTrue();
        assertThat(query.at("/datasource/uid").asText()).isEqualTo("prometheus");
        assertThat(query.get("expr").asText())
                .contains(histogram + "{job=\"" + IdentityStack.JOB + "\",instance=\"" + liveTarget + "\"}");
    }

    // ---- the receivers -------------------------------------------------------------------------

    /** Parses one webhook request as the service would and records it by group. */
    private static void record(String channel, JsonNode body) {
        String title;
        String text;
        switch (channel) {
            case "pagerduty" -> {
                pagerduty.add(body);
                title = body.at("/payload/summary").asText();
                text = body.at("/payload/custom_details/alerts").asText();
            }
            case "discord" -> {
                title = body.at("/embeds/0/title").asText();
                text = body.at("/embeds/0/description").asText();
            }
            default -> { // Slack incoming webhook, posting to the channel it names
                title = body.at("/attachments/0/title").asText();
                text = "channel " + body.path("channel").asText() + "\n"
                        + body.at("/attachments/0/text").asText();
            }
        }
        received.add(notification(channel, title, text));
    }

    private static Notification notification(String channel, String title, String text) {
        Matcher t = TITLE.matcher(title);
        if (!t.find()) { // reported by the severity check, which names the channel
            return new Notification(channel, "UNPARSED", 0, title, "none", text);
        }
        return new Notification(
                channel,
                t.group(1),
                t.group(2) == null ? 0 : Integer.parseInt(t.group(2)),
                t.group(3),
                t.group(4),
                text);
    }

    private static List<Notification> all() {
        List<Notification> all = new ArrayList<>(received);
        for (MimeMessage m : emails()) {
            try {
                all.add(notification("email", subject(m), part(m, "text/plain")));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return all;
    }

    /** alertname/severity of the firing notifications a channel got. */
    private static Set<String> firing(String channel) {
        Set<String> out = new LinkedHashSet<>();
        for (Notification n : all()) {
            if (n.channel().equals(channel) && n.isFiring()) {
                out.add(n.alertname() + "/" + n.severity());
            }
        }
        return out;
    }

    private static Set<String> resolved(String channel) {
        Set<String> out = new LinkedHashSet<>();
        for (Notification n : all()) {
            if (n.channel().equals(channel) && n.status().equals("RESOLVED")) {
                out.add(n.alertname());
            }
        }
        return out;
    }

    private static String summary() {
        Map<String, List<String>> by = new LinkedHashMap<>();
        for (Notification n : all()) {
            by.computeIfAbsent(n.channel(), k -> new ArrayList<>())
                    .add(n.status() + (n.count() > 0 ? ":" + n.count() : "") + " " + n.alertname() + "/"
                            + n.severity());
        }
        return by.toString();
    }

    private static List<MimeMessage> emails() {
        return List.of(smtp.getReceivedMessages());
    }

    private static String subject(MimeMessage m) {
        try {
            return m.getSubject();
        } catch (jakarta.mail.MessagingException e) {
            throw new AssertionError(e);
        }
    }

    private static String part(MimeMessage m, String type) throws Exception {
        Multipart parts = (Multipart) m.getContent();
        for (int i = 0; i < parts.getCount(); i++) {
            if (parts.getBodyPart(i).isMimeType(type)) {
                return parts.getBodyPart(i).getContent().toString();
            }
        }
        throw new AssertionError("no " + type + " part in " + subject(m));
    }

    private static String line(String text, String prefix) {
        return text.lines()
                .filter(l -> l.startsWith(prefix))
                .findFirst()
                .map(l -> l.substring(prefix.length()))
                .orElseThrow(() -> new AssertionError("no line " + prefix + " in " + text));
    }

    // ---- driving -------------------------------------------------------------------------------

    /**
     * Alerts as Prometheus would post them, for what this stack cannot make a live target do: a
     * symptom on the dead instance (inhibited by its ServiceDown) and one elsewhere (delivered), a
     * database symptom (inhibited by DatabaseDown), and one alert at critical and warning at once
     * (the warning inhibited).
     */
    private static void postAlerts() throws Exception {
        ArrayNode alerts = Deploy.JSON.createArrayNode();
        String other = "other-instance:8000";
        alerts.add(alert("ConsumerLagHigh", "warning", deadTarget, "consumer"));
        alerts.add(alert("ConsumerLagHigh", "warning", other, "consumer"));
        alerts.add(alert("SlowDatabaseQueries", "warning", liveTarget, "database"));
        alerts.add(alert("HighWebSocketConnections", "critical", other, "http"));
        alerts.add(alert("HighWebSocketConnections", "warning", other, "http"));
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(alertmanagerUrl.resolve("/api/v2/alerts"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(alerts.toString()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static ObjectNode alert(String name, String severity, String instance, String component) {
        // The consumer alerts are the event pipeline's rules; the rest identity-service's.
        boolean pipeline = PipelineStack.groups().stream()
                .flatMap(g -> g.alerts().stream())
                .anyMatch(a ->
                        a.name().equals(name) && a.labels().get("component").equals("consumer"));
        AlertRule rule = Stream.concat(IdentityStack.groups().stream(), PipelineStack.groups().stream())
                .flatMap(g -> g.alerts().stream())
                .filter(a -> a.name().equals(name))
                .findFirst()
                .orElseThrow();
        String catalogue = Generator.catalogueFile(pipeline ? PipelineStack.TARGET : IdentityStack.TARGET);
        ObjectNode a = Deploy.JSON.createObjectNode();
        ObjectNode labels = a.putObject("labels");
        labels.put("alertname", name)
                .put("severity", severity)
                .put("job", IdentityStack.JOB)
                .put("instance", instance)
                .put("component", component);
        ObjectNode annotations = a.putObject("annotations");
        rule.annotations(catalogue)
                .forEach((k, v) -> annotations.put(k, v.replace("{{ $labels.instance }}", instance)));
        a.put("startsAt", Instant.now().toString());
        a.put("endsAt", Instant.now().plus(Duration.ofMinutes(10)).toString());
        return a;
    }

    /** Victims signing up (SignupSurge) and locked out, then an attacker guessing from one address. */
    private static List<Future<?>> startBurst(ExecutorService threads, AtomicBoolean stop) throws Exception {
        List<String> victims = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String email = "victim-" + i + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
            assertThat(LiveClients.post(
                                    SIGNUPS,
                                    serviceUrl(),
                                    "/api/v1/auth/register",
                                    "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD
                                            + "\",\"full_name\":\"Victim\"}")
                            .statusCode())
                    .isEqualTo(201);
            victims.add(email);
        }
        // The first lockout alone, until Prometheus has scraped it: a counter series that first
        // appears already at 8 shows no increase() (nothing before it to rise from), so the spike
        // must start from a series Prometheus knows.
        HttpClient primer = LiveClients.from("127.0.0.9");
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThat(LiveClients.login(primer, serviceUrl(), victims.getLast(), "wrong password " + attempt))
                    .isEqualTo(401);
        }
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> hasSeries("security_events_total{event_type=\"account_locked\"}"));
        // Then each other victim from its own address, all at once: seven lockouts within seconds.
        List<Future<?>> lockouts = new ArrayList<>();
        for (int i = 0; i < victims.size() - 1; i++) {
            String victim = victims.get(i);
            HttpClient client = LiveClients.from("127.0.0." + (10 + i));
            lockouts.add(threads.submit(() -> {
                for (int attempt = 0; attempt < 2; attempt++) {
                    assertThat(LiveClients.login(client, serviceUrl(), victim, "wrong password " + attempt))
                            .isEqualTo(401);
                }
                return null;
            }));
        }
        for (Future<?> f : lockouts) {
            f.get(120, TimeUnit.SECONDS);
        }
        // Then one attacker, refused by the rate limit nearly every time: cheap for the service, so
        // its scrapes stay on time while the failed logins pile up.
        List<Future<?>> tasks = new ArrayList<>();
        tasks.add(threads.submit(() -> {
            int n = 0;
            while (!stop.get()) {
                String email = n++ % 2 == 0 ? victims.getFirst() : "nobody-" + UUID.randomUUID() + "@example.com";
                LiveClients.login(ATTACKER, serviceUrl(), email, "guess " + n);
            }
        }));
        return tasks;
    }

    // ---- plumbing ------------------------------------------------------------------------------

    /**
     * The generated rules with the check's time scales: groups evaluated every second, the driven
     * alerts without {@code for:}, the burst alerts over {@value #WINDOW}.
     */
    private static String shortened(Path file) throws IOException {
        JsonNode root = Deploy.YAML.readTree(file.toFile());
        for (JsonNode group : root.get("groups")) {
            ((ObjectNode) group).put("interval", "1s");
            for (JsonNode rule : group.get("rules")) {
                ObjectNode r = (ObjectNode) rule;
                String name = r.path("alert").asText();
                if (!DRIVEN.contains(name)) {
                    continue;
                }
                // a dead target fires after three failed scrapes, a slow live one does not flap
                r.put("for", name.equals("ServiceDown") ? "15s" : "0s");
                String expr = r.get("expr").asText().replace("[5m]", "[" + WINDOW + "]");
                if (BURST_ALERTS.contains(name)) {
                    assertThat(expr).containsPattern(" > [\\d.]+$");
                    expr = expr.replaceFirst(" > [\\d.]+$", name.equals("AccountLockoutSpike") ? " > 1" : " > 0.5");
                }
                r.put("expr", expr);
            }
        }
        return Deploy.YAML.writeValueAsString(root);
    }

    /** Prometheus's view, for failure messages: alert name and state (pending or firing) by instance. */
    private static String ruleStates() {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(prometheusUrl.resolve("/api/v1/alerts"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            List<String> out = new ArrayList<>();
            for (JsonNode a : Deploy.JSON.readTree(r.body()).at("/data/alerts")) {
                out.add(a.at("/labels/alertname").asText() + "{"
                        + a.at("/labels/instance").asText() + "}="
                        + a.path("state").asText());
            }
            return out.toString();
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }

    /** Whether Prometheus has a sample for the selector now. */
    private static boolean hasSeries(String selector) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(prometheusUrl.resolve(
                                "/api/v1/query?query=" + URLEncoder.encode(selector, StandardCharsets.UTF_8)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200
                && !Deploy.JSON.readTree(r.body()).at("/data/result").isEmpty();
    }

    private static Set<String> activeAlerts() throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(alertmanagerUrl.resolve("/api/v2/alerts"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode a : Deploy.JSON.readTree(r.body())) {
            // Each alert by name and by name@instance, so a wait can name the one it needs.
            names.add(a.at("/labels/alertname").asText());
            names.add(a.at("/labels/alertname").asText() + "@"
                    + a.at("/labels/instance").asText());
        }
        return names;
    }

    private static URI serviceUrl() {
        return URI.create("http://127.0.0.1:" + service.port());
    }

    private static void awaitReady(Process process, URI ready, String log) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError(log + ": " + Files.readString(tmp.resolve(log)));
                    }
                    return HTTP.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                                    .statusCode()
                            == 200;
                });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static long started() {
        return Instant.now().toEpochMilli() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    private static double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }
}
