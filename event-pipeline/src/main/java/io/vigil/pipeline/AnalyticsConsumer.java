package io.vigil.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.vigil.core.Vigil;
import io.vigil.kafka.ConsumerLagMonitor;
import io.vigil.kafka.KafkaCatalogue;
import io.vigil.kafka.RecordHandler;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;

/**
 * The analytics consumer: one thread of consumer group {@code CONSUMER_GROUP} reading the pipeline
 * topic and, unless {@code AUDIT_TOPIC} is empty, identity-service's audit topic. Each record is
 * processed in its own {@code CONSUMER} span (a child of the producer's {@code PRODUCER} span — the
 * pipeline API's or identity-service's outbox publisher's: one trace from the request to here)
 * which validates it into the poll's batch for its table; a record that is not a valid message of
 * its topic is a poison record, sent to {@code <PIPELINE_TOPIC>.dlt} (the original topic in the
 * header {@code dlt_original_topic}). The batch is then written in one {@code analytics_insert}
 * operation: pipeline events to {@code analytics_events} timed by {@link VigilKafka#sinkInsert}
 * ({@code consumer_sink_insert_duration_seconds{sink="analytics"}}), audit events to {@code
 * audit_events} ({@code sink="audit"}); only then are the offsets committed: at-least-once, with
 * inserts that ignore an event id already written, so a redelivery duplicates nothing. A failed
 * write commits nothing, is counted in {@code consumer_errors_total{error_type="sink_write"}} (one
 * per record of the batch and attempt), and the consumer backs off (0.5 s doubling to 10 s) and
 * rewinds to the committed offsets: the batch comes again, and a record read again is neither
 * counted again in {@code consumer_messages_consumed_total} / {@code
 * consumer_messages_processed_total} nor given a second span nor dead-lettered twice. A database
 * outage is logged once (WARN, no stack trace) and its end once (INFO). {@code consumer_lag} comes
 * from a lag monitor.
 */
