package io.vigil.http.websocket;

import java.util.Objects;
import java.util.Set;

/**
 * A {@link MessageClassifier} for JSON text messages: reads the declared type field (e.g. {@code
 * "type"}) and the documented trace fields {@code "traceparent"} / {@code "tracestate"} from the top
 * level of the object, without building a tree — one forward scan that skips nested values and stops
 * as soon as the three are known.
 *
 * <pre>{@code
 * // {"type":"subscribe","traceparent":"00-…-01","topic":"lockouts"} → handler "subscribe", that trace continued
 * MessageClassifier c = JsonMessageClassifier.of("type", Set.of("subscribe", "ping"));
 * }</pre>
 *
 * <p>The handler is the type's value when it is one of the declared names, else {@code other}: an
 * undeclared type, a type that is not a string, no type, or a message that is not a JSON object.
 * Trace fields are taken only when they are strings of a plausible length (a malformed traceparent is
 * then ignored by the propagator). Never throws. Thread-safe.
 */
public final class JsonMessageClassifier implements MessageClassifier {
    /** The handler of messages whose type is missing or not declared. */
    public static final String OTHER = "other";
    /** The top-level field a message's W3C traceparent is read from. */
    public static final String TRACEPARENT_FIELD = "traceparent";
    /** The top-level field a message's W3C tracestate is read from. */
    public static final String TRACESTATE_FIELD = "tracestate";

    private static final int MAX_TRACEPARENT = 64;
    private static final int MAX_TRACESTATE = 512;
    private static final int MAX_DEPTH = 64;

    private final String typeField;
    private final Set<String> types;
    private final MessageInfo other = MessageInfo.of(OTHER);

    private JsonMessageClassifier(String typeField, Set<String> types) {
        this.typeField = typeField;
        this.types = types;
    }

    /**
     * A classifier reading {@code typeField} and bounding its values to {@code types} (the same names
     * as {@link WebSocketTelemetry.Builder#handlers}).
     */
    public static JsonMessageClassifier of(String typeField, Set<String> types) {
        Objects.requireNonNull(typeField, "typeField");
        if (typeField.isEmpty()) {
            throw new IllegalArgumentException("typeField must not be empty");
        }
        return new JsonMessageClassifier(typeField, Set.copyOf(types));
    }

    /** The declared message types. */
    public Set<String> types() {
        return types;
    }

    @Override
    public MessageInfo classify(String text) {
        if (text == null) {
            return other;
        }
        Scanner s = new Scanner(text);
        String type = null;
        String traceparent = null;
        String tracestate = null;
        boolean typeSeen = false;
        try {
            s.skipWs();
            if (!s.take('{')) {
                return other;
            }
            s.skipWs();
            if (s.take('}')) {
                return other;
            }
            while (true) {
                s.skipWs();
                String key = s.string();
                if (key == null) {
                    break;
                }
                s.skipWs();
                if (!s.take(':')) {
                    break;
                }
                s.skipWs();
                if (!typeSeen && key.equals(typeField)) {
                    typeSeen = true;
                    type = s.peek() == '"' ? s.string() : null;
                    if (type == null && !s.skipValue(0)) {
                        break;
                    }
                } else if (traceparent == null && key.equals(TRACEPARENT_FIELD) && s.peek() == '"') {
                    traceparent = s.string();
                } else if (tracestate == null && key.equals(TRACESTATE_FIELD) && s.peek() == '"') {
                    tracestate = s.string();
                } else if (!s.skipValue(0)) {
                    break;
                }
                if (typeSeen && traceparent != null && tracestate != null) {
                    break;
                }
                s.skipWs();
                if (!s.take(',')) {
                    break;
                }
            }
        } catch (RuntimeException malformed) {
            // A truncated or odd message: what was read so far stands.
        }
        String handler = type != null && types.contains(type) ? type : OTHER;
        if (traceparent != null && traceparent.length() > MAX_TRACEPARENT) {
            traceparent = null;
        }
        if (traceparent == null || (tracestate != null && tracestate.length() > MAX_TRACESTATE)) {
            tracestate = null;
        }
        return traceparent == null && handler.equals(OTHER) ? other : new MessageInfo(handler, traceparent, tracestate);
    }

    /** A forward-only reader over one message. */
    private static final class Scanner {
        private final String t;
        private int i;

        Scanner(String t) {
            this.t = t;
        }

        char peek() {
            return i < t.length() ? t.charAt(i) : '\0';
        }

        boolean take(char c) {
            if (peek() == c) {
                i++;
                return true;
            }
            return false;
        }

        void skipWs() {
            while (i < t.length()) {
                char c = t.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        /** A JSON string at the cursor, unescaped; {@code null} when there is none (or it is unterminated). */
        String string() {
            if (!take('"')) {
                return null;
            }
            int start = i;
            while (i < t.length()) {
                char c = t.charAt(i);
                if (c == '"') {
                    return t.substring(start, i++);
                }
                if (c == '\\') {
                    return escaped(start);
                }
                i++;
            }
            return null;
        }

        private String escaped(int start) {
            StringBuilder b = new StringBuilder(t.length() - start).append(t, start, i);
            while (i < t.length()) {
                char c = t.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (i >= t.length()) {
                    return null;
                }
                char e = t.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        if (i + 4 > t.length()) {
                            return null;
                        }
                        b.append((char) Integer.parseInt(t, i, i + 4, 16));
                        i += 4;
                    }
                    default -> b.append(e); // \" \\ \/
                }
            }
            return null;
        }

        /** Skips one value (object, array, string, literal, number); false when malformed. */
        boolean skipValue(int depth) {
            if (depth > MAX_DEPTH) {
                return false;
            }
            char c = peek();
            if (c == '"') {
                return skipString();
            }
            if (c == '{' || c == '[') {
                char close = c == '{' ? '}' : ']';
                i++;
                skipWs();
                if (take(close)) {
                    return true;
                }
                while (true) {
                    skipWs();
                    if (close == '}') {
                        if (!skipString()) {
                            return false;
                        }
                        skipWs();
                        if (!take(':')) {
                            return false;
                        }
                        skipWs();
                    }
                    if (!skipValue(depth + 1)) {
                        return false;
                    }
                    skipWs();
                    if (take(close)) {
                        return true;
                    }
                    if (!take(',')) {
                        return false;
                    }
                }
            }
            int start = i;
            while (i < t.length()) {
                char d = t.charAt(i);
                if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\t' || d == '\n' || d == '\r') {
                    break;
                }
                i++;
            }
            return i > start;
        }

        private boolean skipString() {
            if (!take('"')) {
                return false;
            }
            while (i < t.length()) {
                char c = t.charAt(i++);
                if (c == '"') {
                    return true;
                }
                if (c == '\\') {
                    i++;
                }
            }
            return false;
        }
    }
}
