package io.vigil.kafka;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaProcessRequest;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaReceiveRequest;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaUtil;
import io.vigil.core.Scrubber;
import io.vigil.core.internal.ScrubbedExceptions;
import io.vigil.kafka.internal.Headers;
import io.vigil.kafka.internal.KafkaInstruments;
import io.vigil.kafka.internal.RateLimitedLog;
import io.vigil.kafka.internal.TelemetryFailures;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.MDC;

/**
 * Processes the records a {@link Consumer} polls, with the telemetry of each: a {@code CONSUMER}
 * span ({@code <topic> process}, messaging semantic conventions, from OpenTelemetry's kafka-clients
 * instrumenter) continuing the producer's trace — its parent for one record, span links for a batch
 * —, the contract's consumer metrics ({@link KafkaCatalogue}), and the record's {@code message_id},
 * {@code topic}, {@code partition}, {@code offset} and {@code request_id} in the MDC of every log
 * line the handler writes, removed afterwards.
 *
 * <p>A record whose handler throws, or that cannot be deserialized, is a poison record: counted in
 * {@code consumer_errors_total{error_type}}, logged (at most once per {@code poisonLogInterval}),
 * written to the dead-letter topic when one is configured, and skipped — never retried, so one bad
 * record cannot stall the partition.
 *
 * <pre>{@code
 * RecordProcessor<String, String> processor = kafka.processor(consumer)
 *         .deadLetterTopic("orders.dlt", dltProducer, new StringSerializer(), new StringSerializer())
 *         .build();
 * while (running) {
 *     processor.pollAndProcess(Duration.ofMillis(500), record -> orders.insert(record.value()));
 * }
 * }</pre>
 *
 * <p>Not thread-safe: like its consumer, use it from the poll thread only.
 *
 * @param <K> record key type
 * @param <V> record value type
 */
public final class RecordProcessor<K, V> {
    private static final String[] MDC_KEYS = {
        KafkaHeaders.MESSAGE_ID,
        KafkaHeaders.TOPIC,
        KafkaHeaders.PARTITION,
        KafkaHeaders.OFFSET,
        KafkaHeaders.REQUEST_ID
    };

    private final Consumer<K, V> consumer;
    private final Instrumenter<KafkaProcessRequest, Void> processInstrumenter;
    private final Instrumenter<KafkaReceiveRequest, Void> batchInstrumenter;
    private final KafkaInstruments instruments;
    private final TelemetryFailures failures;
    private final Scrubber scrubber;
    private final RateLimitedLog poisonLog;
    private final boolean commitAfterPoll;
    private final String deadLetterTopic;
    private final Producer<byte[], byte[]> deadLetterProducer;
    private final Serializer<? super K> keySerializer;
    private final Serializer<? super V> valueSerializer;
    private final Duration deadLetterTimeout;
    private String group;
    private String clientId;

    private RecordProcessor(Builder<K, V> b) {
        this.consumer = b.consumer;
        this.processInstrumenter = b.kafka.processInstrumenter();
        this.batchInstrumenter = b.kafka.batchInstrumenter();
        this.instruments = b.kafka.instruments();
        this.failures = b.kafka.failures();
        this.scrubber = b.kafka.scrubber();
        this.poisonLog = new RateLimitedLog(b.kafka.logger(), b.poisonLogInterval.toNanos());
        this.commitAfterPoll = b.commitAfterPoll;
        this.deadLetterTopic = b.deadLetterTopic;
        this.deadLetterProducer = b.deadLetterProducer;
        this.keySerializer = b.keySerializer;
        this.valueSerializer = b.valueSerializer;
        this.deadLetterTimeout = b.deadLetterTimeout;
    }

