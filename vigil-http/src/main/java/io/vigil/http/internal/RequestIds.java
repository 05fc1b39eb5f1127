package io.vigil.http.internal;

import io.vigil.core.internal.CorrelationIds;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** The contract's request-id rules (section 6): accept 1–64 of {@code [A-Za-z0-9._-]}, else generate. */
public final class RequestIds {
    /** Longest accepted incoming id. */
    public static final int MAX_LENGTH = CorrelationIds.MAX_LENGTH;

    private RequestIds() {}

    /** Whether {@code id} may be taken over from a client as it is (vigil-core's {@link CorrelationIds}). */
    public static boolean isValid(String id) {
        return CorrelationIds.isValid(id);
    }

    /**
     * The first valid id among the values of {@code X-Request-ID}, then {@code X-Correlation-ID};
     * a new one when none is valid. A forged or oversized id is never echoed back or logged.
     */
    public static String resolve(List<String> requestIdValues, List<String> correlationIdValues) {
        String id = firstValid(requestIdValues);
        if (id == null) {
            id = firstValid(correlationIdValues);
        }
        return id != null ? id : generate();
    }

    private static String firstValid(List<String> values) {
        if (values != null) {
            for (int i = 0; i < values.size(); i++) {
                String v = values.get(i);
                if (v != null) {
                    v = v.strip();
                    if (isValid(v)) {
                        return v;
                    }
                }
            }
        }
        return null;
    }

    /**
     * A random UUID (version 4 layout). Correlation ids need uniqueness, not unpredictability, so
     * the per-thread generator is used instead of {@link UUID#randomUUID()}'s contended SecureRandom.
     */
    public static String generate() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
        long lsb = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
