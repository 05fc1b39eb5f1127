package io.vigil.kafka;

import java.util.List;
import java.util.Objects;

/**
 * Every metric vigil-kafka emits, with its type and labels, so dashboards and alerts can be
 * generated from code (as vigil-dashboards does from {@code PlatformMetrics} and the operation
 * kinds). Names are Prometheus exposition names. The consumer metrics are the telemetry contract's;
 * the producer metrics follow the contract's style for application metrics (no {@code vigil_}
 * prefix). OpenTelemetry's messaging semantic-convention metrics ({@code messaging_*}) come on top,
 * from the instrumentation library.
 */
public final class KafkaCatalogue {
    /** The metric types used here. */
    public enum Type {
        COUNTER,
        HISTOGRAM,
        GAUGE
    }

    /**
     * One metric.
     *
     * @param name Prometheus exposition name ({@code *_total} counters, {@code *_seconds} histograms)
     * @param type its type
     * @param description help text
     * @param labels its labels, all with bounded values
     */
    public record Instrument(String name, Type type, String description, List<String> labels) {
        /** Validates the components; {@code labels} is copied. */
        public Instrument {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(description, "description");
            labels = List.copyOf(labels);
        }
    }

    /** Records handed to a handler (before processing). */
    public static final Instrument CONSUMED = new Instrument(
            "consumer_messages_consumed_total", Type.COUNTER, "Messages consumed", List.of("topic", "group"));
    /** Records processed, by {@code status}: {@code success} or {@code error}. */
    public static final Instrument PROCESSED = new Instrument(
            "consumer_messages_processed_total",
            Type.COUNTER,
            "Messages processed by outcome",
            List.of("topic", "group", "status"));
    /** Time a handler took for one record, or for one batch. */
    public static final Instrument PROCESSING_DURATION = new Instrument(
            "consumer_processing_duration_seconds",
            Type.HISTOGRAM,
            "Message processing duration",
            List.of("topic", "group"));
    /**
     * Poison records by {@code error_type}: the handler's exception class (simple name) or {@code
     * deserialization}.
     */
    public static final Instrument ERRORS = new Instrument(
            "consumer_errors_total",
            Type.COUNTER,
            "Message processing errors by exception type",
            List.of("topic", "group", "error_type"));
    /** Poison records written to the dead-letter topic, by {@code status} ({@code success}, {@code error}). */
    public static final Instrument DEAD_LETTERED = new Instrument(
            "consumer_dead_lettered_total",
            Type.COUNTER,
            "Poison messages sent to the dead-letter topic",
            List.of("topic", "group", "status"));
    /** Time of one write to the consumer's sink, measured around the application's own call. */
    public static final Instrument SINK_INSERT_DURATION = new Instrument(
            "consumer_sink_insert_duration_seconds",
            Type.HISTOGRAM,
            "Time to write a processed message to its sink",
            List.of("sink"));
    /** End offset minus committed offset per partition, refreshed in the background. */
    public static final Instrument LAG = new Instrument(
            "consumer_lag", Type.GAUGE, "Messages not yet consumed", List.of("topic", "partition", "group"));
    /** Failed refreshes of {@link #LAG} (the broker or the group could not be read). */
    public static final Instrument LAG_ERRORS = new Instrument(
            "consumer_lag_refresh_errors_total", Type.COUNTER, "Failed consumer lag refreshes", List.of("group"));
    /** Records handed to the producer. */
    public static final Instrument SENT =
            new Instrument("producer_messages_sent_total", Type.COUNTER, "Messages sent", List.of("topic", "status"));
    /** Failed sends by {@code error_type} (the exception's simple class name). */
    public static final Instrument SEND_ERRORS = new Instrument(
            "producer_errors_total",
            Type.COUNTER,
            "Message send errors by exception type",
            List.of("topic", "error_type"));
    /** Time from {@code send} to the broker's acknowledgement (or failure). */
    public static final Instrument SEND_DURATION = new Instrument(
            "producer_send_duration_seconds", Type.HISTOGRAM, "Time from send to acknowledgement", List.of("topic"));

    private static final List<Instrument> ALL = List.of(
            CONSUMED,
            PROCESSED,
            PROCESSING_DURATION,
            ERRORS,
            DEAD_LETTERED,
            SINK_INSERT_DURATION,
            LAG,
            LAG_ERRORS,
            SENT,
            SEND_ERRORS,
            SEND_DURATION);

    private KafkaCatalogue() {}

    /** Every instrument, consumer's first. */
    public static List<Instrument> instruments() {
        return ALL;
    }
}
