package io.vigil.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One answer to a metrics scrape: the negotiated content type and the body to send.
 *
 * @param contentType the {@code Content-Type} header value
 * @param body the exposition, UTF-8 text
 */
public record MetricsScrape(String contentType, byte[] body) {
    /** Rejects a {@code null} content type or body; the body array is kept as given, not copied. */
    public MetricsScrape {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
    }

    /** The body as text. */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
