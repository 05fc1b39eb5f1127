package io.vigil.kafka;

/**
 * Record header names Vigil writes and reads, and the MDC keys a processed record binds.
 *
 * <p>The producer wrapper adds {@link #MESSAGE_ID} (a random UUID, unless the record already has
 * one) and {@link #REQUEST_ID} (the {@code request_id} of the sending thread's MDC, set by the HTTP
 * adapters for the request being served), beside OpenTelemetry's {@code traceparent}/{@code
 * tracestate}. Dead-lettered records carry the {@code dlt_*} headers.
 */
public final class KafkaHeaders {
    /** Header and MDC key: the message's id ({@code messaging.message.id} on spans). */
    public static final String MESSAGE_ID = "message_id";
    /** Header and MDC key: the correlation id of the request that produced the record. */
    public static final String REQUEST_ID = "request_id";
    /** MDC key: the record's topic. */
    public static final String TOPIC = "topic";
    /** MDC key: the record's partition. */
    public static final String PARTITION = "partition";
    /** MDC key: the record's offset. */
    public static final String OFFSET = "offset";
    /** Dead-letter header: the topic the poison record was read from. */
    public static final String DLT_ORIGINAL_TOPIC = "dlt_original_topic";
    /** Dead-letter header: its partition (decimal text). */
    public static final String DLT_ORIGINAL_PARTITION = "dlt_original_partition";
    /** Dead-letter header: its offset (decimal text). */
    public static final String DLT_ORIGINAL_OFFSET = "dlt_original_offset";
    /** Dead-letter header: why it was dead-lettered ({@code deserialization} or the exception's class name). */
    public static final String DLT_ERROR_TYPE = "dlt_error_type";

    private KafkaHeaders() {}
}
