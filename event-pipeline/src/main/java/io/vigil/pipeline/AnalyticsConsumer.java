package io.vigil.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.core.Vigil;
import io.vigil.kafka.ConsumerLagMonitor;
import io.vigil.kafka.RecordProcessor;
import io.vigil.kafka.VigilKafka;
import io.vigil.pipeline.internal.Database;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;

/**
 * The analytics consumer: one thread of consumer group {@code CONSUMER_GROUP} reading the pipeline
 * topic. Each record is processed in its own {@code CONSUMER} span (a child of the API's {@code
 * PRODUCER} span: one trace from the request to here) which validates it into the poll's batch; a
 * record that is not a valid pipeline message is a poison record, sent to {@code <topic>.dlt}. The
 * batch is then written to {@code analytics_events} in one {@code analytics_insert} operation timed
 * by {@link VigilKafka#sinkInsert} ({@code consumer_sink_insert_duration_seconds{sink="analytics"}})
 * and only then are the offsets committed: at-least-once, with an insert that ignores an event id
 * already written, so a redelivery duplicates nothing. A failed write commits nothing and rewinds
 * to the committed offsets (the batch comes again). {@code consumer_lag} comes from a lag monitor.
 */
public final class AnalyticsConsumer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(200);

    private final Vigil vigil;
    private final Database database;
    private final VigilKafka kafka;
    private final KafkaConsumer<String, String> consumer;
    private final Producer<byte[], byte[]> deadLetters;
    private final RecordProcessor<String, String> processor;
    private final ConsumerLagMonitor lag;
    private final Logger log;
    private final Thread thread;
    private volatile boolean running = true;

    AnalyticsConsumer(Vigil vigil, PipelineConfig config, Database database) {
        this.vigil = vigil;
        this.database = database;
        this.kafka = VigilKafka.create(vigil);
        this.log = vigil.loggerFactory().getLogger(AnalyticsConsumer.class.getName());
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        this.deadLetters = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        config.kafkaBootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        this.processor = kafka.processor(consumer)
                .commitAfterPoll(false) // committed after the batch is written
                .deadLetterTopic(config.deadLetterTopic(), deadLetters, new StringSerializer(), new StringSerializer())
                .build();
        this.lag = kafka.lagMonitor(props, config.consumerGroup(), Duration.ofSeconds(15));
        consumer.subscribe(List.of(config.topic()));
        this.thread = Thread.ofPlatform().name("analytics-consumer").start(this::run);
    }

    private void run() {
        try {
            while (running) {
                List<AnalyticsRow> batch = new ArrayList<>();
                int polled = processor.pollAndProcess(POLL, record -> batch.add(AnalyticsRow.parse(record.value())));
                if (polled == 0) {
                    continue;
                }
                if (!batch.isEmpty() && !write(batch)) {
                    rewind();
                    continue;
                }
                try {
                    consumer.commitSync();
                } catch (CommitFailedException | RebalanceInProgressException e) {
                    // The partitions moved on; their new owner reads from the last commit (inserts are idempotent).
                    log.warn("offsets not committed ({}); the records are read again", e.toString());
                }
            }
        } catch (WakeupException e) {
            // close(): stop between batches or mid-way; what was not committed comes again on restart.
        } catch (RuntimeException e) {
            log.atError().setCause(e).log("analytics consumer stopped: {}", e.toString());
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private boolean write(List<AnalyticsRow> batch) {
        try {
            vigil.operations().run(PipelineOperation.ANALYTICS_INSERT, op -> {
                op.attribute("pipeline.backend", database.backend());
                op.attribute("pipeline.batch_size", batch.size());
                kafka.sinkInsert("analytics", () -> insert(batch));
            });
            return true;
        } catch (SQLException | RuntimeException e) {
            log.atWarn().setCause(e).log("analytics batch of {} not written; it is read again", batch.size());
            return false;
        }
    }

    private int insert(List<AnalyticsRow> batch) throws SQLException {
        try (Connection c = database.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(database.idempotentAnalyticsInsert())) {
            for (AnalyticsRow row : batch) {
                ps.setString(1, row.eventId());
                ps.setString(2, row.eventType());
                ps.setString(3, row.source());
                if (row.occurredAt() == null) {
                    ps.setNull(4, Types.TIMESTAMP_WITH_TIMEZONE);
                } else {
                    ps.setTimestamp(4, Timestamp.from(row.occurredAt()));
                }
                ps.setTimestamp(5, Timestamp.from(row.receivedAt()));
                ps.setInt(6, row.payloadBytes());
                ps.setString(7, row.storageKey());
                ps.addBatch();
            }
            ps.executeBatch();
            return batch.size();
        }
    }

    /** Back to the committed offsets, so the batch that was not written is polled again. */
    private void rewind() {
        Set<TopicPartition> assigned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned);
        for (TopicPartition tp : assigned) {
            OffsetAndMetadata at = committed.get(tp);
            if (at == null) {
                consumer.seekToBeginning(List.of(tp));
            } else {
                consumer.seek(tp, at);
            }
        }
    }

    /** Stops polling (mid-way if need be: uncommitted records come again), closes the clients. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lag.close();
        deadLetters.close();
    }

    /** One pipeline message, validated. */
    private record AnalyticsRow(
            String eventId,
            String eventType,
            String source,
            Instant occurredAt,
            Instant receivedAt,
            int payloadBytes,
            String storageKey) {
        static AnalyticsRow parse(String value) throws InvalidMessageException {
            try {
                JsonNode m = JSON.readTree(value == null ? "" : value);
                if (m == null || !m.isObject()) {
                    throw new InvalidMessageException("not a JSON object");
                }
                String id = text(m, "event_id");
                if (id.length() != 36) {
                    throw new InvalidMessageException("event_id is not a UUID");
                }
                JsonNode occurred = m.path("occurred_at");
                return new AnalyticsRow(
                        id,
                        text(m, "event_type"),
                        text(m, "source"),
                        occurred.isTextual() ? Instant.parse(occurred.asText()) : null,
                        Instant.parse(text(m, "received_at")),
                        m.path("payload_bytes").asInt(),
                        text(m, "storage_key"));
            } catch (IOException | RuntimeException e) {
                throw new InvalidMessageException(e.toString());
            }
        }

        private static String text(JsonNode m, String field) throws InvalidMessageException {
            JsonNode v = m.path(field);
            if (!v.isTextual()) {
                throw new InvalidMessageException(field + " missing");
            }
            return v.asText();
        }
    }

    /** A record that is not a pipeline message: poison, dead-lettered. */
    static final class InvalidMessageException extends Exception {
        InvalidMessageException(String message) {
            super(message, null, false, false);
        }
    }
}
