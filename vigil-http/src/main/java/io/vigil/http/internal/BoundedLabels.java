package io.vigil.http.internal;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A label whose values are a bounded set: declared values pass, others become {@code other}; with
 * no declared set, the first {@code max} distinct values seen pass (route templates come from the
 * application's route table, so they are few).
 */
public final class BoundedLabels {
    private final Set<String> declared;
    private final int max;
    private final Map<String, String> seen = new ConcurrentHashMap<>();

    /** Values from {@code declared} only. */
    public static BoundedLabels declared(Set<String> declared) {
        return new BoundedLabels(Set.copyOf(declared), 0);
    }

    /** The first {@code max} distinct values. */
    public static BoundedLabels firstSeen(int max) {
        return new BoundedLabels(null, max);
    }

    private BoundedLabels(Set<String> declared, int max) {
        this.declared = declared;
        this.max = max;
    }

    /** {@code value}, or {@code other} when it is outside the bounded set. */
    public String bound(String value) {
        if (value == null) {
            return HttpMetrics.OTHER;
        }
        if (declared != null) {
            return declared.contains(value) ? value : HttpMetrics.OTHER;
        }
        String known = seen.get(value);
        if (known != null) {
            return known;
        }
        if (seen.size() >= max) {
            return HttpMetrics.OTHER;
        }
        return seen.computeIfAbsent(value, v -> v);
    }
}
