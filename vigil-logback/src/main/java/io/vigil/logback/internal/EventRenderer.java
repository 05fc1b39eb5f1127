package io.vigil.logback.internal;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vigil.core.Scrubber;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.event.KeyValuePair;

/**
 * Renders one Logback event in the contract's section-4 shape, scrubbed: as a JSON line or as a
 * readable text line. Immutable and thread-safe; per-thread buffers are reused.
 */
public final class EventRenderer {
    public static final String TRACE_ID = "trace_id";
    public static final String SPAN_ID = "span_id";
    /** Added by OpenTelemetry's MDC appender; the contract has no such field. */
    public static final String TRACE_FLAGS = "trace_flags";

    /** Field names the schema owns; an MDC entry or key-value pair with one of these is renamed. */
    public static final Set<String> RESERVED = Set.of(
            "timestamp",
            "level",
            "logger",
            "message",
            "service",
            "environment",
            "hostname",
            TRACE_ID,
            SPAN_ID,
            "exception.type",
            "exception.message",
            "exception.stacktrace");

    /** Prefix for a user field whose name is reserved, so a value can never forge a schema field. */
    public static final String RENAMED_PREFIX = "field.";

    private static final int MAX_KEYS = 64;

    private final Scrubber scrubber;
    private final String service;
    private final String environment;
    private final String hostname;
    // A platform thread keeps its state (the hand-offs' threads, a pool's serving threads). A virtual thread lives for
    // one request, so its state would be built, caches and all, for every line it renders: virtual threads borrow one
    // of a few shared states instead (see acquire).
    private final ThreadLocal<State> state = ThreadLocal.withInitial(State::new);
    private final AtomicReferenceArray<State> shared = new AtomicReferenceArray<>(SHARED_STATES);
    private final LongAdder borrowedStatesMade = new LongAdder();
    private static final int SHARED_STATES = sharedStates();

