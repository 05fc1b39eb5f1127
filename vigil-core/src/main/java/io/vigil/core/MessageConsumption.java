package io.vigil.core;

import static io.vigil.core.OperationKind.Trigger.END;
import static io.vigil.core.OperationKind.Trigger.ERROR;
import static io.vigil.core.OperationKind.Trigger.START;

/**
 * Processing of one consumed message: span {@code process <destination>}, {@code
 * consumer_messages_consumed_total}, {@code consumer_messages_processed_total{status}}, {@code
 * consumer_processing_duration_seconds}, {@code consumer_errors_total{error_type}} and a log event
 * with {@code event_type=consumer}.
 */
public final class MessageConsumption {
    public static final OperationKind KIND = OperationKind.builder("message_consumption")
            .eventType("consumer")
            .spanName(op -> "process " + op.name())
            .outcome("status", "messaging.process.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("messaging.process.failure_reason", java.util.Set.of("invalid_message", "duplicate"))
            .durationSpanAttribute("messaging.process.duration_seconds")
            .counter("consumer_messages_consumed_total", "Messages consumed", START)
            .counter("consumer_messages_processed_total", "Messages processed by outcome", END, "status")
            .durationHistogram("consumer_processing_duration_seconds", "Message processing duration")
            .counter("consumer_errors_total", "Message processing errors by exception type", ERROR, "error_type")
            .build();

    private MessageConsumption() {}

    /** Processing of messages from {@code destination} (a topic or queue name fixed in code). */
    public static Operation of(String destination) {
        return KIND.operation(destination);
    }
}
