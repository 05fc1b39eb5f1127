package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.identity.internal.AuditEvents;
import io.vigil.identity.internal.AuditLog;
import io.vigil.identity.internal.Database;
import io.vigil.jdbc.VigilJdbc;
import io.vigil.kafka.embedded.KRaftBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * identity-service publishing its audit events to a real Kafka (a KRaft broker started in this JVM)
 * through the transactional outbox; the subclasses run it on PostgreSQL and on H2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KafkaOutboxContract {
    private static final Duration AWAIT = Duration.ofSeconds(120);
    private static final String PASSWORD = "a long enough passphrase 1";

    private KRaftBroker broker;

    abstract String newDatabase();

    abstract void dropDatabase(String url);

    @BeforeAll
    void startBroker() {
        broker = KRaftBroker.start();
    }

    @AfterAll
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static String topic() {
        return "identity.audit.t" + UUID.randomUUID().toString().substring(0, 8);
    }

    private TestService service(String url, String bootstrap, String topic) {
        return new TestService(
                url,
                b -> b.kafkaBootstrapServers(bootstrap).auditTopic(topic).outboxPollInterval(Duration.ofMillis(100)));
    }

    @Test
    void aCommittedChangeIsPublishedOnceWithTheRequestsTraceAndRequestIdInItsHeaders() throws Exception {
        String url = newDatabase();
        String topic = topic();
        try (TestService s = service(url, broker.bootstrapServers(), topic);
                Reader reader = new Reader(broker.bootstrapServers(), topic)) {
            String requestId = "req-" + UUID.randomUUID();
            Api.Response r = s.api.send(
                    "POST",
                    "/api/v1/auth/register",
                    Api.JSON.writeValueAsString(Map.of(
                            "email",
                            "kafka-" + UUID.randomUUID() + "@example.com",
                            "password",
                            PASSWORD,
                            "full_name",
                            "K")),
                    "application/json",
                    null,
                    Map.of("X-Request-ID", requestId));
            assertThat(r.status()).isEqualTo(201);
            String userId = r.json().get("id").asString();

            ConsumerRecord<String, String> record = reader.awaitOne(rec -> requestId.equals(header(rec, "request_id")));
            JsonNode value = Api.JSON.readTree(record.value());
            assertThat(record.key()).isEqualTo("user:" + userId);
            assertThat(value.get("action").asString()).isEqualTo("register");
            assertThat(value.get("event_type").asString()).isEqualTo("audit");
            assertThat(value.get("source").asString()).isEqualTo("identity-service");
            assertThat(value.get("outcome").asString()).isEqualTo("success");
            assertThat(value.get("request_id").asString()).isEqualTo(requestId);
            assertThat(header(record, "message_id"))
                    .isEqualTo(value.get("event_id").asString());

            SpanData server = s.spans.getFinishedSpanItems().stream()
                    .filter(sp -> sp.getKind() == SpanKind.SERVER
                            && requestId.equals(sp.getAttributes()
                                    .get(io.opentelemetry.api.common.AttributeKey.stringKey("request.id"))))
                    .findFirst()
                    .orElseThrow();
            String traceparent = header(record, "traceparent");
            assertThat(traceparent).as("W3C trace context in the headers").isNotNull();
            assertThat(traceparent.substring(3, 35)).isEqualTo(server.getTraceId());
            assertThat(value.get("trace_id").asString()).isEqualTo(server.getTraceId());
            await().atMost(AWAIT)
                    .untilAsserted(() -> assertThat(s.spans.getFinishedSpanItems())
                            .anySatisfy(sp -> {
                                assertThat(sp.getKind()).isEqualTo(SpanKind.PRODUCER);
                                assertThat(sp.getTraceId()).isEqualTo(server.getTraceId());
                            }));

            // Once: a later event follows it, and nothing came in between.
            Api.Response again = s.api.send(
                    "POST",
                    "/api/v1/auth/login",
                    Api.JSON.writeValueAsString(
                            Map.of("email", "nobody-" + UUID.randomUUID() + "@example.com", "password", PASSWORD)),
                    "application/json",
                    null,
                    Map.of("X-Request-ID", "marker-" + requestId));
            assertThat(again.status()).isEqualTo(401);
            reader.awaitOne(rec -> ("marker-" + requestId).equals(header(rec, "request_id")));
            assertThat(reader.seen())
                    .filteredOn(rec -> requestId.equals(header(rec, "request_id")))
                    .hasSize(1);
            // The publisher marks a row published once the broker has acknowledged it, which may be just after a
            // consumer has already read the record.
            await().atMost(AWAIT)
                    .untilAsserted(
                            () -> assertThat(s.count("SELECT COUNT(*) FROM event_outbox WHERE published_at IS NULL"))
                                    .isZero());
        } finally {
            dropDatabase(url);
        }
    }

    @Test
    void onlyCommittedChangesArePublished() throws Exception {
        String url = newDatabase();
        String topic = topic();
        IdentityConfig config = IdentityConfig.builder()
                .databaseUrl(url)
                .databaseUser(url.startsWith("jdbc:postgresql:") ? TestDatabases.PG_USER : null)
                .databasePoolSize(3)
                .kafkaBootstrapServers(broker.bootstrapServers())
                .auditTopic(topic)
                .outboxPollInterval(Duration.ofMillis(100))
                .build();
        try (Vigil vigil = Vigil.builder()
                        .config(VigilConfig.builder()
                                .serviceName("identity-service")
                                .build())
                        .runtimeMetrics(false)
                        .build();
                Database db = new Database(config, VigilJdbc.create(vigil));
                Reader reader = new Reader(broker.bootstrapServers(), topic)) {
            AuditEvents events = new AuditEvents(config, vigil, db, (c, e, u) -> {}, Clock.systemUTC());
            try {
                AuditLog audit = events.auditLog();
                try {
                    db.tx(c -> {
                        audit.record(c, "u-1", "delete_user", "user:rolled-back", "success", null);
                        throw new IllegalStateException("the change fails after its audit record");
                    });
                } catch (IllegalStateException expected) {
                    // rolled back
                }
                db.tx(c -> {
                    audit.record(c, "u-1", "delete_user", "user:committed-1", "success", null);
                    audit.record(c, "u-1", "delete_user", "user:committed-2", "success", null);
                    return null;
                });
                assertThat(count(db, "SELECT COUNT(*) FROM event_outbox")).isEqualTo(2);
                events.start();
                reader.awaitOne(rec -> "user:committed-2".equals(rec.key()));
                assertThat(reader.seen())
                        .extracting(ConsumerRecord::key)
                        .containsExactly("user:committed-1", "user:committed-2");
                assertThat(count(db, "SELECT COUNT(*) FROM audit_log WHERE resource = 'user:rolled-back'"))
                        .isZero();
            } finally {
                events.close();
            }
        } finally {
            dropDatabase(url);
        }
    }

    @Test
    void withKafkaDownTheServiceServesAndTheOutboxGrowsThenDrainsInOrderWhenTheBrokerIsBack() throws Exception {
        String url = newDatabase();
        String topic = topic();
        int brokerPort = freePort();
        Path dir = Files.createTempDirectory("vigil-kraft-late-");
        String bootstrap = "127.0.0.1:" + brokerPort;
        KRaftBroker late = null;
        // Nothing listens at the bootstrap address: start-up must neither fail nor wait for it.
        try (TestService s = service(url, bootstrap, topic)) {
            String email = "down-" + UUID.randomUUID() + "@example.com";
            String token = s.tokenOfNewUser(email, PASSWORD); // register + login
            assertThat(s.api.login(email, PASSWORD).get("access_token").asString())
                    .isNotBlank();
            Api.Response bad = s.api.post("/api/v1/auth/login", Map.of("email", email, "password", "wrong one"), null);
            assertThat(bad.status()).isEqualTo(401);
            String userId =
                    s.api.get("/api/v1/users/me", token).json().get("id").asString();
            String key = "user:" + userId;
            List<String> expected = List.of("register:success", "login:success", "login:success", "login:failure");
            assertThat(s.count("SELECT COUNT(*) FROM event_outbox WHERE event_key = ? AND published_at IS NULL", key))
                    .as("the outbox grows while Kafka is down")
                    .isEqualTo(expected.size());

            late = KRaftBroker.builder().dataDir(dir).port(brokerPort).start();
            try (Reader reader = new Reader(late.bootstrapServers(), topic)) {
                await().atMost(AWAIT).untilAsserted(() -> {
                    reader.poll();
                    assertThat(reader.seen())
                            .filteredOn(rec -> key.equals(rec.key()))
                            .hasSize(expected.size());
                });
                List<String> actions = new ArrayList<>();
                for (ConsumerRecord<String, String> rec : reader.seen()) {
                    if (key.equals(rec.key())) {
                        JsonNode v = Api.JSON.readTree(rec.value());
                        actions.add(v.get("action").asString() + ":"
                                + v.get("outcome").asString());
                    }
                }
                assertThat(actions).as("one key's events in commit order").isEqualTo(expected);
                await().atMost(AWAIT)
                        .untilAsserted(() -> assertThat(
                                        s.count("SELECT COUNT(*) FROM event_outbox WHERE published_at IS NULL"))
                                .isZero());
            }
        } finally {
            if (late != null) {
                late.close();
            }
            delete(dir);
            dropDatabase(url);
        }
    }

    private static long count(Database db, String sql) {
        return db.read(c -> {
            try (var ps = c.prepareStatement(sql);
                    var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Reads a topic from its beginning, keeping every record seen. */
    static final class Reader implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer;
        private final List<ConsumerRecord<String, String>> seen = new CopyOnWriteArrayList<>();

        Reader(String bootstrap, String topic) {
            consumer = new KafkaConsumer<>(
                    Map.of(
                            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            bootstrap,
                            ConsumerConfig.GROUP_ID_CONFIG,
                            "test-" + UUID.randomUUID(),
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                            "earliest",
                            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                            false),
                    new StringDeserializer(),
                    new StringDeserializer());
            consumer.subscribe(List.of(topic));
        }

        void poll() {
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }

        List<ConsumerRecord<String, String>> seen() {
            return List.copyOf(seen);
        }

        ConsumerRecord<String, String> awaitOne(java.util.function.Predicate<ConsumerRecord<String, String>> match) {
            await().atMost(AWAIT).until(() -> {
                poll();
                return seen.stream().anyMatch(match);
            });
            return seen.stream().filter(match).findFirst().orElseThrow();
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(f -> f.toFile().delete());
        }
    }
}