    private static int sharedStates() {
        int n = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1) * 2;
        return Math.min(64, Math.max(4, n));
    }

    private static final class State {
        boolean borrowed; // from the shared states, to be given back
        final JsonLineWriter json = new JsonLineWriter(1024);
        final IsoTimestamp timestamp = new IsoTimestamp();
        final String[] written = new String[MAX_KEYS];
        final StringBuilder text = new StringBuilder(256);
        // Scrub results by key and value identity: a request's MDC values (and literal field
        // values) are the same String instances on every line, so each is scrubbed once.
        final IdentityCache<Object> scrubbed = new IdentityCache<>();
        // The JSON writer's caches, by identity as above: each field name encoded to UTF-8 once
        // ({@code ,"key":}, with what the privacy rules do to its values), and each logger name.
        final IdentityCache<FieldKey> names = new IdentityCache<>();
        // Scrubbed and encoded values by key and text (see stringField).
        final Object[] valueKeys = new Object[VALUE_CACHE_SIZE];
        final String[] valueTexts = new String[VALUE_CACHE_SIZE];
        final byte[][] valueBytes = new byte[VALUE_CACHE_SIZE][];
        final IdentityCache<byte[]> loggers = new IdentityCache<>();
        // Messages are usually new String instances with recurring text: cached by content.
        final String[] message = new String[MESSAGE_CACHE_SIZE];
        final byte[][] messageBytes = new byte[MESSAGE_CACHE_SIZE][];
    }

    private static final int MESSAGE_CACHE_SIZE = 64;
    private static final int VALUE_CACHE_SIZE = 512; // a power of two
    private static final int MAX_CACHED_VALUE = 256;
    // A key's values are content-cached while they recur: after this many lookups, a key with
    // almost no hits (a request id, new on every line) stops copying its values into the cache.
    private static final int VALUE_TRIAL = 64;

    /**
     * One field name as this thread renders it: {@code ,"key":} encoded (renamed when the schema
     * owns the name), whether the privacy rules redact a non-string value under it (a number under a
     * sensitive or email key), and how often its string values recur.
     */
    private static final class FieldKey {
        final byte[] encoded;
        final boolean redactsNonStrings;
        int lookups;
        int hits;
        int uncached; // values left to write without the cache before the next trial

        FieldKey(byte[] encoded, boolean redactsNonStrings) {
            this.encoded = encoded;
            this.redactsNonStrings = redactsNonStrings;
        }

        /**
         * Whether to look this value up and keep it: yes during a trial and while values recur; after a
         * trial in which almost none did (a request id), not for the next {@code 16 × VALUE_TRIAL} values,
         * then a new trial — what a key carries may change.
         */
        boolean cachesValues() {
            if (uncached > 0) {
                uncached--;
                return false;
            }
            if (lookups >= VALUE_TRIAL && hits * 8 < lookups) {
                lookups = 0;
                hits = 0;
                uncached = 16 * VALUE_TRIAL;
                return false;
            }
            return true;
        }
    }

    private static final int MAX_CACHED_MESSAGE = 512;
    private static final byte[] TRACE_ID_KEY = JsonLineWriter.encodeKey(TRACE_ID);
    private static final byte[] SPAN_ID_KEY = JsonLineWriter.encodeKey(SPAN_ID);
    private static final Object NULL = new Object();

    private Object scrub(State s, String key, Object value) {
        if (!(value instanceof String str)) {
            return scrubber.scrubValue(key, value);
        }
        Object cached = s.scrubbed.get(key, str);
        if (cached != null) {
            return cached == NULL ? null : cached;
        }
        Object result = scrubber.scrubValue(key, str);
        s.scrubbed.put(key, str, result == null ? NULL : result);
        return result;
    }

    /**
     * {@code ,"key":"scrubbed value"}: the name comes encoded from the cache; the value, scrubbed and
     * encoded, from a cache by key instance and value text — a request's path, address and user agent
     * are new String instances on every request, but their text recurs, and the privacy rules' result
     * depends on nothing else. A value not found is scrubbed and written straight into the line, and
     * its bytes copied from there into the cache unless its key's values do not recur (a request id).
     */
    private void stringField(JsonLineWriter w, State s, String key, String value) {
        FieldKey k = fieldKey(s, key);
        w.encoded(k.encoded);
        if (value.length() > MAX_CACHED_VALUE || !k.cachesValues()) {
            w.value(scrubber.scrubValue(key, value));
            return;
        }
        int hash = value.hashCode();
        int h = System.identityHashCode(key) * 31 + hash;
        int i = (h ^ (h >>> 16)) & (VALUE_CACHE_SIZE - 1);
        k.lookups++;
        String cached = s.valueTexts[i];
        if (s.valueKeys[i] == key
                && cached != null
                && (cached == value || (cached.hashCode() == hash && cached.equals(value)))) {
            k.hits++;
            w.raw(s.valueBytes[i]);
            return;
        }
        int start = w.length();
        w.value(scrubber.scrubValue(key, value));
        s.valueKeys[i] = key;
        s.valueTexts[i] = value;
        s.valueBytes[i] = java.util.Arrays.copyOfRange(w.buffer(), start, w.length());
    }

    /** The rendering of one field name, made once per key instance. */
    private FieldKey fieldKey(State s, String key) {
        FieldKey k = s.names.get(key, null);
        if (k == null) {
            Object probe = new Object();
            k = new FieldKey(JsonLineWriter.encodeKey(fieldName(key)), scrubber.scrubValue(key, probe) != probe);
            s.names.put(key, null, k);
        }
        return k;
    }

    /**
     * {@code ,"key":value} for a value that is not a string: the privacy rules return such a value
     * as it is, or redact it whole (under a sensitive or email key) — decided once per key.
     */
    private void otherField(JsonLineWriter w, State s, String key, Object value) {
        FieldKey k = fieldKey(s, key);
        w.encoded(k.encoded);
        if (value == null) {
            w.value(null);
        } else if (k.redactsNonStrings) {
            w.value(scrubber.scrubValue(key, value));
        } else {
            w.value(value);
        }
    }

    /**
     * {@code ,"message":"scrubbed"}: the privacy rules run once per distinct text. A text not in
     * the cache is written straight into the line and its bytes copied from there for the cache.
     */
    private void messageField(JsonLineWriter w, State s, String message) {
        if (message == null || message.length() > MAX_CACHED_MESSAGE) {
            w.field("message", scrubber.scrubText(message));
            return;
        }
        int hash = message.hashCode();
        int i = hash & (MESSAGE_CACHE_SIZE - 1);
        String cached = s.message[i];
        // The hashes first: another request's message in the slot is as long as this one and
        // differs only near its end, where equals would find out last.
        if (cached != null && (cached == message || (cached.hashCode() == hash && message.equals(cached)))) {
            w.encoded(s.messageBytes[i]);
            return;
        }
        int start = w.length();
        w.field("message", scrubber.scrubText(message));
        s.message[i] = message;
        s.messageBytes[i] = java.util.Arrays.copyOfRange(w.buffer(), start, w.length());
    }

    private final byte[] constantFields;
    private final byte[][] levelFields = new byte[6][];

    public EventRenderer(Scrubber scrubber, String service, String environment, String hostname) {
        this.scrubber = scrubber;
        this.service = service;
        this.environment = environment;
        this.hostname = hostname;
        JsonLineWriter w = new JsonLineWriter(128).begin();
        w.field("timestamp", "")
                .field("service", service)
                .field("environment", environment)
                .field("hostname", hostname);
        // Everything after the (first) timestamp field: ,"service":…,"environment":…,"hostname":…
        int skip = "{\"timestamp\":\"\"".length();
        this.constantFields = java.util.Arrays.copyOfRange(w.buffer(), skip, w.length());
        String[] levels = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};
        for (int i = 0; i < levels.length; i++) {
            levelFields[i] = JsonLineWriter.encodeField("level", levels[i]);
        }
    }

    private byte[] levelField(ch.qos.logback.classic.Level level) {
        int i = switch (level.levelInt) {
            case ch.qos.logback.classic.Level.TRACE_INT -> 0;
            case ch.qos.logback.classic.Level.DEBUG_INT -> 1;
            case ch.qos.logback.classic.Level.INFO_INT -> 2;
            case ch.qos.logback.classic.Level.WARN_INT -> 3;
            case ch.qos.logback.classic.Level.ERROR_INT -> 4;
            default -> -1;
        };
        return i >= 0 ? levelFields[i] : JsonLineWriter.encodeField("level", level.levelStr);
    }

    public Scrubber scrubber() {
        return scrubber;
    }

    public String service() {
        return service;
    }

    public String environment() {
        return environment;
    }

    /** The event as one JSON object and a newline, UTF-8; on any thread, virtual ones included. */
    public byte[] json(ILoggingEvent event) {
        State s = acquire();
        try {
            return writeJson(s, event).toByteArray();
        } finally {
            release(s);
        }
    }

    /**
     * This thread's state, or for a virtual thread one of the shared states nobody holds (a new one when all are
     * held): give it back with {@link #release}.
     */
    private State acquire() {
        Thread t = Thread.currentThread();
        if (!t.isVirtual()) {
            return state.get();
        }
        int mask = SHARED_STATES - 1;
        int start = (int) t.threadId() & mask;
        for (int i = 0; i < SHARED_STATES; i++) {
            int slot = (start + i) & mask;
            State s = shared.getPlain(slot);
            if (s != null && shared.compareAndSet(slot, s, null)) {
                return s;
            }
        }
        State s = new State();
        s.borrowed = true;
        borrowedStatesMade.increment();
        return s;
    }

    private void release(State s) {
        if (!s.borrowed) {
            return;
        }
        int mask = SHARED_STATES - 1;
        int start = (int) Thread.currentThread().threadId() & mask;
        for (int i = 0; i < SHARED_STATES; i++) {
            int slot = (start + i) & mask;
            if (shared.getPlain(slot) == null && shared.compareAndSet(slot, null, s)) {
                return;
            }
        }
        // Every slot full: this one was made while all were held, and goes.
    }

    /** How many states virtual threads have had made, all told (for tests: bounded by how many render at once). */
    long borrowedStatesMade() {
        return borrowedStatesMade.sum();
    }

    /** How many shared states virtual threads have given back (for tests). */
    int sharedStatesHeld() {
        int n = 0;
        for (int i = 0; i < SHARED_STATES; i++) {
            if (shared.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Renders into this thread's buffer and returns it; valid until the thread's next call. For
     * callers on platform threads that copy the bytes elsewhere themselves (the hand-offs' writers,
     * the spool); on a virtual thread use {@link #json}.
     */
    public JsonLineWriter writeJson(ILoggingEvent event) {
        return writeJson(state.get(), event);
    }

    private JsonLineWriter writeJson(State s, ILoggingEvent event) {
        JsonLineWriter w = s.json.begin();
        w.key("timestamp");
        w.writeByte('"');
        s.timestamp.write(event.getTimeStamp(), w);
        w.writeByte('"');
        // Fields whose bytes repeat from line to line are appended ready-encoded.
        w.encoded(levelField(event.getLevel()));
        w.encoded(loggerField(s, event.getLoggerName()));
        messageField(w, s, event.getFormattedMessage());
        w.encoded(constantFields);

        Map<String, String> mdc = event.getMDCPropertyMap();
        String traceId;
        String spanId;
        // Ids from a valid SpanContext are lowercase hex by construction (the SDK validates them), so they are copied
        // without the escaping loop; an MDC entry somebody else named trace_id may hold anything and is escaped.
        boolean hexIds;
        if (mdc instanceof TraceContextMdc traced && traced.spanTraceId() != null) {
            traceId = traced.spanTraceId();
            spanId = traced.spanSpanId();
            hexIds = true;
        } else {
            traceId = mdc == null ? null : mdc.get(TRACE_ID);
            spanId = mdc == null ? null : mdc.get(SPAN_ID);
            hexIds = false;
            if (traceId == null) {
                // No MDC appender in front: correct only when rendering on the logging thread.
                SpanContext sc = Span.current().getSpanContext();
                if (sc.isValid()) {
                    traceId = sc.getTraceId();
                    spanId = sc.getSpanId();
                    hexIds = true;
                }
            }
        }
        if (traceId != null) {
            w.encoded(TRACE_ID_KEY);
            if (hexIds) {
                w.writeHex(traceId);
                w.encoded(SPAN_ID_KEY).writeHex(spanId);
            } else {
                w.value(traceId);
                w.encoded(SPAN_ID_KEY).value(spanId);
            }
        }

        String[] written = s.written;
        int n = 0;
        List<KeyValuePair> kvps = event.getKeyValuePairs();
        if (kvps != null) {
            for (int i = 0, size = kvps.size(); i < size; i++) {
                KeyValuePair kv = kvps.get(i);
                if (kv == null || kv.key == null || contains(written, n, kv.key)) {
                    continue;
                }
                if (n < MAX_KEYS) {
                    written[n++] = kv.key;
                }
                if (kv.value instanceof String str) {
                    stringField(w, s, kv.key, str);
                } else {
                    otherField(w, s, kv.key, kv.value);
                }
            }
        }
        if (mdc instanceof TraceContextMdc traced) {
            // The trace-context appender's view: its entries in order, without an entry object each.
            // Unless the MDC has keys named like them, the trace fields are the view's own constants.
            Object[] kv = traced.ordered();
            boolean named = traced.hasTraceNamedKeys();
            for (int i = 0; i < kv.length; i += 2) {
                String key = (String) kv[i];
                if (key == TRACE_ID || key == SPAN_ID || key == TRACE_FLAGS) {
                    continue;
                }
                if (named) {
                    mdcField(w, s, written, n, key, (String) kv[i + 1]);
                } else if (key != null && !contains(written, n, key)) {
                    String value = (String) kv[i + 1];
                    if (value == null) {
                        otherField(w, s, key, null);
                    } else {
                        stringField(w, s, key, value);
                    }
                }
            }
        } else if (mdc != null && !mdc.isEmpty()) {
            for (Map.Entry<String, String> e : mdc.entrySet()) {
                mdcField(w, s, written, n, e.getKey(), e.getValue());
            }
        }
        IThrowableProxy tp = event.getThrowableProxy();
        if (tp != null) {
            String message = scrubber.scrubText(tp.getMessage());
            w.field("exception.type", tp.getClassName());
            w.field("exception.message", message);
            w.field("exception.stacktrace", StackTraces.render(tp, message, scrubber));
        }
        return w.end();
    }

    /** One MDC entry, unless a key-value pair on the event (more specific) or the trace fields have its name. */
    private void mdcField(JsonLineWriter w, State s, String[] written, int n, String key, String value) {
        if (key == null || isTraceKey(key) || contains(written, n, key)) {
            return;
        }
        if (value == null) {
            otherField(w, s, key, null);
        } else {
            stringField(w, s, key, value);
        }
    }

    private static byte[] loggerField(State s, String name) {
        byte[] bytes = s.loggers.get(name, null);
        if (bytes == null) {
            bytes = JsonLineWriter.encodeField("logger", name);
            s.loggers.put(name, null, bytes);
        }
        return bytes;
    }

    private static String fieldName(String key) {
        return RESERVED.contains(key) ? RENAMED_PREFIX + key : key;
    }

    // Keys are compared by their (cached) hashes before their text: most keys differ, many have
    // the same length ("method" and "status"), and equals then compares them char by char.
    private static boolean contains(String[] keys, int n, String key) {
        int hash = key.hashCode();
        for (int i = 0; i < n; i++) {
            String k = keys[i];
            if (k == key || (k.hashCode() == hash && k.equals(key))) {
                return true;
            }
        }
        return false;
    }

    private static final int TRACE_ID_HASH = TRACE_ID.hashCode();
    private static final int SPAN_ID_HASH = SPAN_ID.hashCode();
    private static final int TRACE_FLAGS_HASH = TRACE_FLAGS.hashCode();

    /** Whether an MDC key is one of the trace fields written from the span context. */
    private static boolean isTraceKey(String key) {
        int hash = key.hashCode();
        return (hash == TRACE_ID_HASH && key.equals(TRACE_ID))
                || (hash == SPAN_ID_HASH && key.equals(SPAN_ID))
                || (hash == TRACE_FLAGS_HASH && key.equals(TRACE_FLAGS));
    }

    /**
     * The event as readable, colourless text: {@code timestamp LEVEL [thread] logger - message
     * key=value …}, then the stack trace with every line indented by a tab. Control characters in
     * the message and values are shown escaped, so only a new event starts a line at column 0.
     */
    public String text(ILoggingEvent event) {
        State s = acquire();
        try {
            return text(s, event);
        } finally {
            release(s);
        }
    }

    private String text(State s, ILoggingEvent event) {
        StringBuilder sb = s.text;
        sb.setLength(0);
        sb.append(IsoTimestamp.format(event.getTimeStamp())).append(' ');
        String level = event.getLevel().levelStr;
        sb.append(level);
        for (int i = level.length(); i < 5; i++) {
            sb.append(' ');
        }
        sb.append(" [");
        appendEscaped(sb, event.getThreadName());
        sb.append("] ").append(event.getLoggerName()).append(" - ");
        appendEscaped(sb, scrubber.scrubText(event.getFormattedMessage()));

        String[] written = s.written;
        int n = 0;
        List<KeyValuePair> kvps = event.getKeyValuePairs();
        if (kvps != null) {
            for (KeyValuePair kv : kvps) {
                if (kv == null || kv.key == null || contains(written, n, kv.key)) {
                    continue;
                }
                if (n < MAX_KEYS) {
                    written[n++] = kv.key;
                }
                appendPair(sb, kv.key, scrub(s, kv.key, kv.value));
            }
        }
        Map<String, String> mdc = event.getMDCPropertyMap();
        String traceId = null;
        String spanId = null;
        if (mdc != null) {
            traceId = mdc.get(TRACE_ID);
            spanId = mdc.get(SPAN_ID);
            for (Map.Entry<String, String> e : mdc.entrySet()) {
                String key = e.getKey();
                if (key == null || isTraceKey(key) || contains(written, n, key)) {
                    continue;
                }
                appendPair(sb, key, scrub(s, key, e.getValue()));
            }
        }
        if (traceId == null) {
            SpanContext sc = Span.current().getSpanContext();
            if (sc.isValid()) {
                traceId = sc.getTraceId();
                spanId = sc.getSpanId();
            }
        }
        if (traceId != null) {
            sb.append(" trace_id=").append(traceId).append(" span_id=").append(spanId);
        }
        sb.append('\n');
        IThrowableProxy tp = event.getThrowableProxy();
        if (tp != null) {
            String trace = StackTraces.render(tp, scrubber.scrubText(tp.getMessage()), scrubber);
            sb.append('\t');
            for (int i = 0; i < trace.length(); i++) {
                char c = trace.charAt(i);
                if (c == '\n') {
                    if (i + 1 < trace.length()) {
                        sb.append("\n\t");
                    }
                } else if (c == '\r') {
                    // dropped: CR alone would let a terminal overwrite the line
                } else {
                    sb.append(c);
                }
            }
            sb.append('\n');
        }
        String out = sb.toString();
        if (sb.capacity() > 64 * 1024) {
            s.text.setLength(0);
            s.text.trimToSize();
        }
        return out;
    }

    private static void appendPair(StringBuilder sb, String key, Object value) {
        sb.append(' ');
        appendEscaped(sb, key);
        sb.append('=');
        String v = String.valueOf(value);
        boolean quote = v.isEmpty() || needsQuotes(v);
        if (quote) {
            sb.append('"');
        }
        appendEscaped(sb, v);
        if (quote) {
            sb.append('"');
        }
    }

    private static boolean needsQuotes(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c <= ' ' || c == '"' || c == '=' || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    private static void appendEscaped(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || JsonLineWriter.displayControl(c)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
    }
}
