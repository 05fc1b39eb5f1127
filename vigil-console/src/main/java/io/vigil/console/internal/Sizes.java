package io.vigil.console.internal;

import java.util.List;
import java.util.Map;

/**
 * Estimates of the heap a stored record occupies. They err on the high side (object headers and references at their
 * uncompressed sizes; strings that go through the {@link Interner} are charged by it, once), so the store's byte bound
 * holds for what it keeps alive.
 */
final class Sizes {
    static final long RECORD = 96;
    static final long REF = 8;

    private Sizes() {}

    static long of(String s) {
        return s == null ? 0 : 48 + s.length();
    }

    static long of(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof String s) {
            return of(s);
        }
        if (value instanceof List<?> list) {
            long n = 32 + REF * list.size();
            for (Object o : list) {
                n += of(o);
            }
            return n;
        }
        if (value instanceof Map<?, ?> map) {
            long n = 32 + 2 * REF * map.size();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                n += of(e.getKey()) + of(e.getValue());
            }
            return n;
        }
        if (value instanceof byte[] bytes) {
            return 16 + bytes.length;
        }
        return 16; // boxed Long, Double, Boolean
    }

    /** A map's own structure, and its values other than strings (strings are charged by the interner). */
    static long shallow(Map<String, ?> map) {
        long n = 32 + 2 * REF * map.size();
        if (map instanceof AttributeMap a) {
            for (int i = 0; i < a.size(); i++) {
                if (!(a.valueAt(i) instanceof String)) {
                    n += of(a.valueAt(i));
                }
            }
            return n;
        }
        for (Object v : map.values()) {
            if (!(v instanceof String)) {
                n += of(v);
            }
        }
        return n;
    }

    static long ofAll(Iterable<? extends Object> items) {
        long n = 0;
        for (Object o : items) {
            n += of(o);
        }
        return n;
    }
}
