package io.vigil.logback.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An event's MDC with the trace fields of the span current when it was logged ({@code trace_id}, {@code span_id},
 * {@code trace_flags}), as {@link TraceContextAppender} puts it on the event: a read-only view of the MDC Logback
 * captured plus three strings, instead of a {@code HashMap} copy of it made on the logging thread for every event.
 *
 * <p>Its entries come in the order of the map OpenTelemetry's MDC appender made ({@code new HashMap<>()}, {@code
 * putAll(mdc)}, then the three puts), so every line is the same, field for field, as before: a {@code HashMap}
 * iterates by bucket — the spread hash modulo its final capacity, which follows from the number of entries — and in
 * each bucket in insertion order. With so many entries that a bucket could turn into a tree the order is taken from
 * such a {@code HashMap} itself. The order is worked out once, by the appender on the logging thread (or whichever
 * thread first iterates).
 */
public final class TraceContextMdc extends AbstractMap<String, String> {
    private static final String[] TRACE_KEYS = {EventRenderer.TRACE_ID, EventRenderer.SPAN_ID, EventRenderer.TRACE_FLAGS
    };

    private final Map<String, String> mdc; // may be null
    private final String traceId; // null: outside a span, no trace fields
    private final String spanId;
    private final String traceFlags;
    // The entries in iteration order; made on first use, immutable once published.
    private volatile Order order;

    /**
     * {@code kv}: keys and values alternately, in iteration order. {@code traceNamedKeys}: whether the MDC itself has
     * a key named like a trace field (its span fields are then replaced, or kept outside a span): without one, the
     * trace fields are exactly the entries whose key is one of the three constants, by identity.
     */
    private record Order(Object[] kv, boolean traceNamedKeys) {}

    TraceContextMdc(Map<String, String> mdc, String traceId, String spanId, String traceFlags) {
        this.mdc = mdc;
        this.traceId = traceId;
        this.spanId = spanId;
        this.traceFlags = traceFlags;
    }

    /** The current span's trace id when the event was logged (lowercase hex), or null outside a span. */
    String spanTraceId() {
        return traceId;
    }

    /** The current span's id when the event was logged (lowercase hex), or null outside a span. */
    String spanSpanId() {
        return spanId;
    }

    @Override
    public String get(Object key) {
        if (traceId != null) {
            if (EventRenderer.TRACE_ID.equals(key)) {
                return traceId;
            }
            if (EventRenderer.SPAN_ID.equals(key)) {
                return spanId;
            }
            if (EventRenderer.TRACE_FLAGS.equals(key)) {
                return traceFlags;
            }
        }
        return mdc == null ? null : mdc.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        if (traceId != null
                && (EventRenderer.TRACE_ID.equals(key)
                        || EventRenderer.SPAN_ID.equals(key)
                        || EventRenderer.TRACE_FLAGS.equals(key))) {
            return true;
        }
        return mdc != null && mdc.containsKey(key);
    }

    @Override
    public int size() {
        return ordered().length / 2;
    }