public final class AnalyticsConsumer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(200);

    private final Vigil vigil;
    private final Database database;
    private final VigilKafka kafka;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> deadLetters;
    private final RecordProcessor<byte[], byte[]> processor;
    private final ConsumerLagMonitor lag;
    private final Logger log;
    private final String auditTopic; // null: not read
    private final Thread thread;
    private final LongCounter errors;
    private final String group;
    private final String topic;
    /**
     * Per partition, the offset past the last record handed to the processor: a record below it is a redelivery
     * after a failed write (or commit), which was already counted, spanned and, if poison, dead-lettered.
     */
    private final Map<TopicPartition, Long> counted = new HashMap<>();
    /** The write outage in progress: its first failure's time, or null. Consumer thread only. */
    private Instant writeFailingSince;

    private int failedWrites;
    private volatile boolean running = true;

    AnalyticsConsumer(Vigil vigil, PipelineConfig config, Database database) {
        this.vigil = vigil;
        this.database = database;
        this.kafka = VigilKafka.create(vigil);
        this.log = vigil.loggerFactory().getLogger(AnalyticsConsumer.class.getName());
        this.auditTopic = config.auditTopic();
        this.group = config.consumerGroup();
        this.topic = config.topic();
        // vigil-kafka's consumer_errors_total itself (same scope, name and description, so the SDK hands back its
        // instrument): a batch the database refused is an error of the records in it, which the ConsumerErrorRate
        // alert must see; vigil-kafka's processor counts only poison records there.
        this.errors = vigil.openTelemetry()
                .getMeter("io.vigil.kafka")
                .counterBuilder(KafkaCatalogue.ERRORS.name())
                .setDescription(KafkaCatalogue.ERRORS.description())
                .build();
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
        // Bytes, decoded strictly in the handler: a String deserializer read bytes that are not UTF-8 as U+FFFD, so a
        // poison record was dead-lettered re-encoded, not as it was written (and its JSON was read with the U+FFFD).
        // Bounds commitSync() and committed() against a broker that is gone; the loop then backs off and tries again
        // (Kafka wants a request's own timeout within it).
        Map<String, Object> consumerProps = new HashMap<>(props);
        int timeout = (int) Math.min(Integer.MAX_VALUE, config.kafkaTimeout().toMillis());
        consumerProps.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout);
        consumerProps.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeout, 30_000));
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
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
                .deadLetterTopic(
                        config.deadLetterTopic(), deadLetters, new ByteArraySerializer(), new ByteArraySerializer())
                .build();
        this.lag = kafka.lagMonitor(props, config.consumerGroup(), Duration.ofSeconds(15));
        consumer.subscribe(auditTopic == null ? List.of(config.topic()) : List.of(config.topic(), auditTopic));
        this.thread = Thread.ofPlatform().name("analytics-consumer").start(this::run);
    }

    private void run() {
        Backoff backoff = new Backoff();
        boolean rewindFirst = false;
        try {
            while (running) {
                try {
                    if (rewindFirst) {
                        rewind(); // the batch whose commit failed, or that failed half-way, is read again
                        rewindFirst = false;
                    }
                    pollWriteCommit();
                    backoff.reset();
                } catch (WakeupException | InterruptException e) {
                    throw e;
                } catch (BatchNotWritten e) {
                    // Not per attempt: during a database outage every attempt fails alike. The WARN at its start,
                    // the INFO at its end (in write); the attempts in between count in consumer_errors_total
                    // and pipeline_steps_total{step="analytics_insert"}, and each has its span.
                    rewindFirst = true;
                    if (writeFailingSince == null) {
                        writeFailingSince = Instant.now();
                        log.warn(
                                "analytics batches not written ({}); retrying with backoff (0.5 s doubling to 10 s),"
                                        + " logged again once they are written",
                                e.getMessage());
                    } else {
                        log.debug("analytics batch not written again ({})", e.getMessage());
                    }
                    failedWrites++;
                    backoff.pause(() -> running);
                } catch (RuntimeException e) {
                    // A broker gone for longer than KAFKA_TIMEOUT_MS (commitSync or committed() timing out), or
                    // anything else one batch ran into: the consumer thread ended here, for good, while the process
                    // went on serving and /health said nothing. Now it backs off and tries again; the inserts are
                    // idempotent, so the batch read again duplicates nothing. One line per failure, at most one per
                    // backoff step.
                    rewindFirst = true;
                    log.warn(
                            "analytics consumer: {}; trying again in {} ms (failure {} in a row)",
                            e.toString(),
                            backoff.nextMillis(),
                            backoff.failures());
                    backoff.pause(() -> running);
                }
            }
        } catch (WakeupException | InterruptException e) {
            // close(): stop between batches or mid-way; what was not committed comes again on restart.
        } catch (Error e) {
            log.atError().setCause(e).log("analytics consumer stopped: {}", e.toString());
            throw e;
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    /**
     * One poll: its records written in one batch, then their offsets committed.
     *
     * @throws BatchNotWritten when the write failed (nothing committed; the caller backs off and rewinds)
     */
    private void pollWriteCommit() {
        List<AnalyticsRow> batch = new ArrayList<>();
        List<AuditRow> audits = new ArrayList<>();
        RecordHandler<byte[], byte[]> handler = record -> {
            if (record.topic().equals(auditTopic)) {
                audits.add(AuditRow.parse(utf8(record.value())));
            } else {
                batch.add(AnalyticsRow.parse(utf8(record.value())));
            }
        };
        // Polled here, not by processor.pollAndProcess (which would be the same: bytes never fail to deserialize, and
        // it commits nothing here), so that a record read again after a failed write is not processed again: the
        // same batch was counted in consumed/processed on every retry (1562 for 20 records in a 3-minute outage).
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        if (records.isEmpty()) {
            return;
        }
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            if (record.offset() < counted.getOrDefault(tp, 0L)) {
                try {
                    handler.handle(record);
                } catch (Exception e) {
                    // Poison, dead-lettered when first read.
                }
            } else {
                processor.process(record, handler);
                counted.put(tp, record.offset() + 1);
            }
        }
        if (!batch.isEmpty() || !audits.isEmpty()) {
            write(batch, audits);
        }
        try {
            consumer.commitSync();
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // The partitions moved on; their new owner reads from the last commit (inserts are idempotent).
            log.warn("offsets not committed ({}); the records are read again", e.toString());
        }
    }

    /** Waits between failed attempts: 0.5 s, doubling to 10 s; a stop ends the wait within 50 ms. */
    private static final class Backoff {
        private static final long FIRST_MILLIS = 500;
        private static final long MAX_MILLIS = 10_000;
        private int failures;

        long nextMillis() {
            return Math.min(MAX_MILLIS, FIRST_MILLIS << Math.min(failures, 5));
        }

        int failures() {
            return failures + 1;
        }

        void pause(java.util.function.BooleanSupplier running) {
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(nextMillis());
            failures++;
            long left;
            while (running.getAsBoolean() && (left = until - System.nanoTime()) > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(left, 50_000_000L));
            }
        }

        void reset() {
            failures = 0;
        }
    }

    /** Writes the batch in one operation, or counts its records as errors and throws {@link BatchNotWritten}. */
    private void write(List<AnalyticsRow> batch, List<AuditRow> audits) {
        try {
            vigil.operations().run(PipelineOperation.ANALYTICS_INSERT, op -> {
                op.attribute("pipeline.backend", database.backend());
                op.attribute("pipeline.batch_size", batch.size() + audits.size());
                try {
                    if (!batch.isEmpty()) {
                        kafka.sinkInsert("analytics", () -> insert(batch));
                    }
                    if (!audits.isEmpty()) {
                        op.attribute("pipeline.audit_batch_size", audits.size());
                        kafka.sinkInsert("audit", () -> insertAudit(audits));
                    }
                } catch (SQLException e) {
                    if (Database.unavailable(e)) {
                        // An expected dependency failure, not a fault: the span's status is still ERROR and the step
                        // counts as status="failure", but the operation's log line carries no stack trace (an
                        // exception would put one there on every retry of the outage).
                        op.attribute("pipeline.dependency.error", e.toString());
                        op.failure("unavailable");
                    }
                    throw e;
                }
            });
        } catch (SQLException | RuntimeException e) {
            if (!batch.isEmpty()) {
                errors.add(batch.size(), sinkWriteLabels(topic));
            }
            if (!audits.isEmpty()) {
                errors.add(audits.size(), sinkWriteLabels(auditTopic));
            }
            throw new BatchNotWritten(e.toString());
        }
        if (writeFailingSince != null) {
            log.info(
                    "analytics batches written again after {} failed attempts over {} s",
                    failedWrites,
                    Duration.between(writeFailingSince, Instant.now()).toSeconds());
            writeFailingSince = null;
            failedWrites = 0;
        }
    }

    private Attributes sinkWriteLabels(String recordTopic) {
        return Attributes.of(TOPIC, recordTopic, GROUP, group, ERROR_TYPE, "sink_write");
    }

    private static final AttributeKey<String> TOPIC = AttributeKey.stringKey("topic");
    private static final AttributeKey<String> GROUP = AttributeKey.stringKey("group");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error_type");

    /** A batch the database did not take; its message is the cause, class and message (no stack trace). */
    private static final class BatchNotWritten extends RuntimeException {
        BatchNotWritten(String message) {
            super(message, null, false, false);
        }
    }

    private int insertAudit(List<AuditRow> audits) throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        try (Connection c = database.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(database.idempotentAuditInsert())) {
            for (AuditRow row : audits) {
                ps.setString(1, row.eventId());
                ps.setString(2, row.source());
                ps.setTimestamp(3, Timestamp.from(row.occurredAt()));
                ps.setTimestamp(4, now);
                ps.setString(5, row.actorId());
                ps.setString(6, row.action());
                ps.setString(7, row.resource());
                ps.setString(8, row.outcome());
                ps.setString(9, row.error());
                ps.setString(10, row.requestId());
                ps.setString(11, row.traceId());
                ps.setBoolean(12, row.security());
                ps.addBatch();
            }
            ps.executeBatch();
            return audits.size();
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

    /**
     * Stops polling after the batch in hand is written and committed (a poll lasts {@code 200 ms}; a batch whose
     * write takes longer than {@link #FINISH_BATCH} is cut short instead, and comes again on restart), closes the
     * consumer (leaving its group at once) and the other clients. Logs one line saying which.
     */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        try {
            thread.join(FINISH_BATCH);
            if (thread.isAlive()) {
                consumer.wakeup();
                thread.join(Duration.ofSeconds(10));
                log.warn("Shutdown: analytics consumer stopped mid-batch; its uncommitted records are read again");
            } else {
                log.info("Shutdown: analytics consumer stopped; its last batch written and committed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lag.close();
        deadLetters.close(Duration.ofSeconds(5));
    }

    /** How long close() lets the batch in hand finish before it cuts it short. */
    private static final Duration FINISH_BATCH = Duration.ofSeconds(10);

    /** A record's value as text; null stays null (a tombstone, poison as any value that is no JSON object). */
    static String utf8(byte[] value) throws InvalidMessageException {
        if (value == null) {
            return null;
        }
        try {
            return java.nio.charset.StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(value))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidMessageException("value is not UTF-8");
        }
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
                JsonNode m = object(value);
                String id = eventId(m);
                JsonNode occurred = m.path("occurred_at");
                // Each text as long as its column holds: a longer one failed the batch's insert, which was read
                // again and failed again for ever, every later record waiting behind it.
                return new AnalyticsRow(
                        id,
                        text(m, "event_type", 64),
                        text(m, "source", 64),
                        occurred.isTextual() ? instant(occurred.asText(), "occurred_at") : null,
                        instant(text(m, "received_at"), "received_at"),
                        m.path("payload_bytes").asInt(),
                        text(m, "storage_key", 255));
            } catch (IOException | RuntimeException e) {
                throw new InvalidMessageException(e.toString());
            }
        }

        /** A message's value as a JSON object; anything else is invalid (poison). */
        static JsonNode object(String value) throws IOException, InvalidMessageException {
            JsonNode m = JSON.readTree(value == null ? "" : value);
            if (m == null || !m.isObject()) {
                throw new InvalidMessageException("not a JSON object");
            }
            return m;
        }

        /**
         * A timestamp a database column holds: an instant past year 9999 (which {@link Instant#parse} reads) failed
         * the batch's insert ({@code Timestamp.from} overflows), so the batch was read again and failed again for
         * ever, and every later record waited behind it. Refused here, it is poison: dead-lettered once.
         */
        static Instant instant(String text, String field) throws InvalidMessageException {
            Instant instant = Instant.parse(text);
            if (instant.isBefore(IngestApi.EARLIEST) || instant.isAfter(IngestApi.LATEST)) {
                throw new InvalidMessageException(field + " is outside the years 1 to 9999");
            }
            return instant;
        }

        /** The message's {@code event_id}, which must be a UUID: the key of its idempotent insert. */
        static String eventId(JsonNode m) throws InvalidMessageException {
            String id = text(m, "event_id");
            if (!UUID_TEXT.matcher(id).matches()) {
                throw new InvalidMessageException("event_id is not a UUID");
            }
            return id;
        }

        private static final java.util.regex.Pattern UUID_TEXT =
                java.util.regex.Pattern.compile("[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}");

        private static String text(JsonNode m, String field) throws InvalidMessageException {
            JsonNode v = m.path(field);
            if (!v.isTextual()) {
                throw new InvalidMessageException(field + " missing");
            }
            return storable(v.asText(), field);
        }

        /** The text of {@code field}, at most {@code max} characters. */
        static String text(JsonNode m, String field, int max) throws InvalidMessageException {
            String v = text(m, field);
            if (v.length() > max) {
                throw new InvalidMessageException(field + " longer than " + max);
            }
            return v;
        }

        /**
         * {@code v} when a text column can hold it: PostgreSQL refuses a NUL in text, which failed the whole batch's
         * insert for ever as a value too long did. Ingest refuses it in what it takes; the topic is an input too.
         */
        static String storable(String v, String field) throws InvalidMessageException {
            if (v.indexOf('\u0000') >= 0) {
                throw new InvalidMessageException(field + " holds a NUL character");
            }
            return v;
        }
    }

    /**
     * One identity-service audit event ({@code AUDIT_TOPIC}), validated: a value that would not fit
     * its column is refused here (poison, dead-lettered) rather than failing the batch's insert
     * forever; only {@code error}, free text, is cut.
     */
    private record AuditRow(
            String eventId,
            String source,
            Instant occurredAt,
            String actorId,
            String action,
            String resource,
            String outcome,
            String error,
            String requestId,
            String traceId,
            boolean security) {
        static AuditRow parse(String value) throws InvalidMessageException {
            try {
                JsonNode m = AnalyticsRow.object(value);
                String id = AnalyticsRow.eventId(m);
                if (!"audit".equals(AnalyticsRow.text(m, "event_type"))) {
                    throw new InvalidMessageException("event_type is not audit");
                }
                JsonNode security = m.path("security");
                if (!security.isMissingNode() && !security.isNull() && !security.isBoolean()) {
                    throw new InvalidMessageException("security is not a boolean");
                }
                String error = optional(m, "error", Integer.MAX_VALUE);
                return new AuditRow(
                        id,
                        bounded(AnalyticsRow.text(m, "source"), "source", 64),
                        AnalyticsRow.instant(AnalyticsRow.text(m, "occurred_at"), "occurred_at"),
                        optional(m, "actor_id", 255),
                        bounded(AnalyticsRow.text(m, "action"), "action", 64),
                        optional(m, "resource", 255),
                        bounded(AnalyticsRow.text(m, "outcome"), "outcome", 32),
                        error == null || error.length() <= 1024 ? error : error.substring(0, 1024),
                        optional(m, "request_id", 255),
                        optional(m, "trace_id", 32),
                        security.asBoolean(false));
            } catch (IOException | RuntimeException e) {
                throw new InvalidMessageException(e.toString());
            }
        }

        /** The text of {@code field}, or null when missing or null; anything else is invalid. */
        private static String optional(JsonNode m, String field, int max) throws InvalidMessageException {
            JsonNode v = m.path(field);
            if (v.isMissingNode() || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw new InvalidMessageException(field + " is not text");
            }
            return bounded(v.asText(), field, max);
        }

        private static String bounded(String v, String field, int max) throws InvalidMessageException {
            if (v.length() > max) {
                throw new InvalidMessageException(field + " longer than " + max);
            }
            return AnalyticsRow.storable(v, field);
        }
    }

    /** A record that is not a message of its topic: poison, dead-lettered. */
    static final class InvalidMessageException extends Exception {
        InvalidMessageException(String message) {
            super(message, null, false, false);
        }
    }
}
