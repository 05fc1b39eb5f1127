package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.Vigil;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.test.MetricSamples;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline across a real PostgreSQL outage: each test has a database of its own, which it closes to connections
 * ({@code ALTER DATABASE … ALLOW_CONNECTIONS false} and its backends terminated) as an operator's outage did, and
 * reopens.
 */
class DatabaseOutageTest {
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";

    static {
        // PgJDBC asserts that a batch's connection answers getAutoCommit() after the batch failed; with assertions on
        // (surefire's default) a batch cut off by the outage (a connection the pool handed out unvalidated, used
        // within its alive-bypass window) is an AssertionError, which stops the consumer thread, instead of the
        // PSQLException production sees. Set before PgJDBC's batch classes load.
        ClassLoader.getSystemClassLoader().setPackageAssertionStatus("org.postgresql", false);
        DatabaseOutageTest.class.getClassLoader().setPackageAssertionStatus("org.postgresql", false);
    }

    @TempDir
    Path dir;

    private String database;
    private KRaftBroker broker;
    private final List<Runnable> detach = new ArrayList<>();

    @BeforeEach
    void createDatabase() throws Exception {
        database = "pipeline_outage_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try {
            admin("CREATE DATABASE " + database);
        } catch (SQLException e) {
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail("PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage());
            }
            Assumptions.abort("PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage());
        }
        broker = KRaftBroker.builder().dataDir(dir.resolve("broker")).start();
    }

