package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.core.MetricsServer;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.IdentityConfig;
import io.vigil.identity.IdentityService;
import io.vigil.identity.internal.traffic.FlakyWebhook;
import io.vigil.identity.internal.traffic.PipelineTraffic;
import io.vigil.identity.internal.traffic.TrafficGenerator;
import io.vigil.kafka.ConsumerLagMonitor;
import io.vigil.kafka.VigilKafka;
import io.vigil.pipeline.EventPipeline;
import io.vigil.test.WebSocketTestClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live check of the stack as code: the reference identity service (in-process, H2 in a temp
 * directory, metrics on {@code /metrics} of its management port) driven by its own traffic generator plus a brute-force
 * burst, scraped every second by Debian's real Prometheus that loads the generated rule files.
 * Beside it, the event pipeline (in-process on its embedded KRaft broker and H2: the API in one
 * runtime, its analytics consumer in another, two targets of the {@code event-pipeline} job) driven
 * by the same traffic generator ({@code --pipeline-url}), plus one poison record. Asserts that
 * every PromQL query of every generated dashboard of both services returns data (apart from the
 * listed queries whose exporters are not part of this check), that the burst drives the
 * authentication alerts to pending or firing, that the security notifications a flaky webhook
 * refuses (retried, then dead) fire TaskFailureRatio, and that stopping the consumer while events
 * keep coming fires ConsumerLagHigh, and that an open security feed (WebSocket) fires the
 * WebSocket alert under a test-scoped threshold (then a message over the size limit closes it, 1009).
 *
 * <p>Needs the {@code prometheus} binary: the test fails without it under {@code
 * -Dvigil.require.servers=true} (CI) and is skipped elsewhere.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveStackTest {
    /** Seconds the service's own traffic generator runs. */
    private static final int TRAFFIC_SECONDS = 20;

    /**
     * The rules are evaluated as generated except for two time scales a 90-second test cannot wait
     * for: every {@code for:} becomes 0s (an alert whose expression holds is firing at once), and
     * the 5-minute windows of the authentication alerts become {@value #BURST_WINDOW}, so their
     * per-second thresholds (10/s, more than 5 lockouts) are measured over the burst and not
     * averaged over five minutes of which the test has lived only a few seconds.
     */
    private static final String BURST_WINDOW = "30s";

    /**
     * ConsumerLagHigh's threshold in the live rules: the generated rule's {@link
     * StandardAlerts#CONSUMER_LAG_THRESHOLD} messages would take minutes of ingest on two cores.
     */
    private static final int LIVE_LAG_THRESHOLD = 20;

    private static final String PIPELINE_GROUP = "live-analytics";

    private static final List<String> AUTH_ALERTS =
            List.of("HighAuthenticationFailureRate", "HighFailedLoginRate", "AccountLockoutSpike");

    /**
     * The WebSocket alert fires at more than 1000 open connections per instance; the live check
     * holds a few, so its rule is evaluated with the threshold {@value #WS_THRESHOLD} instead (the
     * expression is otherwise the generated one).
     */
    private static final String WS_ALERT = "HighWebSocketConnections";

    private static final String WS_THRESHOLD = "0";

    private static final HttpClient FEED_CLIENT = LiveClients.from("127.0.0.4");

    private static final String ADMIN_EMAIL = "admin@example.com";
    private static final String ADMIN_PASSWORD = "live check passphrase 2024";
    private static final String PASSWORD = "victim passphrase 2024";

    /**
     * Dashboard PromQL that cannot have data in this check, matched by regular expression on the
     * query, with the reason. Every entry must match at least one query, so the list cannot rot.
     */
    private static final Map<Pattern, String> NO_DATA_HERE = new LinkedHashMap<>();

    static {
        NO_DATA_HERE.put(
                Pattern.compile("traces_spanmetrics_"),
                "Tempo's metrics generator writes span metrics; there is no Tempo in this check");
        NO_DATA_HERE.put(Pattern.compile("\\bpg_"), "postgres-exporter metrics; the service runs on embedded H2 here");
        NO_DATA_HERE.put(Pattern.compile("\\bredis_"), "redis-exporter metrics; there is no Redis here");
        // 5xx responses, unhandled exceptions, database and Kafka send errors (the pipeline's failed steps and probes)
        // are none here either, but their panels say 0, not "No data", while there is traffic
        // (AbsentSeriesQueriesTest): they are checked.
        NO_DATA_HERE.put(
                Pattern.compile("vigil_export_failures_total"),
                "telemetry export failures; nothing is exported (no OTLP endpoint), so none fail");
        NO_DATA_HERE.put(
                Pattern.compile("vigil_label_overflow_total"),
                "label-set overflow; every label value of the service is from a bounded set");
    }

    /** As {@link #NO_DATA_HERE}, for the event pipeline's dashboards. */
    private static final Map<Pattern, String> PIPELINE_NO_DATA = new LinkedHashMap<>();

    static {
        PIPELINE_NO_DATA.put(
                Pattern.compile("traces_spanmetrics_"),
                "Tempo's metrics generator writes span metrics; there is no Tempo in this check");
        PIPELINE_NO_DATA.put(
                Pattern.compile("database_operations_total\\{[^}]*status=~\"failure\\|error\""),
                "failed database operations; every insert of the pipeline succeeds here");
        PIPELINE_NO_DATA.put(
                Pattern.compile("vigil_export_failures_total"),
                "telemetry export failures; nothing is exported (no OTLP endpoint), so none fail");
        PIPELINE_NO_DATA.put(
                Pattern.compile("vigil_label_overflow_total"),
                "label-set overflow; every label value of the service is from a bounded set");
    }

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * The login rate limit is per client address: 20 per 4 s (5/s sustained). The traffic generator
     * comes from 127.0.0.1 and mostly stays under it; the attacker comes from 127.0.0.2 and runs
     * into it, so most of its burst is answered 429 — counted as failed logins with reason
     * rate_limited, without the Argon2 cost that would otherwise cap the burst at what two cores
     * can hash; the lockouts come from 127.0.0.3.
     */
    private static final IdentityConfig.RateLimit LOGIN_LIMIT = new IdentityConfig.RateLimit(20, Duration.ofSeconds(4));

    private static final HttpClient ATTACKER = LiveClients.from("127.0.0.2");
    private static final HttpClient LOCKOUTS = LiveClients.from("127.0.0.3");

    @TempDir
    static Path tmp;

    private static Vigil vigil;
    private static IdentityService service;
    private static Process prometheus;
    private static URI prometheusUrl;
    private static URI serviceUrl;
    private static String job;
    private static long started;
    private static CompletableFuture<Integer> traffic;
    private static CompletableFuture<Integer> pipelineTraffic;
    private static FlakyWebhook webhook;
    private static Vigil pipelineVigil;
    private static Vigil consumerVigil;
    private static EventPipeline pipeline;
    private static AutoCloseable consumer;
    private static MetricsServer consumerMetrics;
    private static ConsumerLagMonitor lagWatch;
    private static URI pipelineUrl;
    private static String pipelineJob;

    /** The check's own security feed, open from the start (openFeed). */
    private static WebSocketTestClient feed;

    /** Over the feed's default WS_MAX_MESSAGE_BYTES (4096), under Jetty's own frame limit (64 KiB). */
    private static final String OVERSIZED = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(16 * 1024) + "\"}";

    @BeforeAll
    static void startStack() throws Exception {
        started = System.nanoTime();
        Path binary = Deploy.tool("prometheus");

        // Security notifications go to a webhook that refuses half of them: their jobs retry, then die.
        webhook = FlakyWebhook.start("127.0.0.1", 0, 2);
        // The pipeline first: its embedded broker takes identity's audit outbox, as deploy/ wires them.
        startPipeline();
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
                        .admin(ADMIN_EMAIL, ADMIN_PASSWORD)
                        .lockoutThreshold(2)
                        .lockoutDuration(Duration.ofMinutes(10))
                        .loginRateLimit(LOGIN_LIMIT)
                        .registerRateLimit(new IdentityConfig.RateLimit(1_000_000, Duration.ofMinutes(1)))
                        .notifyWebhookUrl(webhook.url().toString())
                        .notifyRetries(Duration.ofSeconds(1), 2)
                        .jobPollInterval(Duration.ofSeconds(1))
                        .kafkaBootstrapServers(pipeline.kafkaBootstrapServers())
                        .build(),
                vigil);
        serviceUrl = URI.create("http://127.0.0.1:" + service.port());
        feed = openFeed();

        // The scrape job as deploy/prometheus/prometheus.yml names it: the label the queries select on.
        JsonNode shipped = null;
        for (JsonNode sc : Deploy.yaml("prometheus/prometheus.yml").get("scrape_configs")) {
            if (sc.toString().contains("\"identity-service:")) {
                shipped = sc;
            }
        }
        assertThat(shipped).as("identity-service scrape job in prometheus.yml").isNotNull();
        job = shipped.get("job_name").asText();
        String metricsPath = shipped.path("metrics_path").asText("/metrics");
        JsonNode shippedPipeline = null;
        for (JsonNode sc : Deploy.yaml("prometheus/prometheus.yml").get("scrape_configs")) {
            if (sc.toString().contains("\"event-pipeline:")) {
                shippedPipeline = sc;
            }
        }
        assertThat(shippedPipeline)
                .as("event-pipeline scrape job in prometheus.yml")
                .isNotNull();
        pipelineJob = shippedPipeline.get("job_name").asText();

        Path rules = Files.createDirectories(tmp.resolve("rules"));
        try (Stream<Path> files = Files.list(Deploy.file("prometheus/rules"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml")).toList()) {
                Files.writeString(rules.resolve(f.getFileName()), shortened(f));
            }
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = tmp.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s/*.yml
                scrape_configs:
                  - job_name: %s
                    metrics_path: %s
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                  - job_name: %s
                    metrics_path: %s
                    static_configs:
                      - targets: ["127.0.0.1:%d", "127.0.0.1:%d"]
                """.formatted(
                        rules,
                        job,
                        metricsPath,
                        service.managementPort(),
                        pipelineJob,
                        shippedPipeline.path("metrics_path").asText("/metrics"),
                        pipeline.metricsPort(),
                        consumerMetrics.port()));
        prometheus = new ProcessBuilder(
                        binary.toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + tmp.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("prometheus.log").toFile())
                .start();
        prometheusUrl = URI.create("http://127.0.0.1:" + port);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> {
                    if (!prometheus.isAlive()) {
                        throw new AssertionError(
                                "prometheus exited: " + Files.readString(tmp.resolve("prometheus.log")));
                    }
                    return results("up{job=\"" + job + "\"} == 1").size() == 1
                            && results("up{job=\"" + pipelineJob + "\"} == 1").size() == 2;
                });

        // The service's own traffic mix, in the background for TRAFFIC_SECONDS.
        traffic = CompletableFuture.supplyAsync(() -> TrafficGenerator.run(new String[] {
            "--url",
            serviceUrl.toString(),
            "--duration",
            Integer.toString(TRAFFIC_SECONDS),
            "--concurrency",
            "3",
            "--admin-email",
            ADMIN_EMAIL,
            "--admin-password",
            ADMIN_PASSWORD
        }));
    }

    /**
     * The same command drives the pipeline's ingest API ({@code --pipeline-url} alone), once the
     * burst is over: the burst needs the two cores (Argon2) more than the pipeline needs them early.
     */
    private static synchronized void startPipelineTraffic() {
        if (pipelineTraffic == null) {
            pipelineTraffic = CompletableFuture.supplyAsync(() -> TrafficGenerator.run(new String[] {
                "--pipeline-url",
                pipelineUrl.toString(),
                "--duration",
                Integer.toString(TRAFFIC_SECONDS),
                "--concurrency",
                "2"
            }));
        }
    }

    /**
     * The event pipeline as deploy/ runs it, in-process: the API (and its embedded KRaft broker) in
     * one runtime, the analytics consumer in a second one with a metrics server of its own; both
     * named event-pipeline, two targets of its job. One poison record gives the consumer's error
     * and dead-letter series data.
     */
    private static void startPipeline() throws Exception {
        pipelineVigil = Vigil.builder()
                .config(VigilConfig.builder().serviceName("event-pipeline").build())
                .build();
        consumerVigil = Vigil.builder()
                .config(VigilConfig.builder().serviceName("event-pipeline").build())
                .build();
        Map<String, String> env = pipelineEnv();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("CONSUMER_ENABLED", "false"); // the consumer runs in its own runtime, below
        pipeline = EventPipeline.start(pipelineVigil, env);
        pipelineUrl = URI.create("http://127.0.0.1:" + pipeline.port());
        consumerMetrics = consumerVigil.startMetricsServer("127.0.0.1", 0);
        consumer = startConsumer();
        try (KafkaProducer<String, String> poison = new KafkaProducer<>(
                Map.of("bootstrap.servers", pipeline.kafkaBootstrapServers()),
                new StringSerializer(),
                new StringSerializer())) {
            poison.send(new ProducerRecord<>(pipeline.config().topic(), "poison", "not an event"))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, String> pipelineEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", tmp.resolve("pipeline").toString());
        env.put("DATABASE_URL", "jdbc:h2:mem:live-pipeline;DB_CLOSE_DELAY=-1");
        env.put("CONSUMER_GROUP", PIPELINE_GROUP);
        if (pipeline != null) {
            env.put("KAFKA_BOOTSTRAP_SERVERS", pipeline.kafkaBootstrapServers());
        }
        return env;
    }

    private static AutoCloseable startConsumer() {
        return EventPipeline.startConsumer(consumerVigil, pipelineEnv());
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (feed != null) {
            feed.abort();
        }
        if (traffic != null) {
            traffic.get(TRAFFIC_SECONDS + 60, TimeUnit.SECONDS);
        }
        if (pipelineTraffic != null) {
            pipelineTraffic.get(TRAFFIC_SECONDS + 60, TimeUnit.SECONDS);
        }
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (service != null) {
            service.close();
        }
        if (vigil != null) {
            vigil.close();
        }
        for (AutoCloseable c :
                new AutoCloseable[] {lagWatch, consumer, pipeline, consumerVigil, pipelineVigil, webhook}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep closing the rest
                }
            }
        }
        System.out.printf("LiveStackTest: %.1f s in all%n", (System.nanoTime() - started) / 1e9);
    }

    /** A generated rule file with the time scales of the live check (see {@link #BURST_WINDOW}). */
    private static String shortened(Path file) throws IOException {
        JsonNode root = Deploy.YAML.readTree(file.toFile());
        for (JsonNode group : root.get("groups")) {
            ((ObjectNode) group).put("interval", "1s");
            for (JsonNode rule : group.get("rules")) {
                ObjectNode r = (ObjectNode) rule;
                if (r.has("for")) {
                    r.put("for", "0s");
                }
                if (r.has("alert") && r.get("alert").asText().equals("ConsumerLagHigh")) {
                    String expr = r.get("expr").asText();
                    String generated = "> " + StandardAlerts.CONSUMER_LAG_THRESHOLD;
                    assertThat(expr).endsWith(generated);
                    r.put("expr", expr.replace(generated, "> " + LIVE_LAG_THRESHOLD));
                }
                if (r.has("alert") && AUTH_ALERTS.contains(r.get("alert").asText())) {
                    r.put("expr", r.get("expr").asText().replace("[5m]", "[" + BURST_WINDOW + "]"));
                }
                if (r.has("alert") && WS_ALERT.equals(r.get("alert").asText())) {
                    String expr = r.get("expr").asText();
                    assertThat(expr).endsWith(" > 1000");
                    r.put("expr", expr.replace(" > 1000", " > " + WS_THRESHOLD));
                }
            }
        }
        return Deploy.YAML.writeValueAsString(root);
    }

    @Test
    @Order(1)
    void bruteForceBurstDrivesTheAuthenticationAlerts() throws Exception {
        long burstStart = System.nanoTime();
        AtomicInteger failures = new AtomicInteger();
        try (ExecutorService attackers = Executors.newVirtualThreadPerTaskExecutor()) {
            // Lockouts: accounts that each take two wrong passwords (the lockout threshold here).
            List<String> victims = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String email =
                        "victim-" + i + "-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
                assertThat(post(
                                        LOCKOUTS,
                                        "/api/v1/auth/register",
                                        "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD
                                                + "\",\"full_name\":\"Victim\"}")
                                .statusCode())
                        .isEqualTo(201);
                victims.add(email);
            }
            // A duplicate sign-up: a failed user operation (409).
            assertThat(post(
                                    LOCKOUTS,
                                    "/api/v1/auth/register",
                                    "{\"email\":\"" + victims.getFirst() + "\",\"password\":\"" + PASSWORD
                                            + "\",\"full_name\":\"Victim\"}")
                            .statusCode())
                    .isEqualTo(409);
            // Then wrong passwords for one account and many unknown emails, from 6 attackers,
            // until the alerts have fired (bounded below).
            String target = victims.getFirst();
            CompletableFuture<?> burst = CompletableFuture.allOf(Stream.generate(() -> CompletableFuture.runAsync(
                            () -> {
                                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
                                int n = 0;
                                while (System.nanoTime() < end && !alertsSeen()) {
                                    String email =
                                            n++ % 2 == 0 ? target : "nobody-" + UUID.randomUUID() + "@example.com";
                                    int status = login(ATTACKER, email, "guess " + n);
                                    if (status == 401 || status == 429) {
                                        failures.incrementAndGet();
                                    }
                                }
                            },
                            attackers))
                    .limit(6)
                    .toArray(CompletableFuture[]::new));
            for (String v : victims) {
                for (int i = 0; i < 2; i++) {
                    assertThat(login(LOCKOUTS, v, "wrong password " + i)).isEqualTo(401);
                }
            }
            try {
                await().atMost(Duration.ofSeconds(45))
                        .pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(alertStates().keySet())
                                .as(
                                        "authentication alerts pending or firing; %d failed logins so far; %s",
                                        failures.get(), burstValues())
                                .containsAll(AUTH_ALERTS));
            } finally {
                alertsSeen = true;
                startPipelineTraffic();
                burst.get(30, TimeUnit.SECONDS);
            }
        }
        double seconds = (System.nanoTime() - burstStart) / 1e9;
        System.out.printf(
                "LiveStackTest: %d failed logins in the burst; alerts %s after %.1f s: %s%n",
                failures.get(), AUTH_ALERTS, seconds, alertStates());
        assertThat(alertStates().keySet()).containsAll(AUTH_ALERTS);
    }

    private static volatile boolean alertsSeen;

    private static boolean alertsSeen() {
        return alertsSeen;
    }

    @Test
    @Order(1)
    void anOpenSecurityFeedFiresTheWebSocketAlert() throws Exception {
        try {
            // Messages of each declared kind, and a flood beyond WS_MESSAGES_PER_SECOND (10): the
            // message and rate-limit panels have data whatever the traffic generator managed.
            feed.send("{\"type\":\"subscribe\"}");
            for (int i = 0; i < 30; i++) {
                feed.send("{\"type\":\"ping\"}");
            }
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(alertState(WS_ALERT))
                            .as("%s with a feed open", WS_ALERT)
                            .isEqualTo("firing"));
            // Then a message over WS_MAX_MESSAGE_BYTES, which the server answers by closing with 1009: the
            // WebSocket errors (too_big), close-code and connection-duration panels have data even when
            // the traffic generator's feeds never got through their handshake (one run: its first
            // upgrade timed out after 30 s, so none of its refusals ran).
            feed.send(OVERSIZED);
            assertThat(feed.awaitClose(Duration.ofSeconds(30)).code())
                    .as("close code after a message over the size limit")
                    .isEqualTo(1009);
        } finally {
            if (!feed.isClosed()) {
                feed.webSocket().sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
            }
            feed = null;
        }
    }

    /**
     * Opens the check's own security feed while the service is quiet. (Opened during the burst, its
     * handshake used to wait: the JDK client completes handshakes on the common ForkJoinPool, whose
     * only worker on two cores the traffic generator, started with {@code supplyAsync}, held for its
     * whole run; the generator now waits as a managed block — TrafficCommandTest.)
     */
    private static WebSocketTestClient openFeed() throws Exception {
        HttpResponse<String> login = post(
                FEED_CLIENT,
                "/api/v1/auth/login",
                "{\"email\":\"" + ADMIN_EMAIL + "\",\"password\":\"" + ADMIN_PASSWORD + "\"}");
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        String token = Deploy.JSON.readTree(login.body()).get("access_token").asText();
        return WebSocketTestClient.to(URI.create("ws://127.0.0.1:" + service.port() + "/api/v1/ws/security-events"))
                .httpClient(FEED_CLIENT)
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30))
                .connect();
    }

    /** The state of one alert (firing, pending), or "inactive". */
    private static String alertState(String name) throws IOException, InterruptedException {
        String state = "inactive";
        for (JsonNode a : Deploy.JSON.readTree(get("/api/v1/alerts").body()).at("/data/alerts")) {
            if (a.at("/labels/alertname").asText().equals(name)) {
                String st = a.path("state").asText();
                state = st.equals("firing") ? st : state.equals("firing") ? state : st;
            }
        }
        return state;
    }

    /** The authentication counters over the burst window, for the failure message. */
    private static String burstValues() throws IOException, InterruptedException {
        Map<String, String> v = new LinkedHashMap<>();
        for (String e : List.of(
                "sum(rate(authentication_attempts_total{status=\"failure\"}[" + BURST_WINDOW + "]))",
                "sum(rate(failed_login_attempts_total[" + BURST_WINDOW + "]))",
                "sum(increase(security_events_total{event_type=\"account_locked\"}[" + BURST_WINDOW + "]))")) {
            v.put(e, results(e).toString());
        }
        return v.toString();
    }

    /** Alert name to state (pending or firing) for the authentication alerts. */
    private static Map<String, String> alertStates() throws IOException, InterruptedException {
        Map<String, String> states = new LinkedHashMap<>();
        for (JsonNode a : activeAlerts()) {
            String name = a.at("/labels/alertname").asText();
            String state = a.path("state").asText();
            if (AUTH_ALERTS.contains(name) && (state.equals("pending") || state.equals("firing"))) {
                states.merge(name, state, (x, y) -> x.equals("firing") ? x : y);
            }
        }
        return states;
    }

    private static JsonNode activeAlerts() throws IOException, InterruptedException {
        return Deploy.JSON.readTree(get("/api/v1/alerts").body()).at("/data/alerts");
    }

    /** The labels of the firing alert {@code name} of {@code alertJob}, or null. */
    private static JsonNode firing(String name, String alertJob) throws IOException, InterruptedException {
        for (JsonNode a : activeAlerts()) {
            if (a.at("/labels/alertname").asText().equals(name)
                    && a.at("/labels/job").asText().equals(alertJob)
                    && a.path("state").asText().equals("firing")) {
                return a.get("labels");
            }
        }
        return null;
    }

    @Test
    @Order(2)
    void everyDashboardPromqlQueryReturnsData() throws Exception {
        // Its security feeds included: one that does not open is a transport error.
        assertThat(traffic.get(TRAFFIC_SECONDS + 60, TimeUnit.SECONDS))
                .as("the service's traffic without 5xx or transport errors")
                .isZero();
        startPipelineTraffic(); // started by the burst's end; here too when the burst did not run
        assertThat(pipelineTraffic.get(TRAFFIC_SECONDS + 60, TimeUnit.SECONDS))
                .as("pipeline traffic without 5xx or transport errors")
                .isZero();
        List<String> checked = new ArrayList<>();
        Map<String, String> excluded = new LinkedHashMap<>();
        Set<Pattern> used = new LinkedHashSet<>();
        Map<Dashboard, String> dashboards = new LinkedHashMap<>();
        IdentityStack.dashboards().forEach(d -> dashboards.put(d, job));
        PipelineStack.dashboards().forEach(d -> dashboards.put(d, pipelineJob));
        Set<Pattern> pipelineUsed = new LinkedHashSet<>();
        for (Map.Entry<Dashboard, String> entry : dashboards.entrySet()) {
            Dashboard d = entry.getKey();
            boolean isPipeline = entry.getValue().equals(pipelineJob);
            Map<Pattern, String> noData = isPipeline ? PIPELINE_NO_DATA : NO_DATA_HERE;
            List<String> exprs = new ArrayList<>();
            for (Query q : d.queries()) {
                if (q.language() == Query.Language.PROMQL) {
                    exprs.add(q.text());
                }
            }
            for (Variable v : d.variables()) {
                if (v.dataSource() == DataSource.PROMETHEUS) {
                    exprs.add(v.query().replaceAll("^label_values\\((.*), *\\w+\\)$", "$1"));
                }
            }
            for (String e : exprs) {
                String expr = substitute(e, d, entry.getValue());
                Pattern why = noData.keySet().stream()
                        .filter(p -> p.matcher(expr).find())
                        .findFirst()
                        .orElse(null);
                if (why != null) {
                    (isPipeline ? pipelineUsed : used).add(why);
                    excluded.put(d.uid() + ": " + expr, noData.get(why));
                } else {
                    checked.add(d.uid() + "\t" + expr);
                }
            }
        }
        assertThat(used)
                .as("exclusions that match no query")
                .containsExactlyInAnyOrderElementsOf(NO_DATA_HERE.keySet());
        assertThat(pipelineUsed)
                .as("pipeline exclusions that match no query")
                .containsExactlyInAnyOrderElementsOf(PIPELINE_NO_DATA.keySet());
        assertThat(checked).hasSizeGreaterThan(100);
        assertThat(checked).anyMatch(c -> c.contains("consumer_lag{") && c.contains(pipelineJob));
        // Rates need two scrapes of a series, rule results an evaluation after them: wait, bounded.
        List<String> empty = new ArrayList<>();
        await().atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    empty.clear();
                    for (String c : checked) {
                        if (results(c.substring(c.indexOf('\t') + 1)).isEmpty()) {
                            empty.add(c);
                        }
                    }
                    assertThat(empty).as("dashboard queries without data").isEmpty();
                });
        System.out.printf(
                "LiveStackTest: %d dashboard PromQL queries returned data; %d excluded:%n",
                checked.size(), excluded.size());
        excluded.forEach((q, reason) -> System.out.println("  " + q + "  -- " + reason));
    }

    @Test
    @Order(3)
    void refusedNotificationsRetryDieAndFireTaskFailureRatio() throws Exception {
        // The burst's and the traffic's lockouts queued security notifications; the webhook refuses
        // half of them, whose jobs retry twice with backoff and then die.
        String task = "security_notification";
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(firing("TaskFailureRatio", job))
                        .as(
                                "TaskFailureRatio firing; webhook delivered %d, refused %d; executions %s",
                                webhook.delivered(),
                                webhook.refused(),
                                results("sum by (task, status) (task_executions_total{job=\"" + job + "\"})"))
                        .isNotNull());
        assertThat(firing("TaskFailureRatio", job).path("task").asText()).isEqualTo(task);
        for (String status : List.of("retry", "dead")) {
            assertThat(results("task_executions_total{job=\"" + job + "\",task=\"" + task + "\",status=\"" + status
                            + "\"} > 0"))
                    .as(status)
                    .isNotEmpty();
        }
        assertThat(results("task_retries_total{job=\"" + job + "\",task=\"" + task + "\"} > 0"))
                .isNotEmpty();
        System.out.printf(
                "LiveStackTest: webhook delivered %d, refused %d; TaskFailureRatio firing for %s%n",
                webhook.delivered(), webhook.refused(), task);
    }

    @Test
    @Order(4)
    void stoppedConsumerLetsLagGrowUntilConsumerLagHighFires() throws Exception {
        // The consumer stops; its group's lag is watched from outside (as a lag exporter would), every
        // second, while the ingest API keeps taking events.
        consumer.close();
        consumer = null;
        lagWatch = VigilKafka.create(consumerVigil)
                .lagMonitor(
                        Map.of("bootstrap.servers", pipeline.kafkaBootstrapServers()),
                        PIPELINE_GROUP,
                        Duration.ofSeconds(1));
        int events = LIVE_LAG_THRESHOLD + 10;
        assertThat(PipelineTraffic.ingest(pipelineUrl.toString(), events)).isEqualTo(events);
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(firing("ConsumerLagHigh", pipelineJob))
                        .as("ConsumerLagHigh firing; lag %s", results("consumer_lag{job=\"" + pipelineJob + "\"}"))
                        .isNotNull());
        JsonNode labels = firing("ConsumerLagHigh", pipelineJob);
        assertThat(labels.path("group").asText()).isEqualTo(PIPELINE_GROUP);
        assertThat(labels.path("topic").asText()).isEqualTo(pipeline.config().topic());
        System.out.printf(
                "LiveStackTest: ConsumerLagHigh firing after %d events with the consumer stopped: %s%n",
                events, labels);
    }

    /** Grafana's variables replaced as a dashboard over the last minutes would. */
    private static String substitute(String expr, Dashboard d, String job) {
        String s = expr.replace("$__rate_interval", "30s")
                .replace("$__interval", "15s")
                .replace("$__range", "5m");
        for (Variable v : d.variables()) {
            s = s.replace("$" + v.name(), v.name().equals("job") ? job : v.sample());
        }
        assertThat(s).as(expr).doesNotContain("$");
        return s;
    }

    private static JsonNode results(String expr) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(expr + ": " + r.body()).isEqualTo(200);
        return Deploy.JSON.readTree(r.body()).at("/data/result");
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(prometheusUrl.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int login(HttpClient client, String email, String password) {
        return LiveClients.login(client, serviceUrl, email, password);
    }

    private static HttpResponse<String> post(HttpClient client, String path, String json)
            throws IOException, InterruptedException {
        return LiveClients.post(client, serviceUrl, path, json);
    }
}
