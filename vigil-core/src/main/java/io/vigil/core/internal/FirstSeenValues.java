package io.vigil.core.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A label whose values are open but should be few (route templates, task names, Kafka topics): the first {@code max}
 * distinct values are admitted, any later one becomes {@link #OTHER}, so a value built from data by mistake cannot
 * grow a series per value up to the SDK's cap (which then drops whole metrics). One rule for vigil-http's endpoints,
 * vigil-jobs' task names and vigil-kafka's producer topics. Thread-safe; under contention the bound may be passed by a
 * few values, which is acceptable for a guard.
 */
public final class FirstSeenValues {
    /** The value recorded for everything past the bound (and for a missing value). */
    public static final String OTHER = "other";

    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private final int max;

    /** Admits at most {@code max} distinct values. */
    public FirstSeenValues(int max) {
        this.max = max;
    }

    /**
     * {@code value} when it is admitted (now or earlier), else {@code null}: for a caller that counts what it turns
     * away.
     */
    public String admit(String value) {
        if (value == null) {
            return null;
        }
        String known = seen.get(value);
        if (known != null) {
            return known;
        }
        if (seen.size() >= max) {
            return null;
        }
        return seen.computeIfAbsent(value, v -> v);
    }

    /** {@code value} when it is admitted, else {@link #OTHER}. */
    public String bound(String value) {
        String admitted = admit(value);
        return admitted != null ? admitted : OTHER;
    }
}
