package io.vigil.http.internal;

import io.vigil.core.internal.FirstSeenValues;
import java.util.Set;

/**
 * A label whose values are a bounded set: declared values pass, others become {@code other}; with
 * no declared set, the first {@code max} distinct values seen pass (route templates come from the
 * application's route table, so they are few).
 */
public final class BoundedLabels {
    private final Set<String> declared;
    private final FirstSeenValues firstSeen;

    /** Values from {@code declared} only. */
    public static BoundedLabels declared(Set<String> declared) {
        return new BoundedLabels(Set.copyOf(declared), null);
    }

    /** The first {@code max} distinct values. */
    public static BoundedLabels firstSeen(int max) {
        return new BoundedLabels(null, new FirstSeenValues(max));
    }

    private BoundedLabels(Set<String> declared, FirstSeenValues firstSeen) {
        this.declared = declared;
        this.firstSeen = firstSeen;
    }

    /** {@code value}, or {@code other} when it is outside the bounded set. */
    public String bound(String value) {
        if (value == null) {
            return HttpMetrics.OTHER;
        }
        if (declared != null) {
            return declared.contains(value) ? value : HttpMetrics.OTHER;
        }
        return firstSeen.bound(value);
    }
}
