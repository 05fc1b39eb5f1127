package io.vigil.core.internal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The one writer of RFC 9457 problem documents for every Vigil HTTP surface (the metrics server,
 * vigil-http's error handler and adapters, the console): the members in a fixed order — {@code
 * type}, {@code title}, {@code status}, {@code detail}, {@code instance}, then extension members in
 * the order they were added — as UTF-8 bytes with correct JSON string escaping. A {@code null}
 * member is left out (RFC 9457 has no {@code null} members). Not thread-safe; build one per answer.
 *
 * <pre>{@code
 * byte[] body = ProblemJson.of(404).detail("No trace 42").instance("/api/traces/42").toBytes();
 * }</pre>
 */
public final class ProblemJson {
    /**
     * The media type of every problem body. No {@code charset} parameter: RFC 9457 §6.1 registers
     * none (JSON is always UTF-8, RFC 8259 §8.1 and §11), and a client comparing the type exactly
     * would reject one. The body is written as bytes, so no server picks a charset for it.
     */
    public static final String CONTENT_TYPE = "application/problem+json";

    /** The {@code type} of a problem that is just its status (RFC 9457 §4.2.1). */
    public static final String ABOUT_BLANK = "about:blank";

    private static final Set<String> STANDARD = Set.of("type", "title", "status", "detail", "instance");

    private final String type;
    private final String title;
    private final int status;
    private String detail;
    private String instance;
    private final Map<String, Object> extensions = new LinkedHashMap<>(4);

    private ProblemJson(String type, String title, int status) {
        this.type = Objects.requireNonNull(type, "type");
        this.title = Objects.requireNonNull(title, "title");
        this.status = status;
    }

    /** A problem of type {@code about:blank} whose title is the status's reason phrase. */
    public static ProblemJson of(int status) {
        return new ProblemJson(ABOUT_BLANK, title(status), status);
    }

    /** A problem with its own {@code type} URI reference and {@code title}. */
    public static ProblemJson of(String type, String title, int status) {
        return new ProblemJson(type, title, status);
    }

    /** The human-readable explanation of this occurrence; {@code null} leaves the member out. */
    public ProblemJson detail(String detail) {
        this.detail = detail;
        return this;
    }

    /** The URI reference of this occurrence (e.g. the request path); {@code null} leaves the member out. */
    public ProblemJson instance(String instance) {
        this.instance = instance;
        return this;
    }

    /** A string extension member (e.g. {@code request_id}); {@code null} leaves it out. */
    public ProblemJson member(String name, String value) {
        return put(name, value);
    }

    /** A number extension member. */
    public ProblemJson member(String name, long value) {
        return put(name, value);
    }

    /** An array-of-strings extension member (e.g. {@code errors}); {@code null} leaves it out. */
    public ProblemJson member(String name, Iterable<String> values) {
        return put(name, values);
    }

    private ProblemJson put(String name, Object value) {
        Objects.requireNonNull(name, "name");
        // A second "status" or "title" would make the document ambiguous (RFC 8259 §4: names SHOULD be unique).
        if (STANDARD.contains(name)) {
            throw new IllegalArgumentException("not an extension member: " + name);
        }
        if (value == null) {
            extensions.remove(name);
        } else {
            extensions.put(name, value);
        }
        return this;
    }

    /** The document as UTF-8 bytes, ready to be a response body. */
    public byte[] toBytes() {
        return toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The document as JSON text. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(96 + (detail == null ? 0 : detail.length()));
        sb.append("{\"type\":");
        appendString(sb, type);
        sb.append(",\"title\":");
        appendString(sb, title);
        sb.append(",\"status\":").append(status);
        if (detail != null) {
            sb.append(",\"detail\":");
            appendString(sb, detail);
        }
        if (instance != null) {
            sb.append(",\"instance\":");
            appendString(sb, instance);
        }
        for (Map.Entry<String, Object> e : extensions.entrySet()) {
            sb.append(',');
            appendString(sb, e.getKey());
            sb.append(':');
            appendValue(sb, e.getValue());
        }
        return sb.append('}').toString();
    }

    private static void appendValue(StringBuilder sb, Object value) {
        if (value instanceof Long n) {
            sb.append(n.longValue());
        } else if (value instanceof Iterable<?> values) {
            sb.append('[');
            boolean first = true;
            for (Object v : values) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                if (v == null) {
                    sb.append("null");
                } else {
                    appendString(sb, v.toString());
                }
            }
            sb.append(']');
        } else {
            appendString(sb, value.toString());
        }
    }

    /**
     * Appends {@code s} as a JSON string: {@code "} and {@code \} escaped, the control characters
     * (short forms where JSON has them), DEL, U+2028/U+2029 (line breaks to JavaScript) and unpaired
     * surrogates (not encodable as UTF-8: they would turn into {@code ?}) as {@code \}{@code uXXXX};
     * everything else, non-ASCII included, as itself.
     */
    public static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                        appendEscape(sb, c);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static void appendEscape(StringBuilder sb, char c) {
        String hex = Integer.toHexString(c);
        sb.append("\\u");
        for (int pad = hex.length(); pad < 4; pad++) {
            sb.append('0');
        }
        sb.append(hex);
    }

    /** The reason phrase of a status (RFC 9110 §15), for a problem's title. */
    public static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 410 -> "Gone";
            case 411 -> "Length Required";
            case 412 -> "Precondition Failed";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 416 -> "Range Not Satisfiable";
            case 417 -> "Expectation Failed";
            case 421 -> "Misdirected Request";
            case 422 -> "Unprocessable Content";
            case 426 -> "Upgrade Required";
            case 428 -> "Precondition Required";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> status >= 500 ? "Server Error" : "Client Error";
        };
    }
}
