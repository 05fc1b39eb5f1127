package io.vigil.kafka;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.api.instrumenter.AttributesExtractor;
import io.opentelemetry.instrumentation.api.instrumenter.Instrumenter;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaInstrumenterFactory;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaProcessRequest;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaProducerRequest;
import io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal.KafkaReceiveRequest;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.kafka.internal.Headers;
import io.vigil.kafka.internal.KafkaInstruments;
import io.vigil.kafka.internal.ProducerWrapper;
import io.vigil.kafka.internal.ScrubbedMessageKey;
import io.vigil.kafka.internal.TelemetryFailures;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka telemetry on a {@link Vigil} runtime, built on OpenTelemetry's kafka-clients
 * instrumentation (its instrumenters give the spans their messaging semantic conventions):
 *
 * <ul>
 *   <li>{@link #producer(Producer)}: a {@code PRODUCER} span per send whose W3C trace context goes
 *       into the record's headers, with the {@code message_id} and {@code request_id} headers
 *       ({@link KafkaHeaders}) and {@code producer_*} metrics;
 *   <li>{@link #processor(Consumer)}: per-record (or per-batch) {@code CONSUMER} spans continuing
 *       that trace in the consuming process, the contract's {@code consumer_*} metrics, the record's
 *       MDC fields and poison-record handling ({@link RecordProcessor});
 *   <li>{@link #lagMonitor}: {@code consumer_lag} in the background;
 *   <li>{@link #sinkInsert}: {@code consumer_sink_insert_duration_seconds} around the application's
 *       own write.
 * </ul>
 *
 * <pre>{@code
 * VigilKafka kafka = VigilKafka.create(vigil);
 * Producer<String, String> producer = kafka.producer(new KafkaProducer<>(props));
 * RecordProcessor<String, String> processor = kafka.processor(new KafkaConsumer<>(consumerProps)).build();
 * }</pre>
 *
 * A telemetry failure never fails a send or a record: it is logged once and skipped. Thread-safe;
 * create one per runtime. The instruments are listed by {@link KafkaCatalogue}.
 */
public final class VigilKafka {
    /** Distinct topics in the producer metrics, and in the consumer metrics, by default ({@link Builder#maxTopics}). */
    public static final int DEFAULT_MAX_TOPICS = 100;

    private static final String INSTRUMENTATION_NAME = "io.vigil.kafka";
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");

    private final OpenTelemetry openTelemetry;
    private final boolean enabled;
    private final Logger logger;
    private final KafkaInstruments instruments;
    private final TelemetryFailures failures;
    private final Instrumenter<KafkaProducerRequest, RecordMetadata> producerInstrumenter;
    private final Instrumenter<KafkaProcessRequest, Void> processInstrumenter;
    private final Instrumenter<KafkaReceiveRequest, Void> batchInstrumenter;
    private final Scrubber scrubber;

    private VigilKafka(Builder b) {
        this.openTelemetry = b.openTelemetry;
        this.enabled = b.enabled;
        this.logger = b.loggerFactory.getLogger("vigil.kafka");
        this.instruments = new KafkaInstruments(openTelemetry.getMeter(INSTRUMENTATION_NAME), b.maxTopics, logger);
        this.failures = new TelemetryFailures(logger);
        this.scrubber = b.scrubber;
        KafkaInstrumenterFactory factory = new KafkaInstrumenterFactory(openTelemetry, INSTRUMENTATION_NAME)
                // Process spans take the producer's context as parent (not a receive span's).
                .setMessagingReceiveTelemetryEnabled(false);
        this.producerInstrumenter = factory.createProducerInstrumenter(
                List.of(new ScrubbedMessageKey<>(b.scrubber, r -> r.getRecord().key())));
        this.processInstrumenter = factory.createConsumerProcessInstrumenter(List.of(
                new MessageIdExtractor(),
                new ScrubbedMessageKey<>(b.scrubber, r -> r.getRecord().key())));
        this.batchInstrumenter = factory.createBatchProcessInstrumenter();
    }

    /** Kafka telemetry on {@code vigil}'s OpenTelemetry and logger factory. */
    public static VigilKafka create(Vigil vigil) {
        return builder(vigil).build();
    }

    /**
     * Starts configuring Kafka telemetry on {@code vigil}'s OpenTelemetry, logger factory and scrubber (with
     * observability off, its producers are the delegates themselves), for settings such as {@link Builder#maxTopics}.
     */
    public static Builder builder(Vigil vigil) {
        Builder b = builder(vigil.openTelemetry())
                .loggerFactory(vigil.loggerFactory())
                .scrubber(vigil.operations().scrubber());
        b.enabled = vigil.config().enabled();
        return b;
    }

    /** Kafka telemetry on any {@link OpenTelemetry}; logs through SLF4J unless told otherwise. */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /**
     * {@code delegate} with telemetry on every {@code send}; every other method is the delegate's
     * own. Closing the returned producer closes {@code delegate}. With observability off (a runtime
     * with {@code ENABLE_OBSERVABILITY=false}) it is {@code delegate} itself.
     */
    public <K, V> Producer<K, V> producer(Producer<K, V> delegate) {
        if (!enabled) {
            // Not a no-op wrapper: its instrumenter would still put a (non-recording) producer span into each send's
            // context, and another Kafka instrumentation (the OpenTelemetry Java agent's, which shares that span key
            // through its instrumentation-API bridge) would then take the send as nested and make no span of its own
            // — as vigil-jdbc's no-op wrapper did to the agent's JDBC spans (bench/README).
            return Objects.requireNonNull(delegate, "delegate");
        }
        return ProducerWrapper.wrap(
                Objects.requireNonNull(delegate, "delegate"),
                producerInstrumenter,
                openTelemetry,
                instruments,
                failures,
                scrubber);
    }

    /** Starts configuring a {@link RecordProcessor} for records polled from {@code consumer}. */
    public <K, V> RecordProcessor.Builder<K, V> processor(Consumer<K, V> consumer) {
        return new RecordProcessor.Builder<>(this, consumer);
    }

    /**
     * Starts measuring {@code consumer_lag} of consumer group {@code group} every {@code interval}
     * (15 s suits a Prometheus scrape), with an Admin client built from {@code adminConfig} (at
     * least {@code bootstrap.servers}; the consumer's properties do). Close the monitor at shutdown.
     */
    public ConsumerLagMonitor lagMonitor(Map<String, Object> adminConfig, String group, Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        return new ConsumerLagMonitor(
                instruments,
                logger,
                Objects.requireNonNull(adminConfig, "adminConfig"),
                Objects.requireNonNull(group, "group"),
                interval);
    }

    /**
     * Runs {@code write} — the application's write of processed records to {@code sink} (a short
     * constant such as {@code postgres}) — and records its duration in {@code
     * consumer_sink_insert_duration_seconds{sink}}, whether it succeeds or throws.
     */
    public <T, E extends Exception> T sinkInsert(String sink, SinkWrite<T, E> write) throws E {
        long start = System.nanoTime();
        try {
            return write.write();
        } finally {
            try {
                instruments.sinkInsertDuration.record(
                        KafkaInstruments.secondsSince(start), Attributes.of(KafkaInstruments.SINK, sink));
            } catch (RuntimeException e) {
                failures.failed("sink metrics", e);
            }
        }
    }

    /** A write to the consumer's sink, timed by {@link #sinkInsert}. */
    @FunctionalInterface
    public interface SinkWrite<T, E extends Exception> {
        /** Writes and returns what the caller needs (or {@code null}). */
        T write() throws E;
    }

    Instrumenter<KafkaProcessRequest, Void> processInstrumenter() {
        return processInstrumenter;
    }

    Instrumenter<KafkaReceiveRequest, Void> batchInstrumenter() {
        return batchInstrumenter;
    }

    Scrubber scrubber() {
        return scrubber;
    }

    KafkaInstruments instruments() {
        return instruments;
    }

    TelemetryFailures failures() {
        return failures;
    }

    Logger logger() {
        return logger;
    }

    /** {@code messaging.message.id} from the {@code message_id} header the producer wrapper adds. */
    private static final class MessageIdExtractor implements AttributesExtractor<KafkaProcessRequest, Void> {
        @Override
        public void onStart(AttributesBuilder attributes, Context parentContext, KafkaProcessRequest request) {
            String id = Headers.id(request.getRecord().headers(), KafkaHeaders.MESSAGE_ID);
            if (id != null) {
                attributes.put(MESSAGE_ID, id);
            }
        }

        @Override
        public void onEnd(
                AttributesBuilder attributes,
                Context context,
                KafkaProcessRequest request,
                Void response,
                Throwable error) {}
    }

    /** Configures a {@link VigilKafka}. Not thread-safe. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();
        private Scrubber scrubber = Scrubber.defaults();
        private boolean enabled = true; // false only from a runtime with observability off (create)
        private int maxTopics = DEFAULT_MAX_TOPICS;

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        }

        /** Where vigil-kafka's own log lines go (logger {@code vigil.kafka}); default SLF4J's. */
        public Builder loggerFactory(ILoggerFactory loggerFactory) {
            this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
            return this;
        }

        /**
         * Privacy rules for what the spans keep of a record (its key) and of an exception (its message and stack
         * trace); default the contract's.
         */
        public Builder scrubber(Scrubber scrubber) {
            this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
            return this;
        }

        /**
         * Most distinct {@code topic} label values of the producer metrics ({@code producer_messages_sent_total},
         * {@code producer_errors_total}, {@code producer_send_duration_seconds}), and, counted apart, of the consumer
         * metrics of this instance's {@link RecordProcessor}s ({@code consumer_messages_consumed_total}, {@code
         * consumer_messages_processed_total}, {@code consumer_processing_duration_seconds}, {@code
         * consumer_errors_total}, dead-lettering) and of its {@link #lagMonitor lag monitors} ({@code consumer_lag}): a
         * pattern subscription follows topics as they are created. Default {@value VigilKafka#DEFAULT_MAX_TOPICS}.
         * Sends to, records from and lag readings of further topics are recorded as {@code topic="other"}, as vigil-http
         * records routes past its bound as {@code endpoint="other"}, and counted (per send, per consumed record, per lag
         * reading) in {@code vigil_kafka_topic_overflow_total}; one WARN line per side says so. Spans, the MDC and
         * {@link ConsumerLagMonitor#lags()} keep the real topic.
         */
        public Builder maxTopics(int maxTopics) {
            if (maxTopics < 1) {
                throw new IllegalArgumentException("maxTopics must be positive: " + maxTopics);
            }
            this.maxTopics = maxTopics;
            return this;
        }

        /** The Kafka telemetry. */
        public VigilKafka build() {
            return new VigilKafka(this);
        }
    }

    /**
     * Whether every entry of {@code servers} ({@code bootstrap.servers}, e.g. a service's {@code
     * KAFKA_BOOTSTRAP_SERVERS}) is a {@code host:port} Kafka's clients accept, checked without a DNS lookup: a service
     * can refuse a malformed value at start-up, naming its variable, instead of failing at its first send.
     */
    public static boolean bootstrapServersWellFormed(String servers) {
        for (String entry : servers.split(",", -1)) {
            String address = entry.strip();
            Integer port = org.apache.kafka.common.utils.Utils.getPort(address);
            if (org.apache.kafka.common.utils.Utils.getHost(address) == null || port == null || port > 65535) {
                return false;
            }
        }
        return true;
    }
}
