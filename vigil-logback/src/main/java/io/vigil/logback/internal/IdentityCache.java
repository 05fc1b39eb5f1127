package io.vigil.logback.internal;

/**
 * A small per-thread memo keyed by the identity of one or two objects (a field name and its value):
 * a request's MDC values, literal field values and field names are the same instances on every
 * line, so what is derived from them (scrubbed, encoded) is computed once. Open addressing over a
 * few slots, so that two keys sharing a slot do not evict each other on every line; when all are
 * taken the home slot is replaced. Not thread-safe: one per thread.
 */
final class IdentityCache<V> {
    private static final int SIZE = 256; // a power of two
    private static final int PROBES = 4;

    private final Object[] first = new Object[SIZE];
    private final Object[] second = new Object[SIZE];
    private final Object[] values = new Object[SIZE];

    private static int home(Object a, Object b) {
        int h = System.identityHashCode(a) * 31 + (b == null ? 0 : System.identityHashCode(b));
        return (h ^ (h >>> 16)) & (SIZE - 1);
    }

    /** The value stored for {@code (a, b)}, or {@code null}. */
    @SuppressWarnings("unchecked")
    V get(Object a, Object b) {
        int i = home(a, b);
        for (int p = 0; p < PROBES; p++, i = (i + 1) & (SIZE - 1)) {
            if (first[i] == a && second[i] == b && values[i] != null) {
                return (V) values[i];
            }
        }
        return null;
    }

    void put(Object a, Object b, V value) {
        int home = home(a, b);
        int i = home;
        for (int p = 0; p < PROBES; p++, i = (i + 1) & (SIZE - 1)) {
            if (values[i] == null) {
                home = i;
                break;
            }
        }
        first[home] = a;
        second[home] = b;
        values[home] = value;
    }
}