    /**
     * Polls once (waiting at most {@code timeout}), processes each record with {@code handler} and,
     * unless {@link Builder#commitAfterPoll(boolean) turned off}, commits the processed offsets
     * synchronously (at-least-once). A record that cannot be deserialized is handled as a poison
     * record and skipped (the consumer seeks past it). The consumer's own exceptions (a failed
     * commit after a rebalance, wake-up, authorization) reach the caller unchanged.
     *
     * @return the number of records polled (poison records included)
     */
    public int pollAndProcess(Duration timeout, RecordHandler<K, V> handler) {
        ConsumerRecords<K, V> records;
        try {
            records = consumer.poll(timeout);
        } catch (RecordDeserializationException e) {
            undeserializable(e);
            return 1;
        }
        process(records, handler);
        commit(records);
        return records.count();
    }

    /**
     * Like {@link #pollAndProcess} but hands the records of each topic to {@code handler} at once,
     * in one span linked to every record's producer span.
     *
     * @return the number of records polled (poison records included)
     */
    public int pollAndProcessBatch(Duration timeout, BatchHandler<K, V> handler) {
        ConsumerRecords<K, V> records;
        try {
            records = consumer.poll(timeout);
        } catch (RecordDeserializationException e) {
            undeserializable(e);
            return 1;
        }
        processBatch(records, handler);
        commit(records);
        return records.count();
    }

    /** Processes every record of {@code records} in order, one span each; commits nothing. */
    public void process(ConsumerRecords<K, V> records, RecordHandler<K, V> handler) {
        for (ConsumerRecord<K, V> record : records) {
            process(record, handler);
        }
    }

    /**
     * Processes one record: its span (the producer's span as parent), the MDC fields while {@code
     * handler} runs, the metrics; a poison record is counted, logged and dead-lettered.
     *
     * @return whether {@code handler} succeeded
     */
    public boolean process(ConsumerRecord<K, V> record, RecordHandler<K, V> handler) {
        Attributes labels = consumedLabels(record.topic(), 1);
        count(instruments.consumed, 1, labels);
        ConsumerSpan<KafkaProcessRequest> span =
                startSpan(processInstrumenter, () -> KafkaProcessRequest.create(record, group(), clientId()));
        long start = System.nanoTime();
        Exception error = null;
        String[] previous = bindMdc(record);
        try (Scope ignored = span.makeCurrent()) {
            try {
                handler.handle(record);
            } catch (Exception e) {
                error = e;
            }
            finished(labels, start, 1, error);
            if (error != null) {
                poison(record, errorType(error), error);
            }
        } finally {
            restoreMdc(previous);
        }
        endSpan(span, error);
        return error == null;
    }

