package io.vigil.jobs.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a label's values bounded: the first {@code max} distinct names are admitted, any later one
 * becomes {@code other}. Task names are constants in code, so the bound only guards against a bug
 * (a name built from data) turning into unbounded series. Thread-safe.
 */
public final class BoundedNames {
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();
    private final int max;

    /** Admits at most {@code max} distinct names. */
    public BoundedNames(int max) {
        this.max = max;
    }

    /** {@code name} if admitted, else {@code other}. */
    public String bound(String name) {
        if (name == null) {
            return "other";
        }
        if (admitted.contains(name)) {
            return name;
        }
        // Racy by at most a few names past the bound under contention: acceptable for a guard.
        if (admitted.size() < max && admitted.add(name)) {
            return name;
        }
        return admitted.contains(name) ? name : "other";
    }
}