    @AfterEach
    void dropDatabase() throws Exception {
        detach.forEach(Runnable::run);
        if (broker != null) {
            broker.close();
        }
        admin("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
        admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }

    /**
     * The consumer's batch, refused by a database that is down, was counted as consumed and processed successfully on
     * every retry (81 to 1562 in 3 minutes for 20 records), retried without backoff, never counted in {@code
     * consumer_errors_total} (the ConsumerErrorRate alert could not fire), and logged a WARN and an ERROR with a stack
     * trace per retry.
     */
    @Test
    void theConsumerBacksOffCountsTheFailedWritesAsErrorsAndLogsTheOutageOnce() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        ListAppender<ILoggingEvent> consumerLines = capture(AnalyticsConsumer.class.getName());
        ListAppender<ILoggingEvent> stepLines = capture("vigil.operation.pipeline_step");
        try (Vigil vigil = EventPipelineTest.runtime("event-pipeline-consumer", spans);
                AutoCloseable consumer = EventPipeline.startConsumer(vigil, env(Map.of("AUDIT_TOPIC", "")))) {
            // Up first: the schema created, the consumer in its group.
            String first = UUID.randomUUID().toString();
            publish(first);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> count(first) == 1);

            down();
            Instant outage = Instant.now();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ids.add(UUID.randomUUID().toString());
            }
            publish(ids.toArray(String[]::new));
            // Four attempts at least: the first, then after 0.5 s, 1 s and 2 s of backoff.
            List<SpanData> failed = await().atMost(Duration.ofSeconds(60))
                    .until(() -> failedInserts(spans, outage), f -> f.size() >= 4);
            assertThat(Duration.between(start(failed.get(2)), start(failed.get(3))))
                    .as("the fourth attempt waits the third backoff step (2 s)")
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            assertThat(Duration.between(start(failed.get(0)), start(failed.get(1))))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(500));
            assertThat(failed)
                    .allSatisfy(s -> assertThat(s.getAttributes().asMap().toString())
                            .contains("pipeline.step.status=failure", "unavailable"));
            // Every failed attempt's records are errors the alert sees; the retried records are not consumed or
            // processed again.
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(sum(
                                    vigil,
                                    "consumer_errors_total",
                                    Map.of("topic", "events", "error_type", "sink_write")))
                            .isGreaterThanOrEqualTo(20 * 3));
            MetricSamples during = scrape(vigil);
            assertThat(sum(during, "consumer_messages_consumed_total", Map.of("topic", "events")))
                    .isEqualTo(21);
            assertThat(sum(during, "consumer_messages_processed_total", Map.of("topic", "events", "status", "success")))
                    .isEqualTo(21);
            assertThat(sum(during, "pipeline_steps_total", Map.of("step", "analytics_insert", "status", "failure")))
                    .isGreaterThanOrEqualTo(4);

            up();
            await().atMost(Duration.ofSeconds(60)).until(() -> countAll(ids) == ids.size());
            MetricSamples after = scrape(vigil);
            assertThat(sum(after, "consumer_messages_consumed_total", Map.of("topic", "events")))
                    .isEqualTo(21);
            assertThat(sum(after, "consumer_messages_processed_total", Map.of("topic", "events", "status", "success")))
                    .isEqualTo(21);
            await().untilAsserted(() -> assertThat(consumerLines.list)
                    .filteredOn(e -> e.getLevel() == Level.INFO)
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(m -> m.startsWith("analytics batches written again after ")));
        }
        // One WARN at the outage's start, one INFO at its end; no stack trace anywhere, nor in the step's lines.
        assertThat(consumerLines.list)
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).startsWith("analytics batches not written ("));
        assertThat(consumerLines.list)
                .filteredOn(e -> e.getFormattedMessage().startsWith("analytics batches written again after "))
                .hasSize(1);
        assertThat(consumerLines.list)
                .allSatisfy(e -> assertThat(e.getThrowableProxy())
                        .as(e.getFormattedMessage())
                        .isNull());
        assertThat(stepLines.list)
                .filteredOn(e -> e.getFormattedMessage().startsWith("analytics_insert"))
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e.getThrowableProxy())
                        .as(e.getFormattedMessage())
                        .isNull());
    }

    /**
     * The raw event was stored before the database transaction and nothing removed it: each request refused 503
     * during a database outage left a file under {@code DATA_DIR/raw} that no row names (63 refused POSTs, 63 files).
     */
    @Test
    void aRequestRefusedBecauseTheDatabaseIsDownLeavesNoRawEvent() throws Exception {
        try (Vigil vigil = EventPipelineTest.runtime("event-pipeline", InMemorySpanExporter.create());
                EventPipeline pipeline = EventPipeline.start(vigil, env(Map.of("CONSUMER_ENABLED", "false")))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> post(pipeline.port()).statusCode() == 202);
            assertThat(rawFiles()).hasSize(1);

            down();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> refused = post(pipeline.port());
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.body()).contains("database-unavailable");
            }
            assertThat(rawFiles()).as("only the accepted event's raw file").hasSize(1);

            up();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> post(pipeline.port()).statusCode() == 202);
            assertThat(rawFiles()).hasSize(2);
        }
    }

    /**
     * Each request refused 503 during a database outage wrote four lines (about 9 KB), among them {@code
     * postgres_insert error} with the pool's 6.9 KB stack trace and a WARN {@code database unavailable}. Now the outage
     * is one WARN at its start and one INFO at its end; each refused request still counts as a failed step with an
     * ERROR span, and its step line has no stack trace.
     */
    @Test
    void anIngestDatabaseOutageIsLoggedOnceWithoutStackTraces() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        ListAppender<ILoggingEvent> apiLines = capture(IngestApi.class.getName());
        ListAppender<ILoggingEvent> stepLines = capture("vigil.operation.pipeline_step");
        try (Vigil vigil = EventPipelineTest.runtime("event-pipeline", spans);
                EventPipeline pipeline = EventPipeline.start(vigil, env(Map.of("CONSUMER_ENABLED", "false")))) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> post(pipeline.port()).statusCode() == 202);
            down();
            for (int i = 0; i < 3; i++) {
                assertThat(post(pipeline.port()).statusCode()).isEqualTo(503);
            }
            assertThat(sum(scrape(vigil), "pipeline_steps_total", Map.of("step", "insert", "status", "failure")))
                    .isEqualTo(3);
            assertThat(spans.getFinishedSpanItems())
                    .filteredOn(s -> s.getName().equals("postgres_insert")
                            && s.getStatus().getStatusCode() == StatusCode.ERROR)
                    .hasSize(3);
            up();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> post(pipeline.port()).statusCode() == 202);
        }
        assertThat(apiLines.list)
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).startsWith("database unavailable: "));
        assertThat(apiLines.list)
                .extracting(ILoggingEvent::getFormattedMessage)
                .containsOnlyOnce("database available again");
        assertThat(apiLines.list)
                .allSatisfy(e -> assertThat(e.getThrowableProxy())
                        .as(e.getFormattedMessage())
                        .isNull());
        assertThat(stepLines.list)
                .filteredOn(e -> e.getFormattedMessage().startsWith("postgres_insert"))
                .hasSize(3)
                .allSatisfy(e -> {
                    assertThat(e.getLevel()).isEqualTo(Level.WARN);
                    assertThat(e.getThrowableProxy())
                            .as(e.getFormattedMessage())
                            .isNull();
                });
    }

    /**
     * The status gauges were set only by {@code GET /health}: with nothing polling it, {@code postgres_status} said 1
     * through a whole outage. Probed in the background, the gauge follows the database with no request made.
     */
    @Test
    void theStatusGaugesFollowAnOutageWithoutAHealthRequest() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (Vigil vigil = EventPipelineTest.runtime("event-pipeline", spans);
                EventPipeline pipeline = EventPipeline.start(vigil, env(Map.of("CONSUMER_ENABLED", "false")))) {
            assertThat(scrape(vigil).require("postgres_status", Map.of())).isEqualTo(1);
            down();
            await().atMost(IngestApi.PROBE_INTERVAL.multipliedBy(3))
                    .untilAsserted(() -> assertThat(scrape(vigil).require("postgres_status", Map.of()))
                            .isZero());
            assertThat(scrape(vigil).require("kafka_status", Map.of())).isEqualTo(1);
            assertThat(scrape(vigil).require("minio_status", Map.of())).isEqualTo(1);
            up();
            await().atMost(IngestApi.PROBE_INTERVAL.multipliedBy(3))
                    .untilAsserted(() -> assertThat(scrape(vigil).require("postgres_status", Map.of()))
                            .isEqualTo(1));
            assertThat(spans.getFinishedSpanItems())
                    .as("no health request was made: every probe is a root span of its own")
                    .filteredOn(s -> s.getName().equals("postgres_check"))
                    .hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(
                            s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
        }
    }

    // ---- fixture ---------------------------------------------------------------------------------------------

    private final HttpClient http = HttpClient.newHttpClient();

    /** An event, without an idempotency key (with one, the key's lookup fails first, before anything is stored). */
    private HttpResponse<String> post(int port) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"event_type\":\"page_view\",\"source\":\"web\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<Path> rawFiles() throws java.io.IOException {
        Path raw = dir.resolve("data").resolve("raw");
        if (!Files.exists(raw)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(raw)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", dir.resolve("data").toString());
        env.put("DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/" + database);
        env.put("DATABASE_USER", "postgres");
        env.put("DATABASE_TIMEOUT_MS", "250");
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("CONSUMER_GROUP", "outage-" + database);
        env.put("KAFKA_TIMEOUT_MS", "2000");
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.putAll(extra);
        return env;
    }

    /** The outage: the database refuses new connections and its open ones are ended. */
    private void down() throws SQLException {
        admin("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
        admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
    }

    private void up() throws SQLException {
        admin("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
    }

    private static void admin(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(PG, "postgres", "");
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private long count(String eventId) throws SQLException {
        try (Connection c =
                        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT count(*) FROM analytics_events WHERE event_id = '" + eventId + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long countAll(List<String> eventIds) throws SQLException {
        long n = 0;
        for (String id : eventIds) {
            n += count(id);
        }
        return n;
    }

    /** Event records as the ingest API publishes them. */
    private void publish(String... eventIds) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (String eventId : eventIds) {
                String value = "{\"event_id\":\"" + eventId + "\",\"event_type\":\"page_view\",\"source\":\"web\","
                        + "\"received_at\":\"" + Instant.now() + "\",\"payload_bytes\":2,\"storage_key\":\"k/"
                        + eventId + "\"}";
                producer.send(new ProducerRecord<>("events", value.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    private static List<SpanData> failedInserts(InMemorySpanExporter spans, Instant since) {
        return spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("analytics_insert")
                        && s.getStatus().getStatusCode() == StatusCode.ERROR
                        && !start(s).isBefore(since))
                .sorted(Comparator.comparing(DatabaseOutageTest::start))
                .toList();
    }

    private static Instant start(SpanData span) {
        return Instant.EPOCH.plusNanos(span.getStartEpochNanos());
    }

    private ListAppender<ILoggingEvent> capture(String logger) {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger);
        lines.start();
        log.addAppender(lines);
        detach.add(() -> log.detachAppender(lines));
        return lines;
    }

    private static MetricSamples scrape(Vigil vigil) {
        return MetricSamples.parse(vigil.metricsEndpoint().scrape("text/plain").text());
    }

    private static double sum(Vigil vigil, String name, Map<String, String> labels) {
        return sum(scrape(vigil), name, labels);
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels}. */
    private static double sum(MetricSamples samples, String name, Map<String, String> labels) {
        return samples.named(name).stream()
                .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(MetricSamples.Sample::value)
                .sum();
    }
}
