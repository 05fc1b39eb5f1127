package io.vigil.kafka.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.vigil.kafka.KafkaCatalogue;
import java.util.List;

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

    public KafkaInstruments(Meter meter) {
        this.meter = meter;
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
