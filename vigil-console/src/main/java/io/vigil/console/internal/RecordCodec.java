package io.vigil.console.internal;

import io.vigil.console.internal.Records.Exemplar;
import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.MetricType;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanEvent;
import io.vigil.console.internal.Records.SpanLink;
import io.vigil.console.internal.Records.SpanRecord;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The store's compact form of a record: one {@code byte[]} each, decoded back into the equal record when a query reads
 * it. A record kept as objects is a score of small objects (ids, strings, boxes, maps, lists) that G1 copies at every
 * young collection until it is old enough to promote, and the store adds records for as long as the service runs: in
 * identity-service under load that was most of the young pauses' extra copying with the embedded console. One array
 * without references is copied as a block and never scanned. Queries are rare (the UI's calls) and decode what they
 * visit.
 *
 * <p>Strings that recur (names, attribute keys, services, scopes, repeating values) and resources are written as
 * numbers into a dictionary of their own, which only grows ({@link #MAX_ENTRIES} entries of at most
 * {@link #MAX_SHARED_LENGTH} characters, plus resources); its bytes count towards the store's bound
 * ({@link #dictionaryBytes()}). Because it never gives an entry back, a value of an attribute, a log body or a status
 * message is admitted only once it has been seen in a second trace (a second record, for a log outside any trace):
 * per-request values — request ids, user ids of one request, exception messages — recur, if at all, only within their
 * own trace and would otherwise fill the dictionary until values that do recur found no room. Lowercase hex ids are
 * written as their bytes. Everything else is written in full, so a decoded record equals the one encoded (arrays by
 * content).
 *
 * <p>Encoding runs under the store's write lock, decoding under its read lock: the dictionary needs no locking of its
 * own.
 */
final class RecordCodec {
    static final int MAX_ENTRIES = 1 << 16;
    static final int MAX_SHARED_LENGTH = 128;

    private static final int SPAN = 1;
    private static final int LOG = 2;
    private static final int POINT = 3;

    // String headers (varint): tag in the low 3 bits, length or dictionary id above.
    private static final int S_NULL = 0; // the whole header is 0
    private static final int S_DICT = 1;
    private static final int S_LATIN1 = 2;
    private static final int S_UTF16 = 3;
    private static final int S_HEX = 4;

    // Value tags.
    private static final int V_NULL = 0;
    private static final int V_STRING = 1;
    private static final int V_LONG = 2;
    private static final int V_DOUBLE = 3;
    private static final int V_TRUE = 4;
    private static final int V_FALSE = 5;
    private static final int V_LIST = 6;
    private static final int V_MAP = 7;
    private static final int V_INT = 8;

    private static final MetricType[] METRIC_TYPES = MetricType.values();
    private static final double[] NO_DOUBLES = null;

    private final Map<Object, Integer> ids = new HashMap<>();
    private Object[] entries = new Object[256];
    private int size;
    private long dictionaryBytes;
    /** Per attribute key: values shared, values not shared, lookups skipped ({@link #writeValueString}). */
    private final Map<String, int[]> valueStats = new HashMap<>();

    // The values seen lately and where (see recurs): a fixed table, so a flood of unique values costs no memory.
    private static final int SIGHTINGS = 1 << 14;
    private final int[] sightingHash = new int[SIGHTINGS];
    private final int[] sightingContext = new int[SIGHTINGS];
    /** The trace (or, for a log outside any, the record) being encoded: a value recurs when seen in another. */
    private int context;

    private final long maxDictionaryBytes;
    private byte[] buf = new byte[1024];
    private int pos;

    /** A codec whose dictionary holds at most {@code maxDictionaryBytes} (then strings are written in full). */
    RecordCodec(long maxDictionaryBytes) {
        this.maxDictionaryBytes = maxDictionaryBytes;
    }

    /** Bytes the dictionary holds (an estimate, as {@link Sizes}). */
    long dictionaryBytes() {
        return dictionaryBytes;
    }

    /** Entries in the dictionary. */
    int dictionarySize() {
        return size;
    }

    /** Whether the dictionary holds {@code s} (for tests). */
    boolean inDictionary(String s) {
        return ids.containsKey(s);
    }

    // ---- encoding ----

    byte[] encode(SpanRecord s) {
        pos = 0;
        writeByte(SPAN);
        writeVarLong(s.seq());
        context = s.traceId() == null ? 0 : s.traceId().hashCode();
        writeString(s.traceId(), false);
        writeString(s.spanId(), false);
        writeString(s.parentSpanId(), false);
        writeString(s.name(), true);
        writeVarInt(s.kind());
        writeString(s.service(), true);
        writeLong(s.startNanos());
        writeLong(s.endNanos());
        writeVarInt(s.status());
        writeValueString(STATUS_MESSAGE, s.statusMessage());
        writeMap(s.attributes());
        writeSharedMap(s.resource());
        writeString(s.scope(), true);
        writeVarInt(s.events().size());
        for (SpanEvent e : s.events()) {
            writeLong(e.timeNanos());
            writeString(e.name(), true);
            writeMap(e.attributes());
        }
        writeVarInt(s.links().size());
        for (SpanLink l : s.links()) {
            writeString(l.traceId(), false);
            writeString(l.spanId(), false);
            writeMap(l.attributes());
        }
        writeVarInt(s.dropped().attributes());
        writeVarInt(s.dropped().events());
        writeVarInt(s.dropped().links());
        writeString(s.scopeVersion(), true);
        return Arrays.copyOf(buf, pos);
    }

    byte[] encode(LogRecord l) {
        pos = 0;
        writeByte(LOG);
        writeVarLong(l.seq());
        context = l.traceId() == null || l.traceId().isEmpty()
                ? (int) (l.seq() * 0x9E3779B9L)
                : l.traceId().hashCode();
        writeLong(l.timeNanos());
        writeVarInt(l.severity());
        writeString(l.severityText(), true);
        writeValueString(BODY, l.body());
        writeString(l.service(), true);
        writeString(l.traceId(), false);
        writeString(l.spanId(), false);
        writeMap(l.attributes());
        writeSharedMap(l.resource());
        writeString(l.scope(), true);
        writeString(l.scopeVersion(), true);
        writeString(l.eventName(), true);
        return Arrays.copyOf(buf, pos);
    }

    byte[] encode(PointRecord p) {
        pos = 0;
        writeByte(POINT);
        writeVarLong(p.seq());
        writeString(p.metric(), true);
        writeVarInt(p.type().ordinal());
        writeByte(p.delta() ? 1 : 0);
        writeString(p.service(), true);
        writeVarInt(p.labels().size());
        for (Map.Entry<String, String> e : p.labels().entrySet()) {
            writeString(e.getKey(), true);
            writeString(e.getValue(), true);
        }
        writeLong(p.startNanos());
        writeLong(p.timeNanos());
        writeDouble(p.value());
        writeDoubles(p.bounds());
        if (p.counts() == null) {
            writeVarInt(0);
        } else {
            writeVarInt(p.counts().length + 1);
            for (long c : p.counts()) {
                writeVarLong(c);
            }
        }
        writeVarLong(p.count());
        writeDouble(p.sum());
        writeDoubles(p.values());
        writeVarInt(p.exemplars().size());
        for (Exemplar e : p.exemplars()) {
            writeLong(e.timeNanos());
            writeDouble(e.value());
            writeString(e.traceId(), false);
            writeString(e.spanId(), false);
        }
        return Arrays.copyOf(buf, pos);
    }

    /** The statistics keys of log bodies and status messages: no attribute is named so. */
    private static final String BODY = "\u0000body";

    private static final String STATUS_MESSAGE = "\u0000status";

    private void writeDoubles(double[] a) {
        if (a == null) {
            writeVarInt(0);
            return;
        }
        writeVarInt(a.length + 1);
        for (double d : a) {
            writeDouble(d);
        }
    }

    private void writeMap(Map<String, ?> m) {
        writeVarInt(m.size());
        for (Map.Entry<String, ?> e : m.entrySet()) {
            writeString(e.getKey(), true);
            writeValue(e.getKey(), e.getValue());
        }
    }

    /** A map that repeats as a whole (a resource): by number. */
    private void writeSharedMap(Map<String, Object> m) {
        if (m == lastShared) { // the converters hand the same instance to a whole batch
            writeVarInt(lastSharedId);
            return;
        }
        Integer id = ids.get(m);
        if (id == null && room(Sizes.of(m))) {
            id = add(decodedCopy(m), Sizes.of(m));
        }
        if (id != null) {
            lastShared = m;
            lastSharedId = id;
            writeVarInt(id);
        } else {
            writeVarInt(NOT_SHARED); // no room: written in full after a marker
            writeMap(m);
        }
    }

    private static final int NOT_SHARED = Integer.MAX_VALUE;
    private Map<String, Object> lastShared;
    private int lastSharedId;

    /** The map as decoding would give it: what the dictionary hands to every record that names it. */
    private static Map<String, Object> decodedCopy(Map<String, Object> m) {
        Object[] kv = new Object[2 * m.size()];
        int i = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            kv[i++] = e.getKey();
            kv[i++] = e.getValue();
        }
        return new AttributeMap(kv);
    }

    private void writeValue(String key, Object v) {
        switch (v) {
            case null -> writeByte(V_NULL);
            case String s -> {
                writeByte(V_STRING);
                writeValueString(key, s);
            }
            case Long l -> {
                writeByte(V_LONG);
                writeVarLong((l << 1) ^ (l >> 63));
            }
            case Integer i -> {
                writeByte(V_INT);
                writeVarLong(((long) i << 1) ^ ((long) i >> 63));
            }
            case Double d -> {
                writeByte(V_DOUBLE);
                writeDouble(d);
            }
            case Boolean b -> writeByte(b ? V_TRUE : V_FALSE);
            case List<?> list -> {
                writeByte(V_LIST);
                writeVarInt(list.size());
                for (Object o : list) {
                    writeValue(key, o);
                }
            }
            case Map<?, ?> map -> {
                writeByte(V_MAP);
                writeVarInt(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    String k = (String) e.getKey();
                    writeString(k, true);
                    writeValue(k, e.getValue());
                }
            }
            // The converters make no other kinds; anything else is kept as its text.
            default -> {
                writeByte(V_STRING);
                writeString(String.valueOf(v), false);
            }
        }
    }

    /**
     * A string value of an attribute (or a log body, a status message): by number when the dictionary has it, else
     * admitted only when it {@link #recurs}. A key whose values have proved nearly all unshared (request ids, user
     * ids) stops being looked up — hashing and comparing a value that is never shared was most of the cost — except
     * one value in {@value #RECHECK} and any value seen in another trace, so a key whose values start to recur is
     * shared again.
     */
    private void writeValueString(String key, String v) {
        if (v == null || v.isEmpty() || v.length() > MAX_SHARED_LENGTH) {
            writeString(v, false);
            return;
        }
        int[] stats = valueStats.get(key);
        if (stats == null && valueStats.size() < MAX_KEYS) {
            stats = new int[3]; // shared, not shared, skipped
            valueStats.put(key, stats);
        }
        boolean recurs = recurs(key, v);
        if (!recurs && stats != null && stats[1] >= 256 && stats[0] * 16 < stats[1] && (++stats[2] % RECHECK) != 0) {
            writeString(v, false);
            return;
        }
        Integer id = ids.get(v);
        if (id == null && recurs) {
            long cost = Sizes.of(v) + 48; // the string and its node in the lookup map
            if (room(cost)) {
                id = add(v, cost);
            }
        }
        if (id != null) {
            writeVarLong(((long) id << 3) | S_DICT);
        } else {
            writeString(v, false);
        }
        if (stats != null) {
            stats[id != null ? 0 : 1]++;
            if (stats[1] >= 1 << 20) { // keep the counts recent
                stats[0] >>= 1;
                stats[1] >>= 1;
            }
        }
    }

    /**
     * Whether {@code v} (a value of {@code key}) was seen before in another trace than the one being encoded; notes
     * this sighting. A fixed table of hashes, the newest sighting per slot: a value pushed out before it came back is
     * admitted one sighting later; a collision at worst admits a value early.
     */
    private boolean recurs(String key, String v) {
        int h = v.hashCode() * 31 + key.hashCode();
        h ^= h >>> 16;
        h *= 0x45d9f3b;
        h ^= h >>> 16;
        h |= 1; // 0 is an empty slot
        int slot = (h >>> 1) & (SIGHTINGS - 1);
        if (sightingHash[slot] == h) {
            return sightingContext[slot] != context;
        }
        sightingHash[slot] = h;
        sightingContext[slot] = context;
        return false;
    }

    private static final int MAX_KEYS = 4_096;
    private static final int RECHECK = 1_024;

    /** Writes a string; returns whether it went by number. */
    @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): each char's low byte, exact below 256
    private boolean writeString(String s, boolean share) {
        if (s == null) {
            writeVarInt(S_NULL);
            return false;
        }
        if (share && !s.isEmpty() && s.length() <= MAX_SHARED_LENGTH) {
            Integer id = ids.get(s);
            long cost = Sizes.of(s) + 48; // the string and its node in the lookup map
            if (id == null && room(cost)) {
                id = add(s, cost);
            }
            if (id != null) {
                writeVarLong(((long) id << 3) | S_DICT);
                return true;
            }
        }
        int n = s.length();
        if (n > 0 && n % 2 == 0 && isLowerHex(s)) {
            writeVarLong(((long) (n / 2) << 3) | S_HEX);
            for (int i = 0; i < n; i += 2) {
                writeByte((nibble(s.charAt(i)) << 4) | nibble(s.charAt(i + 1)));
            }
            return false;
        }
        boolean latin1 = true;
        for (int i = 0; i < n && latin1; i++) {
            latin1 = s.charAt(i) < 256;
        }
        if (latin1) {
            writeVarLong(((long) n << 3) | S_LATIN1);
            ensure(n);
            s.getBytes(0, n, buf, pos); // chars below 256 are their own byte
            pos += n;
        } else {
            writeVarLong(((long) n << 3) | S_UTF16);
            ensure(2 * n);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                buf[pos++] = (byte) (c >>> 8);
                buf[pos++] = (byte) c;
            }
        }
        return false;
    }

    private boolean room(long bytes) {
        return size < MAX_ENTRIES && dictionaryBytes + bytes + Sizes.REF <= maxDictionaryBytes;
    }

    private int add(Object o, long bytes) {
        if (size == entries.length) {
            entries = Arrays.copyOf(entries, 2 * size);
        }
        entries[size] = o;
        ids.put(o, size);
        dictionaryBytes += bytes + Sizes.REF;
        return size++;
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static int nibble(char c) {
        return c <= '9' ? c - '0' : c - 'a' + 10;
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(2 * buf.length, pos + n));
        }
    }

    private void writeByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    private void writeVarInt(int v) {
        writeVarLong(v & 0xffffffffL);
    }

    private void writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7fL) != 0) {
            buf[pos++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    private void writeLong(long v) {
        ensure(8);
        for (int i = 56; i >= 0; i -= 8) {
            buf[pos++] = (byte) (v >>> i);
        }
    }

    private void writeDouble(double d) {
        writeLong(Double.doubleToRawLongBits(d));
    }

    // ---- decoding ----

    /** The insertion sequence number of an encoded record, without decoding the rest. */
    long seq(byte[] b) {
        return new Reader(b, 1).varLong();
    }

    /** The trace id of an encoded span. */
    String traceId(byte[] b) {
        Reader r = new Reader(b, 1);
        r.varLong();
        return r.string();
    }

    /** The metric name of an encoded point. */
    String metric(byte[] b) {
        Reader r = new Reader(b, 1);
        r.varLong();
        return r.string();
    }

    SpanRecord span(byte[] b) {
        Reader r = new Reader(b, 1);
        long seq = r.varLong();
        String traceId = r.string();
        String spanId = r.string();
        String parent = r.string();
        String name = r.string();
        int kind = r.varInt();
        String service = r.string();
        long start = r.fixed();
        long end = r.fixed();
        int status = r.varInt();
        String statusMessage = r.string();
        Map<String, Object> attributes = r.map();
        Map<String, Object> resource = r.sharedMap();
        String scope = r.string();
        int ne = r.varInt();
        List<SpanEvent> events = List.of();
        if (ne > 0) {
            SpanEvent[] a = new SpanEvent[ne];
            for (int i = 0; i < ne; i++) {
                a[i] = new SpanEvent(r.fixed(), r.string(), r.map());
            }
            events = List.of(a);
        }
        int nl = r.varInt();
        List<SpanLink> links = List.of();
        if (nl > 0) {
            SpanLink[] a = new SpanLink[nl];
            for (int i = 0; i < nl; i++) {
                a[i] = new SpanLink(r.string(), r.string(), r.map());
            }
            links = List.of(a);
        }
        Records.Dropped dropped = Records.Dropped.of(r.varInt(), r.varInt(), r.varInt());
        String scopeVersion = r.string();
        return new SpanRecord(
                seq,
                traceId,
                spanId,
                parent,
                name,
                kind,
                service,
                start,
                end,
                status,
                statusMessage,
                attributes,
                resource,
                scope,
                events,
                links,
                dropped,
                scopeVersion);
    }

    LogRecord log(byte[] b) {
        Reader r = new Reader(b, 1);
        return new LogRecord(
                r.varLong(),
                r.fixed(),
                r.varInt(),
                r.string(),
                r.string(),
                r.string(),
                r.string(),
                r.string(),
                r.map(),
                r.sharedMap(),
                r.string(),
                r.string(),
                r.string());
    }

    @SuppressWarnings("unchecked")
    PointRecord point(byte[] b) {
        Reader r = new Reader(b, 1);
        long seq = r.varLong();
        String metric = r.string();
        MetricType type = METRIC_TYPES[r.varInt()];
        boolean delta = r.b[r.p++] != 0;
        String service = r.string();
        int nlabels = r.varInt();
        Map<String, String> labels = Map.of();
        if (nlabels > 0) {
            Object[] kv = new Object[2 * nlabels];
            for (int i = 0; i < kv.length; i++) {
                kv[i] = r.string();
            }
            labels = (Map<String, String>) (Map<String, ?>) new AttributeMap(kv);
        }
        long start = r.fixed();
        long time = r.fixed();
        double value = r.dbl();
        double[] bounds = r.doubles();
        long[] counts = null;
        int nc = r.varInt();
        if (nc > 0) {
            counts = new long[nc - 1];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = r.varLong();
            }
        }
        long count = r.varLong();
        double sum = r.dbl();
        double[] values = r.doubles();
        int nx = r.varInt();
        List<Exemplar> exemplars = List.of();
        if (nx > 0) {
            Exemplar[] a = new Exemplar[nx];
            for (int i = 0; i < nx; i++) {
                a[i] = new Exemplar(r.fixed(), r.dbl(), r.string(), r.string());
            }
            exemplars = List.of(a);
        }
        return new PointRecord(
                seq, metric, type, delta, service, labels, start, time, value, bounds, counts, count, sum, values,
                exemplars);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final class Reader {
        final byte[] b;
        int p;

        Reader(byte[] b, int p) {
            this.b = b;
            this.p = p;
        }

        long varLong() {
            long v = 0;
            int shift = 0;
            while (true) {
                byte x = b[p++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
                shift += 7;
            }
        }

        int varInt() {
            return (int) varLong();
        }

        long fixed() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[p++] & 0xff);
            }
            return v;
        }

        double dbl() {
            return Double.longBitsToDouble(fixed());
        }

        double[] doubles() {
            int n = varInt();
            if (n == 0) {
                return NO_DOUBLES;
            }
            double[] a = new double[n - 1];
            for (int i = 0; i < a.length; i++) {
                a[i] = dbl();
            }
            return a;
        }

        @SuppressWarnings("deprecation") // String(byte[], hibyte, offset, count): Latin-1 bytes as they are
        String string() {
            long h = varLong();
            int tag = (int) (h & 7);
            int n = (int) (h >>> 3);
            switch (tag) {
                case S_NULL:
                    return null;
                case S_DICT:
                    return (String) entries[n];
                case S_LATIN1: {
                    String s = n == 0 ? "" : new String(b, 0, p, n);
                    p += n;
                    return s;
                }
                case S_UTF16: {
                    char[] c = new char[n];
                    for (int i = 0; i < n; i++) {
                        c[i] = (char) (((b[p] & 0xff) << 8) | (b[p + 1] & 0xff));
                        p += 2;
                    }
                    return new String(c);
                }
                case S_HEX: {
                    char[] c = new char[2 * n];
                    for (int i = 0; i < n; i++) {
                        int x = b[p++] & 0xff;
                        c[2 * i] = HEX[x >>> 4];
                        c[2 * i + 1] = HEX[x & 15];
                    }
                    return new String(c);
                }
                default:
                    throw new IllegalStateException("bad string tag " + tag);
            }
        }

        Map<String, Object> map() {
            int n = varInt();
            if (n == 0) {
                return Map.of();
            }
            Object[] kv = new Object[2 * n];
            for (int i = 0; i < kv.length; i += 2) {
                kv[i] = string();
                kv[i + 1] = value();
            }
            return new AttributeMap(kv);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> sharedMap() {
            int id = varInt();
            if (id == NOT_SHARED) {
                return map();
            }
            return (Map<String, Object>) entries[id];
        }

        Object value() {
            int tag = b[p++];
            return switch (tag) {
                case V_NULL -> null;
                case V_STRING -> string();
                case V_LONG -> {
                    long z = varLong();
                    yield (z >>> 1) ^ -(z & 1);
                }
                case V_INT -> {
                    long z = varLong();
                    yield (int) ((z >>> 1) ^ -(z & 1));
                }
                case V_DOUBLE -> dbl();
                case V_TRUE -> Boolean.TRUE;
                case V_FALSE -> Boolean.FALSE;
                case V_LIST -> {
                    int n = varInt();
                    Object[] a = new Object[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = value();
                    }
                    yield List.of(a);
                }
                case V_MAP -> map();
                default -> throw new IllegalStateException("bad value tag " + tag);
            };
        }
    }

    /** For tests: a record of any kind decoded. */
    Object decode(byte[] b) {
        return switch (b[0]) {
            case SPAN -> span(b);
            case LOG -> log(b);
            case POINT -> point(b);
            default -> throw new IllegalStateException("not a record");
        };
    }
}
