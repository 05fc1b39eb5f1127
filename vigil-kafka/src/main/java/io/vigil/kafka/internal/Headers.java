package io.vigil.kafka.internal;

import io.opentelemetry.context.propagation.TextMapSetter;
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
}
