package io.vigil.http.websocket;

/**
 * What a {@link MessageClassifier} reads from one received message.
 *
 * @param handler the message type naming its handler ({@code handler} label; undeclared values are
 *     recorded as {@code other})
 * @param traceparent the W3C {@code traceparent} the message carries, or {@code null}; its handler
 *     span then continues that trace
 * @param tracestate the W3C {@code tracestate} that goes with it, or {@code null}
 */
public record MessageInfo(String handler, String traceparent, String tracestate) {
    /** A message of this type without trace context. */
    public static MessageInfo of(String handler) {
        return new MessageInfo(handler, null, null);
    }
}
