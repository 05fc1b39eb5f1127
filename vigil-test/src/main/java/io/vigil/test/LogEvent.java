package io.vigil.test;

import java.util.Map;

/**
 * One captured log event, as the application emitted it.
 *
 * @param level {@code INFO}, {@code WARN}, …
 * @param logger logger name
 * @param message formatted message
 * @param fields SLF4J key-value pairs, types kept
 * @param mdc the MDC at the time of the event
 * @param traceId trace id current when the event was emitted, or {@code null}
 * @param spanId span id current when the event was emitted, or {@code null}
 * @param exceptionType class name of the attached throwable, or {@code null}
 */
public record LogEvent(
        String level,
        String logger,
        String message,
        Map<String, Object> fields,
        Map<String, String> mdc,
        String traceId,
        String spanId,
        String exceptionType) {

    /** A key-value field, or {@code null}. */
    public Object field(String key) {
        return fields.get(key);
    }

    /** Every text of this event (message, fields, MDC), for privacy sweeps. */
    public String allText() {
        return message + " " + fields + " " + mdc;
    }
}
