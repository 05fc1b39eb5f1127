package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.vigil.core.Vigil;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.test.MetricSamples;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analytics consumer across a broker outage that begins while it holds a batch: the batch is written, the commit
 * then finds no broker. The consumer thread used to end there for good (the commit's {@code TimeoutException} left its
 * loop), the process serving on and {@code /health} saying nothing, so no event was consumed again until a restart.
 */
class ConsumerOutageTest {
    @TempDir
    Path dir;

    @Test
    void aBrokerGoneWhileABatchIsInHandIsWaitedOutAndConsumingGoesOn() throws Exception {
        // The lock timeout keeps the consumer's insert waiting on the test's lock (below) for as long as the test
        // needs.
        String h2 = "jdbc:h2:mem:outage-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=120000";
        int port = freePort();
        Path brokerDir = dir.resolve("broker");
        KRaftBroker broker = KRaftBroker.builder().dataDir(brokerDir).port(port).start();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        ch.qos.logback.classic.Logger consumerLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(AnalyticsConsumer.class.getName());
        lines.start();
        consumerLog.addAppender(lines);
        try (Vigil vigil = EventPipelineTest.runtime("event-pipeline-consumer", InMemorySpanExporter.create());
                AutoCloseable consumer = EventPipeline.startConsumer(
                        vigil,
                        Map.of(
                                "DATA_DIR",
                                dir.resolve("data").toString(),
                                "DATABASE_URL",
                                h2,
                                "KAFKA_BOOTSTRAP_SERVERS",
                                broker.bootstrapServers(),
                                "CONSUMER_GROUP",
                                "outage-test",
                                "AUDIT_TOPIC",
                                "",
                                "KAFKA_TIMEOUT_MS",
                                "2000"))) {
            String held = UUID.randomUUID().toString();
            try (Connection lock = DriverManager.getConnection(h2)) {
                // The row the consumer is about to insert, inserted and not committed: its insert waits on this lock.
                lock.setAutoCommit(false);
                insertRow(lock, held);
                publish(broker.bootstrapServers(), held);
                // Polled: its insert now waits on the lock, so the batch is in hand until the lock is released.
                await().atMost(Duration.ofSeconds(60)).until(() -> consumed(vigil) >= 1);
                broker.close(); // gone while the batch is in hand
                lock.rollback(); // the insert goes through; the commit that follows finds no broker
            }
            // The commit times out after KAFKA_TIMEOUT_MS: one WARN naming it, the consumer backing off.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> lines.list.stream()
                            .anyMatch(e -> e.getFormattedMessage().startsWith("analytics consumer: ")
                                    && e.getFormattedMessage().contains("Timeout")));
            assertThat(count(h2, held)).isEqualTo(1);

            broker = KRaftBroker.builder().dataDir(brokerDir).port(port).start();
            String after = UUID.randomUUID().toString();
            publish(broker.bootstrapServers(), after);
            await().atMost(Duration.ofSeconds(90)).until(() -> count(h2, after) == 1);
            assertThat(count(h2, held))
                    .as("read again after the failed commit, inserted once")
                    .isEqualTo(1);
            assertThat(lines.list).noneMatch(e -> e.getFormattedMessage().startsWith("analytics consumer stopped"));
        } finally {
            consumerLog.detachAppender(lines);
            broker.close();
        }
    }

    private static void insertRow(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO analytics_events (event_id, event_type, source,"
                + " received_at, payload_bytes, storage_key) VALUES (?, 'held', 'test', ?, 0, 'k')")) {
            ps.setString(1, eventId);
            ps.setTimestamp(2, java.sql.Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
    }

    /** An event record as the ingest API publishes it. */
    private static void publish(String bootstrapServers, String eventId) throws Exception {
        String value = "{\"event_id\":\"" + eventId + "\",\"event_type\":\"page_view\",\"source\":\"web\","
                + "\"received_at\":\"" + Instant.now() + "\",\"payload_bytes\":2,\"storage_key\":\"k/" + eventId
                + "\"}";
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrapServers, "acks", "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("events", value.getBytes(StandardCharsets.UTF_8)))
                    .get();
        }
    }

    /** Records of {@code events} the consumer has polled (counted as it reads them, before its batch is written). */
    private static double consumed(Vigil vigil) {
        return MetricSamples.parse(vigil.metricsEndpoint().scrape("text/plain").text())
                .named("consumer_messages_consumed_total")
                .stream()
                .filter(sample -> "events".equals(sample.labels().get("topic")))
                .mapToDouble(MetricSamples.Sample::value)
                .sum();
    }

    private static long count(String url, String eventId) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM analytics_events WHERE event_id = ?")) {
            ps.setString(1, eventId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
