package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.Vigil;
import io.vigil.identity.IdentityConfig;
import io.vigil.identity.IdentityService;
import io.vigil.kafka.KafkaHeaders;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.test.MetricSamples;
import io.vigil.test.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * identity-service and the event pipeline in one JVM, each on a Vigil runtime of its own (as two
 * processes would be), sharing one KRaft broker: identity-service's audit events go through its
 * outbox to {@code AUDIT_TOPIC}, the pipeline's analytics consumer writes them to {@code
 * audit_events}, and one trace runs from identity's HTTP request through its {@code PRODUCER} span
 * to the pipeline's {@code CONSUMER} span.
 *
 * <p>Here rather than in identity-service or dist-test: the pipeline is the consumer under test, and
 * identity-service (an application module whose thin jar carries the public {@link
 * IdentityService#start} and {@link IdentityConfig}) is only a test dependency of it; identity-service
 * depends on no part of the pipeline, so there is no cycle. dist-test starts shipped jars in child
 * JVMs and cannot read their in-memory spans.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossServiceTraceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration AWAIT = Duration.ofSeconds(120);
    private static final String PASSWORD = "a long enough passphrase 1";

    @TempDir
    static Path dataDir;

    private final InMemorySpanExporter identitySpans = InMemorySpanExporter.create();
    private final InMemorySpanExporter pipelineSpans = InMemorySpanExporter.create();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String pipelineDb = "jdbc:h2:mem:cross-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    private final String auditTopic =
            "identity.audit.x" + UUID.randomUUID().toString().substring(0, 8);
    private final String pipelineTopic =
            "events.x" + UUID.randomUUID().toString().substring(0, 8);
    private KRaftBroker broker;
    private Vigil identityVigil;
    private Vigil pipelineVigil;
    private IdentityService identity;
    private EventPipeline pipeline;

    @BeforeAll
    void start() throws Exception {
        broker = KRaftBroker.start();
        pipelineVigil = EventPipelineTest.runtime("event-pipeline", pipelineSpans);
        identityVigil = EventPipelineTest.runtime("identity-service", identitySpans);
        Map<String, String> env = new HashMap<>();
        env.put("DATA_DIR", dataDir.toString());
        env.put("DATABASE_URL", pipelineDb);
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("PIPELINE_TOPIC", pipelineTopic);
        env.put("AUDIT_TOPIC", auditTopic);
        env.put("CONSUMER_GROUP", "cross-service-test");
        pipeline = EventPipeline.start(pipelineVigil, env);
        IdentityConfig config = IdentityConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .managementPort(0)
                .databaseUrl(
                        "jdbc:h2:mem:identity" + UUID.randomUUID().toString().replace("-", "")
                                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1")
                .databasePoolSize(4)
                .admin("admin@example.com", "root passphrase 2024")
                .kafkaBootstrapServers(broker.bootstrapServers())
                .auditTopic(auditTopic)
                .outboxPollInterval(Duration.ofMillis(100))
                .build();
        identity = IdentityService.start(config, identityVigil);
    }

    @AfterAll
    void stop() {
        if (identity != null) {
            identity.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (identityVigil != null) {
            identityVigil.close();
        }
        if (pipelineVigil != null) {
            pipelineVigil.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aSignUpOnIdentityServiceIsOneTraceThroughKafkaIntoThePipelinesAuditTable() throws Exception {
        String requestId = "cross-" + UUID.randomUUID();
        String email = "cross-" + UUID.randomUUID() + "@example.com";
        HttpResponse<String> registered = post(
                "/api/v1/auth/register", Map.of("email", email, "password", PASSWORD, "full_name", "Cross"), requestId);
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        String userId = JSON.readTree(registered.body()).path("id").asText();

        // identity-service: the request's SERVER span, and its outbox publisher's PRODUCER span in the same trace.
        SpanData server = await().atMost(AWAIT)
                .until(
                        () -> identitySpans.getFinishedSpanItems().stream()
                                .filter(s -> s.getKind() == SpanKind.SERVER
                                        && requestId.equals(
                                                s.getAttributes().get(AttributeKey.stringKey("request.id"))))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
        String traceId = server.getTraceId();
        SpanData producer = await().atMost(AWAIT)
                .until(
                        () -> identitySpans.getFinishedSpanItems().stream()
                                .filter(s -> s.getKind() == SpanKind.PRODUCER
                                        && s.getTraceId().equals(traceId))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
        assertThat(producer.getName()).isEqualTo(auditTopic + " publish");
        // Not only the trace id: the producer span descends from the request's SERVER span.
        Map<String, SpanData> byId = new HashMap<>();
        identitySpans.getFinishedSpanItems().forEach(s -> byId.put(s.getSpanId(), s));
        SpanData ancestor = producer;
        while (ancestor != null && !ancestor.getSpanId().equals(server.getSpanId())) {
            ancestor = byId.get(ancestor.getParentSpanId());
        }
        assertThat(ancestor)
                .as("the PRODUCER span's ancestors include the SERVER span")
                .isNotNull();

        // The pipeline, another runtime: its CONSUMER span continues that trace, the producer span its parent.
        SpanData consumer = await().atMost(AWAIT)
                .until(
                        () -> pipelineSpans.getFinishedSpanItems().stream()
                                .filter(s -> s.getKind() == SpanKind.CONSUMER
                                        && s.getTraceId().equals(traceId))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(consumer.getName()).isEqualTo(auditTopic + " process");
        assertThat(consumer.getResource().getAttribute(AttributeKey.stringKey("service.name")))
                .isEqualTo("event-pipeline");
        assertThat(pipelineSpans.getFinishedSpanItems().stream()
                        .filter(s -> s.getTraceId().equals(traceId))
                        .map(SpanData::getKind))
                .containsOnly(SpanKind.CONSUMER);

        // The audit row, with the request's ids.
        await().atMost(AWAIT)
                .until(() -> count("SELECT count(*) FROM audit_events WHERE request_id = ?", requestId) == 1);
        try (Connection c = DriverManager.getConnection(pipelineDb);
                PreparedStatement ps = c.prepareStatement("SELECT action, resource, outcome, trace_id, source, security"
                        + " FROM audit_events WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString("action")).isEqualTo("register");
                assertThat(rs.getString("resource")).isEqualTo("user:" + userId);
                assertThat(rs.getString("outcome")).isEqualTo("success");
                assertThat(rs.getString("trace_id")).isEqualTo(traceId);
                assertThat(rs.getString("source")).isEqualTo("identity-service");
                assertThat(rs.getBoolean("security")).isFalse();
            }
        }

        // A login, then a failed one (a security event): two more rows, each in its own request's trace.
        String loginId = "login-" + UUID.randomUUID();
        assertThat(post("/api/v1/auth/login", Map.of("email", email, "password", PASSWORD), loginId)
                        .statusCode())
                .isEqualTo(200);
        String failedId = "failed-" + UUID.randomUUID();
        assertThat(post("/api/v1/auth/login", Map.of("email", email, "password", PASSWORD + "x"), failedId)
                        .statusCode())
                .isEqualTo(401);
        await().atMost(AWAIT)
                .until(() -> count(
                                "SELECT count(*) FROM audit_events WHERE action = 'login' AND request_id IN (?, ?)",
                                loginId,
                                failedId)
                        == 2);
        assertThat(count("SELECT count(*) FROM audit_events WHERE request_id = ? AND security", failedId))
                .isEqualTo(1);
        await().atMost(AWAIT)
                .untilAsserted(() -> assertThat(metrics()
                                .require("consumer_sink_insert_duration_seconds_count", Map.of("sink", "audit")))
                        .isGreaterThanOrEqualTo(1));
    }

    @Test
    void aRedeliveredAuditEventIsWrittenOnceAndAPoisonOneIsDeadLettered() throws Exception {
        String eventId = UUID.randomUUID().toString();
        String requestId = "redelivered-" + UUID.randomUUID();
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("event_id", eventId);
        value.put("event_type", "audit");
        value.put("source", "identity-service");
        value.put("occurred_at", "2026-01-02T03:04:05Z");
        value.put("actor_id", null);
        value.put("action", "login");
        value.put("resource", "user:x");
        value.put("outcome", "failure");
        value.put("error", "invalid_credentials");
        value.put("request_id", requestId);
        value.put("trace_id", null);
        value.put("security", true);
        String json = JSON.writeValueAsString(value);
        String poisonKey = "poison-" + UUID.randomUUID();
        long last;
        try (var producer = new KafkaProducer<>(
                Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()),
                new StringSerializer(),
                new StringSerializer())) {
            // At-least-once: the same event twice (an outbox publisher crashing before it marked the row).
            producer.send(new ProducerRecord<>(auditTopic, "user:x", json)).get();
            producer.send(new ProducerRecord<>(auditTopic, poisonKey, "{\"event_id\": 42}"))
                    .get();
            last = producer.send(new ProducerRecord<>(auditTopic, "user:x", json))
                    .get()
                    .offset();
        }
        try (KafkaConsumer<String, String> dlt = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "dlt-reader-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            dlt.subscribe(List.of(pipeline.config().deadLetterTopic()));
            List<ConsumerRecord<String, String>> seen = new ArrayList<>();
            ConsumerRecord<String, String> dead = await().atMost(AWAIT)
                    .until(
                            () -> {
                                dlt.poll(Duration.ofMillis(200)).forEach(seen::add);
                                return seen.stream()
                                        .filter(r -> poisonKey.equals(r.key()))
                                        .findFirst();
                            },
                            Optional::isPresent)
                    .orElseThrow();
            assertThat(header(dead, KafkaHeaders.DLT_ORIGINAL_TOPIC)).isEqualTo(auditTopic);
        }
        // The record after the poison one was written and committed too (no retry loop); the duplicate wrote nothing.
        TopicPartition tp = new TopicPartition(auditTopic, 0);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            await().atMost(AWAIT).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets("cross-service-test")
                        .partitionsToOffsetAndMetadata()
                        .get()
                        .get(tp);
                return committed != null && committed.offset() > last;
            });
        }
        assertThat(count("SELECT count(*) FROM audit_events WHERE event_id = ?", eventId))
                .isEqualTo(1);
        assertThat(count("SELECT count(*) FROM audit_events WHERE request_id = ? AND security", requestId))
                .isEqualTo(1);
    }

    private HttpResponse<String> post(String path, Map<String, String> body, String requestId) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + identity.port() + path))
                        .header("Content-Type", "application/json")
                        .header("X-Request-ID", requestId)
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private long count(String sql, String... args) {
        return TestDatabase.countAt(pipelineDb, sql, args);
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private MetricSamples metrics() {
        return MetricSamples.parse(
                pipelineVigil.metricsEndpoint().scrape("text/plain").text());
    }
}
