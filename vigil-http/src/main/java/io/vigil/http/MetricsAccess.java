package io.vigil.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * Who may read the metrics endpoint when it is served on the application's own port: anyone
 * ({@link #open()}, for a port only the scraper can reach), or only requests bearing a token
 * ({@link #bearerToken(String)}; Prometheus sends it with {@code authorization: {credentials: ...}}).
 * The other way to keep metrics private is a separate port: {@code vigil.startMetricsServer(host, port)}.
 */
public final class MetricsAccess {
    private static final MetricsAccess OPEN = new MetricsAccess(null);

    private final byte[] expected; // "Bearer <token>", or null when open

    private MetricsAccess(byte[] expected) {
        this.expected = expected;
    }

    /** Everyone may scrape. */
    public static MetricsAccess open() {
        return OPEN;
    }

    /** Only requests with {@code Authorization: Bearer <token>} may scrape. */
    public static MetricsAccess bearerToken(String token) {
        Objects.requireNonNull(token, "token");
        if (token.length() < 16) {
            throw new IllegalArgumentException("a metrics token should have at least 16 characters");
        }
        return new MetricsAccess(("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a request with this {@code Authorization} header (or {@code null}) may scrape. */
    public boolean permits(String authorization) {
        if (expected == null) {
            return true;
        }
        // Constant-time comparison: response timing must not reveal how much of a guess was right.
        return authorization != null
                && MessageDigest.isEqual(expected, authorization.strip().getBytes(StandardCharsets.UTF_8));
    }

    /** The RFC 9457 body of a refused scrape. */
    public static final String UNAUTHORIZED_BODY =
            "{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"metrics need a bearer token\"}";
}
