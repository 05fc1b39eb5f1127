package io.vigil.console.internal;

import java.util.List;
import java.util.Map;

/**
 * Estimates of the heap the store's shared objects occupy (the codec's dictionary entries, slots in its queues). They
 * err on the high side (object headers and references at their uncompressed sizes), so the store's byte bound holds for
 * what it keeps alive.
 */
final class Sizes {
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
}