    /** Whether the MDC itself has a key named {@code trace_id}, {@code span_id} or {@code trace_flags}. */
    boolean hasTraceNamedKeys() {
        return order().traceNamedKeys();
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    /** Keys and values alternately, in iteration order; not to be modified. */
    Object[] ordered() {
        return order().kv();
    }

    private Order order() {
        Order o = order;
        if (o == null) {
            boolean named = mdc != null
                    && !mdc.isEmpty()
                    && (mdc.containsKey(EventRenderer.SPAN_ID)
                            || mdc.containsKey(EventRenderer.TRACE_FLAGS)
                            || mdc.containsKey(EventRenderer.TRACE_ID));
            o = new Order(computeOrder(named), named);
            order = o;
        }
        return o;
    }

    private Object[] computeOrder(boolean traceNamedKeys) {
        int s = mdc == null ? 0 : mdc.size();
        Object[] kv = new Object[2 * (s + TRACE_KEYS.length)];
        int n = 0;
        if (mdc != null) {
            for (Map.Entry<String, String> e : mdc.entrySet()) {
                kv[n++] = e.getKey();
                kv[n++] = e.getValue();
            }
        }
        int size = n / 2;
        if (size != s) {
            return asHashMap(); // the MDC changed size while read: not Logback's snapshot; do what the copy does
        }
        // HashMap's capacity: putAll into an empty map sizes the table for s entries, each later put past the
        // threshold doubles it.
        int capacity = s > 0 ? tableSizeFor((int) Math.ceil(s / 0.75)) : 16;
        int smallest = capacity;
        if (traceId != null) {
            String[] values = {traceId, spanId, traceFlags};
            for (int t = 0; t < TRACE_KEYS.length; t++) {
                int at = traceNamedKeys ? indexOf(kv, n, TRACE_KEYS[t]) : -1;
                if (at >= 0) {
                    kv[at + 1] = values[t]; // a put over an existing key keeps its place
                    continue;
                }
                kv[n++] = TRACE_KEYS[t];
                kv[n++] = values[t];
                if (++size > (int) (capacity * 0.75f)) {
                    capacity *= 2;
                }
            }
        }
        if (!fewPerBucket(kv, n, smallest)) {
            return asHashMap();
        }
        // Insertion sort by bucket, stable: within a bucket the insertion order stays.
        int mask = capacity - 1;
        for (int i = 2; i < n; i += 2) {
            Object k = kv[i];
            Object v = kv[i + 1];
            int b = bucket(k, mask);
            int j = i - 2;
            while (j >= 0 && bucket(kv[j], mask) > b) {
                kv[j + 2] = kv[j];
                kv[j + 3] = kv[j + 1];
                j -= 2;
            }
            kv[j + 2] = k;
            kv[j + 3] = v;
        }
        return n == kv.length ? kv : java.util.Arrays.copyOf(kv, n);
    }

    /**
     * Whether no bucket ever holds 8 entries (HashMap's threshold to turn a bucket into a tree, or to grow instead):
     * checked at the smallest capacity the map had, where the buckets are fullest.
     */
    private static boolean fewPerBucket(Object[] kv, int n, int capacity) {
        int entries = n / 2;
        if (entries < 8) {
            return true;
        }
        int mask = capacity - 1;
        if (entries <= 16) {
            // A request's MDC and the trace fields are about this many: counted pairwise, without an array per event.
            for (int i = 0; i < n; i += 2) {
                int b = bucket(kv[i], mask);
                int same = 0;
                for (int j = i; j < n; j += 2) {
                    if (bucket(kv[j], mask) == b && ++same >= 8) {
                        return false;
                    }
                }
            }
            return true;
        }
        int[] counts = new int[capacity];
        for (int i = 0; i < n; i += 2) {
            if (++counts[bucket(kv[i], mask)] >= 8) {
                return false;
            }
        }
        return true;
    }

    /** The order, read from the map OpenTelemetry's MDC appender would have made. */
    private Object[] asHashMap() {
        Map<String, String> copy = new HashMap<>();
        if (mdc != null) {
            copy.putAll(mdc);
        }
        if (traceId != null) {
            copy.put(EventRenderer.TRACE_ID, traceId);
            copy.put(EventRenderer.SPAN_ID, spanId);
            copy.put(EventRenderer.TRACE_FLAGS, traceFlags);
        }
        Object[] kv = new Object[2 * copy.size()];
        int n = 0;
        for (Map.Entry<String, String> e : copy.entrySet()) {
            kv[n++] = e.getKey();
            kv[n++] = e.getValue();
        }
        return kv;
    }

    private static int indexOf(Object[] kv, int n, String key) {
        for (int i = 0; i < n; i += 2) {
            if (key.equals(kv[i])) {
                return i;
            }
        }
        return -1;
    }

    private static int bucket(Object key, int mask) {
        int h = key == null ? 0 : key.hashCode();
        return (h ^ (h >>> 16)) & mask;
    }

    private static int tableSizeFor(int c) {
        int n = -1 >>> Integer.numberOfLeadingZeros(c - 1);
        return (n < 0) ? 1 : (n >= 1 << 30) ? 1 << 30 : n + 1;
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, String>> iterator() {
                Object[] kv = ordered();
                return new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < kv.length;
                    }

                    @Override
                    public Map.Entry<String, String> next() {
                        if (i >= kv.length) {
                            throw new NoSuchElementException();
                        }
                        Map.Entry<String, String> e =
                                new AbstractMap.SimpleImmutableEntry<>((String) kv[i], (String) kv[i + 1]);
                        i += 2;
                        return e;
                    }
                };
            }

            @Override
            public int size() {
                return ordered().length / 2;
            }
        };
    }
}
