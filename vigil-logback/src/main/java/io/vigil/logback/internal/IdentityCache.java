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
        // A string's slot comes from its length, not its identity hash: a value seen for the first
        // time (a new request's id) has none yet, and making one is a call into the VM that cost
        // more than the rest of the lookup. Values of one key and length share a home slot (and
        // the probes after it), so the newest of them is the one kept — the one its request's
        // next line asks for.
        int hb = b == null ? 0 : b instanceof String s ? s.length() * 0x9E3779B9 : System.identityHashCode(b);
        int h = System.identityHashCode(a) * 31 + hb;
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
