package io.vigil.kafka.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.vigil.core.internal.FirstSeenValues;
import io.vigil.kafka.KafkaCatalogue;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * The OpenTelemetry instruments of {@link KafkaCatalogue}, created once per {@code VigilKafka}.
 * Histograms are named without {@code _seconds} and carry unit {@code s} (the Prometheus exporter
 * appends the suffix), as vigil-core's operation histograms.
 *
 * <p>This class is internal and may change without notice.
 */
public final class KafkaInstruments {
    public static final AttributeKey<String> TOPIC = AttributeKey.stringKey("topic");
    public static final AttributeKey<String> GROUP = AttributeKey.stringKey("group");
    public static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error_type");
    public static final AttributeKey<String> PARTITION = AttributeKey.stringKey("partition");
    public static final AttributeKey<String> SINK = AttributeKey.stringKey("sink");
    /**
     * The {@code topic} of producer sends and consumed records past the bound of distinct topics, as vigil-http's
     * {@code endpoint}.
     */
    public static final String OTHER_TOPIC = FirstSeenValues.OTHER;
    /**
     * Producer sends, consumer-side records (and dead-letterings) and {@code consumer_lag} readings recorded under
     * {@link #OTHER_TOPIC}.
     */
    public static final String TOPIC_OVERFLOW = "vigil_kafka_topic_overflow_total";

    private static final List<Double> SECONDS_BUCKETS =
            List.of(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);

    public final LongCounter consumed;
    public final LongCounter processed;
    public final DoubleHistogram processingDuration;
    public final LongCounter errors;
    public final LongCounter deadLettered;
    public final DoubleHistogram sinkInsertDuration;
    public final LongCounter lagErrors;
    public final LongCounter sent;
    public final LongCounter sendErrors;
    public final DoubleHistogram sendDuration;
    public final Meter meter;
    private final Logger log;
    private final int maxTopics;
    private final FirstSeenValues producerTopics;
    private final FirstSeenValues consumerTopics;
    private final LongAdder topicOverflows = new LongAdder();
    private final AtomicBoolean producerOverflowWarned = new AtomicBoolean();
    private final AtomicBoolean consumerOverflowWarned = new AtomicBoolean();

    /**
     * @param maxTopics distinct {@code topic} values of the producer metrics, and again of the consumer metrics; sends
     *     to and records from further topics are recorded as {@link #OTHER_TOPIC} and counted in {@link
     *     #TOPIC_OVERFLOW}
     * @param log where the one warning of the first overflow goes
     */
    public KafkaInstruments(Meter meter, int maxTopics, Logger log) {
        this.meter = meter;
        this.maxTopics = maxTopics;
        this.producerTopics = new FirstSeenValues(maxTopics);
        this.consumerTopics = new FirstSeenValues(maxTopics);
        this.log = log;
        consumed = counter(meter, KafkaCatalogue.CONSUMED);
        processed = counter(meter, KafkaCatalogue.PROCESSED);
        processingDuration = histogram(meter, KafkaCatalogue.PROCESSING_DURATION);
        errors = counter(meter, KafkaCatalogue.ERRORS);
        deadLettered = counter(meter, KafkaCatalogue.DEAD_LETTERED);
        sinkInsertDuration = histogram(meter, KafkaCatalogue.SINK_INSERT_DURATION);
        lagErrors = counter(meter, KafkaCatalogue.LAG_ERRORS);
        sent = counter(meter, KafkaCatalogue.SENT);
        sendErrors = counter(meter, KafkaCatalogue.SEND_ERRORS);
        sendDuration = histogram(meter, KafkaCatalogue.SEND_DURATION);
        // As vigil_http_endpoint_overflow_total: a diagnostic that appears once there is something to say.
        meter.counterBuilder(TOPIC_OVERFLOW)
                .setDescription("Producer sends, consumed records and consumer lag readings whose topic was recorded"
                        + " as 'other' because too many distinct topics were seen")
                .buildWithCallback(m -> {
                    long n = topicOverflows.sum();
                    if (n > 0) {
                        m.record(n);
                    }
                });
    }

    /**
     * The {@code topic} label of one producer send: {@code topic} while at most {@code maxTopics} distinct topics have
     * been seen, else {@link #OTHER_TOPIC}, counted. Topics a service produces to are usually a few constants; one
     * named from data (a topic per tenant, say) would otherwise grow a series per value up to the SDK's cap, which
     * then drops whole metrics.
     */
    public String producerTopic(String topic) {
        return bounded(producerTopics, producerOverflowWarned, topic, 1, "produced to", "producer");
    }

    /**
     * The {@code topic} label of the consumer metrics for one record (or one topic's batch, or one dead-lettering):
     * {@code topic} while at most {@code maxTopics} distinct topics have been seen on the consumer side, else {@link
     * #OTHER_TOPIC}; {@code records} (the records consumed, 0 for a further label of records already counted) are
     * added to {@link #TOPIC_OVERFLOW}, so each consumed record past the bound counts once. A pattern subscription ({@code subscribe(Pattern)}) follows topics as they
     * are created, so the topics a consumer reads are not a fixed few; bounded apart from the producer's, so a service
     * producing to many topics does not push the ones it consumes into {@code other}.
     */
    public String consumerTopic(String topic, long records) {
        return bounded(consumerTopics, consumerOverflowWarned, topic, records, "consumed from", "consumer");
    }

    /**
     * The {@code topic} label of one {@code consumer_lag} reading (one partition at one refresh): the consumer side's
     * bound, so a topic is named alike in the lag and in the consumer metrics (the group's committed offsets may span
     * more topics than the bound when it follows a pattern subscription); a reading past it is recorded as {@link
     * #OTHER_TOPIC} and counts once in {@link #TOPIC_OVERFLOW}, so a lag monitor alone still says it overflowed.
     */
    public String lagTopic(String topic) {
        return consumerTopic(topic, 1);
    }

    /**
     * {@code topic} when {@code seen} admits it, else {@link #OTHER_TOPIC} with {@code overflowing} added to {@link
     * #TOPIC_OVERFLOW} and, the first time on this side, one warning.
     */
    private String bounded(
            FirstSeenValues seen, AtomicBoolean warned, String topic, long overflowing, String verb, String side) {
        String admitted = seen.admit(topic);
        if (admitted != null) {
            return admitted;
        }
        topicOverflows.add(overflowing);
        if (warned.compareAndSet(false, true)) {
            log.warn(
                    "More than {} distinct Kafka topics {}; further ones are recorded as topic=\"{}\" in the {} metrics"
                            + " and counted in {}",
                    maxTopics,
                    verb,
                    OTHER_TOPIC,
                    side,
                    TOPIC_OVERFLOW);
        }
        return OTHER_TOPIC;
    }

    private static LongCounter counter(Meter meter, KafkaCatalogue.Instrument i) {
        return meter.counterBuilder(i.name()).setDescription(i.description()).build();
    }

    private static DoubleHistogram histogram(Meter meter, KafkaCatalogue.Instrument i) {
        return meter.histogramBuilder(i.name().substring(0, i.name().length() - "_seconds".length()))
                .setDescription(i.description())
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS)
                .build();
    }

    /** Seconds since {@code startNanos} ({@link System#nanoTime()}). */
    public static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** {@code topic} and {@code group} labels. */
    public static Attributes topicGroup(String topic, String group) {
        return Attributes.of(TOPIC, topic, GROUP, group);
    }
}