    /**
     * Hands the records of each topic of {@code records} to {@code handler} at once, in one span per
     * topic linked to each record's producer span; if the handler throws, every record of that call
     * is a poison record. Commits nothing.
     */
    public void processBatch(ConsumerRecords<K, V> records, BatchHandler<K, V> handler) {
        Map<String, Map<TopicPartition, List<ConsumerRecord<K, V>>>> byTopic = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            byTopic.computeIfAbsent(tp.topic(), t -> new HashMap<>()).put(tp, records.records(tp));
        }
        for (var e : byTopic.entrySet()) {
            ConsumerRecords<K, V> topicRecords = new ConsumerRecords<>(e.getValue(), Map.of());
            List<ConsumerRecord<K, V>> list = new ArrayList<>(topicRecords.count());
            topicRecords.forEach(list::add);
            processTopicBatch(e.getKey(), topicRecords, list, handler);
        }
    }

    private void processTopicBatch(
            String topic, ConsumerRecords<K, V> records, List<ConsumerRecord<K, V>> list, BatchHandler<K, V> handler) {
        Attributes labels = consumedLabels(topic, list.size());
        count(instruments.consumed, list.size(), labels);
        ConsumerSpan<KafkaReceiveRequest> span =
                startSpan(batchInstrumenter, () -> KafkaReceiveRequest.create(records, group(), clientId()));
        long start = System.nanoTime();
        Exception error = null;
        String previousTopic = MDC.get(KafkaHeaders.TOPIC);
        MDC.put(KafkaHeaders.TOPIC, topic);
        try (Scope ignored = span.makeCurrent()) {
            try {
                handler.handle(List.copyOf(list));
            } catch (Exception e) {
                error = e;
            }
            finished(labels, start, list.size(), error);
            if (error != null) {
                for (ConsumerRecord<K, V> record : list) {
                    String[] previous = bindMdc(record);
                    try {
                        poison(record, errorType(error), error);
                    } finally {
                        restoreMdc(previous);
                    }
                }
            }
        } finally {
            if (previousTopic == null) {
                MDC.remove(KafkaHeaders.TOPIC);
            } else {
                MDC.put(KafkaHeaders.TOPIC, previousTopic);
            }
        }
        endSpan(span, error);
    }

    /**
     * A consumer span of either kind (one record's process span, one topic batch's span): its
     * instrumenter, its request and its context, or no context when it was not started.
     */
    private record ConsumerSpan<R>(Instrumenter<R, Void> instrumenter, R request, Context context) {
        Scope makeCurrent() {
            return context != null ? context.makeCurrent() : Scope.noop();
        }
    }

    /**
     * Starts a span under the current context when the instrumenter wants one; a failure to build
     * the request or start the span is counted and the record is processed without a span.
     */
    private <R> ConsumerSpan<R> startSpan(Instrumenter<R, Void> instrumenter, Supplier<R> request) {
        R r = null;
        Context context = null;
        try {
            r = request.get();
            Context parent = Context.current();
            if (instrumenter.shouldStart(parent, r)) {
                context = instrumenter.start(parent, r);
            }
        } catch (RuntimeException e) {
            failures.failed("consumer span", e);
        }
        return new ConsumerSpan<>(instrumenter, r, context);
    }

    /** Ends {@code span} (if it was started) with {@code error}; a failure to end it is counted, never thrown. */
    private <R> void endSpan(ConsumerSpan<R> span, Exception error) {
        if (span.context() == null) {
            return;
        }
        try {
            // The handler's exception is recorded scrubbed: its message may quote the record it refused.
            span.instrumenter()
                    .end(
                            ScrubbedExceptions.recordingScrubbed(span.context(), error, scrubber),
                            span.request(),
                            null,
                            error);
        } catch (RuntimeException e) {
            failures.failed("consumer span", e);
        }
    }

    private void finished(Attributes labels, long start, int count, Exception error) {
        try {
            instruments.processingDuration.record(KafkaInstruments.secondsSince(start), labels);
            instruments.processed.add(
                    count,
                    labels.toBuilder()
                            .put(KafkaInstruments.STATUS, error == null ? "success" : "error")
                            .build());
        } catch (RuntimeException e) {
            failures.failed("consumer metrics", e);
        }
    }

    private void count(io.opentelemetry.api.metrics.LongCounter counter, long n, Attributes labels) {
        try {
            counter.add(n, labels);
        } catch (RuntimeException e) {
            failures.failed("consumer metrics", e);
        }
    }

    private void poison(ConsumerRecord<K, V> record, String errorType, Exception error) {
        count(
                instruments.errors,
                1,
                labels(record.topic()).toBuilder()
                        .put(KafkaInstruments.ERROR_TYPE, errorType)
                        .build());
        poisonLog.warn(
                "Poison record skipped",
                error,
                "event_type",
                "consumer_poison_record",
                "error_type",
                errorType,
                "dead_letter_topic",
                deadLetterTopic);
        if (deadLetterTopic == null) {
            return;
        }
        byte[] key;
        byte[] value;
        try {
            key = record.key() == null ? null : keySerializer.serialize(record.topic(), record.key());
            value = record.value() == null ? null : valueSerializer.serialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            deadLettered(record.topic(), e);
            return;
        }
        deadLetter(record.topic(), record.partition(), record.offset(), key, value, record.headers(), errorType);
    }

    private void undeserializable(RecordDeserializationException e) {
        TopicPartition tp = e.topicPartition();
        // Past the bad record, or the next poll would throw again forever.
        consumer.seek(tp, e.offset() + 1);
        Attributes labels = consumedLabels(tp.topic(), 1);
        count(instruments.consumed, 1, labels);
        count(
                instruments.processed,
                1,
                labels.toBuilder().put(KafkaInstruments.STATUS, "error").build());
        count(
                instruments.errors,
                1,
                labels.toBuilder()
                        .put(KafkaInstruments.ERROR_TYPE, "deserialization")
                        .build());
        String[] previous = bindMdc(tp.topic(), tp.partition(), e.offset(), null, null);
        try {
            poisonLog.warn(
                    "Undeserializable record skipped",
                    e,
                    "event_type",
                    "consumer_poison_record",
                    "error_type",
                    "deserialization",
                    "dead_letter_topic",
                    deadLetterTopic);
            if (deadLetterTopic != null) {
                deadLetter(
                        tp.topic(),
                        tp.partition(),
                        e.offset(),
                        bytes(e.keyBuffer()),
                        bytes(e.valueBuffer()),
                        e.headers(),
                        "deserialization");
            }
        } finally {
            restoreMdc(previous);
        }
        if (commitAfterPoll) {
            try {
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(e.offset() + 1)));
            } catch (RuntimeException commitFailure) {
                // The next successful commit covers it; the record is skipped either way.
                poisonLog.warn("Commit past an undeserializable record failed", commitFailure);
            }
        }
    }

    private void deadLetter(
            String topic,
            int partition,
            long offset,
            byte[] key,
            byte[] value,
            org.apache.kafka.common.header.Headers original,
            String errorType) {
        RecordHeaders headers = new RecordHeaders();
        if (original != null) {
            original.forEach(headers::add);
        }
        headers.add(KafkaHeaders.DLT_ORIGINAL_TOPIC, utf8(topic));
        headers.add(KafkaHeaders.DLT_ORIGINAL_PARTITION, utf8(Integer.toString(partition)));
        headers.add(KafkaHeaders.DLT_ORIGINAL_OFFSET, utf8(Long.toString(offset)));
        headers.add(KafkaHeaders.DLT_ERROR_TYPE, utf8(errorType));
        try {
            // Waited for (bounded), so the poison record's offset is committed only once it is safe
            // in the dead-letter topic; a failure is counted and the record is skipped all the same.
            deadLetterProducer
                    .send(new ProducerRecord<>(deadLetterTopic, null, key, value, headers))
                    .get(deadLetterTimeout.toMillis(), TimeUnit.MILLISECONDS);
            deadLettered(topic, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            deadLettered(topic, e);
        } catch (Exception e) {
            deadLettered(topic, e);
        }
    }

    private void deadLettered(String topic, Exception error) {
        count(
                instruments.deadLettered,
                1,
                labels(topic).toBuilder()
                        .put(KafkaInstruments.STATUS, error == null ? "success" : "error")
                        .build());
        if (error != null) {
            poisonLog.warn(
                    "Dead-lettering failed; the poison record is skipped", error, "dead_letter_topic", deadLetterTopic);
        }
    }

    private void commit(ConsumerRecords<K, V> records) {
        if (!commitAfterPoll || records.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<K, V>> list = records.records(tp);
            offsets.put(tp, new OffsetAndMetadata(list.getLast().offset() + 1));
        }
        consumer.commitSync(offsets);
    }

    // The topic label bounded as the producer's (VigilKafka.Builder.maxTopics); spans and the MDC keep the real topic.
    private Attributes labels(String topic) {
        return consumedLabels(topic, 0);
    }

    // The labels of `records` consumed now: those past the topic bound are counted as overflow here, once.
    private Attributes consumedLabels(String topic, long records) {
        return KafkaInstruments.topicGroup(instruments.consumerTopic(topic, records), group());
    }

    private String group() {
        if (group == null) {
            String g;
            try {
                g = consumer.groupMetadata().groupId();
            } catch (RuntimeException e) {
                g = null;
            }
            group = g == null || g.isEmpty() ? "none" : g;
        }
        return group;
    }

    private String clientId() {
        if (clientId == null) {
            String id = null;
            try {
                id = KafkaUtil.getClientId(consumer);
            } catch (RuntimeException e) {
                failures.failed("consumer client id", e);
            }
            clientId = id == null ? "" : id;
        }
        return clientId.isEmpty() ? null : clientId;
    }

    private String[] bindMdc(ConsumerRecord<K, V> record) {
        // Ids only as the contract takes them (Headers.id): a header that is not one is not bound.
        String messageId = Headers.id(record.headers(), KafkaHeaders.MESSAGE_ID);
        if (messageId == null) {
            messageId = record.topic() + "-" + record.partition() + "@" + record.offset();
        }
        return bindMdc(
                record.topic(),
                record.partition(),
                record.offset(),
                messageId,
                Headers.id(record.headers(), KafkaHeaders.REQUEST_ID));
    }

    /** Binds the record's fields and returns the values they replaced. */
    private static String[] bindMdc(String topic, int partition, long offset, String messageId, String requestId) {
        String[] previous = new String[MDC_KEYS.length];
        for (int i = 0; i < MDC_KEYS.length; i++) {
            previous[i] = MDC.get(MDC_KEYS[i]);
        }
        put(KafkaHeaders.MESSAGE_ID, messageId);
        put(KafkaHeaders.TOPIC, topic);
        put(KafkaHeaders.PARTITION, Integer.toString(partition));
        put(KafkaHeaders.OFFSET, Long.toString(offset));
        put(KafkaHeaders.REQUEST_ID, requestId);
        return previous;
    }

    private static void restoreMdc(String[] previous) {
        for (int i = 0; i < MDC_KEYS.length; i++) {
            put(MDC_KEYS[i], previous[i]);
        }
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    private static String errorType(Exception e) {
        return e.getClass().getSimpleName().isEmpty()
                ? e.getClass().getName()
                : e.getClass().getSimpleName();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /**
     * Configures a {@link RecordProcessor}; from {@link VigilKafka#processor(Consumer)}. Not
     * thread-safe.
     */
    public static final class Builder<K, V> {
        private final VigilKafka kafka;
        private final Consumer<K, V> consumer;
        private boolean commitAfterPoll = true;
        private String deadLetterTopic;
        private Producer<byte[], byte[]> deadLetterProducer;
        private Serializer<? super K> keySerializer;
        private Serializer<? super V> valueSerializer;
        private Duration deadLetterTimeout = Duration.ofSeconds(10);
        private Duration poisonLogInterval = Duration.ofSeconds(5);

        Builder(VigilKafka kafka, Consumer<K, V> consumer) {
            this.kafka = kafka;
            this.consumer = Objects.requireNonNull(consumer, "consumer");
        }

        /**
         * Whether {@code pollAndProcess} commits the polled offsets synchronously after processing
         * them (default {@code true}: at-least-once). Off, the application commits.
         */
        public Builder<K, V> commitAfterPoll(boolean commitAfterPoll) {
            this.commitAfterPoll = commitAfterPoll;
            return this;
        }

        /**
         * Sends poison records to {@code topic} through {@code producer} (a byte-array producer the
         * caller owns and closes), re-encoding keys and values with the given serializers; records
         * that could not be deserialized are sent as the broker delivered them. Dead-lettered
         * records keep their headers and get the {@code dlt_*} ones ({@link KafkaHeaders}). Default:
         * none (poison records are counted, logged and skipped).
         */
        public Builder<K, V> deadLetterTopic(
                String topic,
                Producer<byte[], byte[]> producer,
                Serializer<? super K> keySerializer,
                Serializer<? super V> valueSerializer) {
            this.deadLetterTopic = Objects.requireNonNull(topic, "topic");
            this.deadLetterProducer = Objects.requireNonNull(producer, "producer");
            this.keySerializer = Objects.requireNonNull(keySerializer, "keySerializer");
            this.valueSerializer = Objects.requireNonNull(valueSerializer, "valueSerializer");
            return this;
        }

        /** How long one dead-letter send may take before it counts as failed (default 10 s). */
        public Builder<K, V> deadLetterTimeout(Duration timeout) {
            this.deadLetterTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** At most one poison-record log line per this interval (default 5 s); all are counted. */
        public Builder<K, V> poisonLogInterval(Duration interval) {
            this.poisonLogInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /** The processor. */
        public RecordProcessor<K, V> build() {
            return new RecordProcessor<>(this);
        }
    }
}
