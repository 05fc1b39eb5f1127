package io.vigil.kafka.internal;

import io.opentelemetry.context.propagation.TextMapSetter;
import io.vigil.core.internal.CorrelationIds;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;

/**
 * Reading and writing text headers.
 *
 * <p>This class is internal and may change without notice.
 */
public final class Headers {
    /** Writes W3C trace context into record headers (replacing an earlier value of the key). */
    public static final TextMapSetter<org.apache.kafka.common.header.Headers> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.remove(key).add(key, value.getBytes(StandardCharsets.UTF_8));
        }
    };

    private Headers() {}

    /** The last value of {@code key} as UTF-8 text, or {@code null}. */
    public static String text(org.apache.kafka.common.header.Headers headers, String key) {
        if (headers == null) {
            return null;
        }
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /**
     * The last value of {@code key} when it is an id as the contract takes one from a client ({@link
     * CorrelationIds}: 1–64 characters of {@code [A-Za-z0-9._-]}); otherwise {@code null}. Whoever can write to a topic chooses its headers: a {@code
     * request_id} or {@code message_id} of 100 KB, or holding a line break or an escape sequence, was bound as it was
     * to every log line of the record and set on its span, where an HTTP {@code X-Request-ID} like it is refused.
     */
    public static String id(org.apache.kafka.common.header.Headers headers, String key) {
        if (headers == null) {
            return null;
        }
        Header h = headers.lastHeader(key);
        byte[] v = h == null ? null : h.value();
        return CorrelationIds.isValid(v) ? new String(v, StandardCharsets.US_ASCII) : null;
    }
}
