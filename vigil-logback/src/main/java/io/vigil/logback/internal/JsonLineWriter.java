package io.vigil.logback.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * Writes one JSON object as UTF-8 bytes into a reusable buffer, escaping per RFC 8259.
 *
 * <p>Hand-written rather than Jackson's generator because the schema is flat and fixed: no object
 * graph, no generator/stream wrapping per event, and one reusable buffer per thread means the only
 * allocation per line is the final copy Logback's {@code Encoder} contract asks for.
 *
 * <p>Every control character (U+0000–U+001F, U+007F, and the C1 controls U+0080–U+009F), the bidirectional
 * formatting characters ({@link #displayControl}), the quote and the backslash are escaped, and
 * so are U+2028/U+2029 (line separators to some readers); an unpaired surrogate becomes U+FFFD, so
 * the output is always valid UTF-8 and user input can never end a line or a string early.
 */
public final class JsonLineWriter {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int MAX_RETAINED = 64 * 1024;

    private byte[] buf;
    private int len;
    private boolean firstField;

    public JsonLineWriter(int initialCapacity) {
        buf = new byte[initialCapacity];
    }

    /** Starts a new object, discarding what was written before. */
    public JsonLineWriter begin() {
        if (buf.length > MAX_RETAINED) {
            buf = new byte[MAX_RETAINED / 4]; // one huge stack trace must not pin memory forever
        }
        len = 0;
        firstField = true;
        writeByte('{');
        return this;
    }

    /** Closes the object and the line: {@code }\n}. */
    public JsonLineWriter end() {
        writeByte('}');
        writeByte('\n');
        return this;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    public int length() {
        return len;
    }

    public byte[] buffer() {
        return buf;
    }

    /** Writes {@code "key":} (with a leading comma when needed). */
    public JsonLineWriter key(String key) {
        if (!firstField) {
            writeByte(',');
        }
        firstField = false;
        writeString(key);
        writeByte(':');
        return this;
    }

    /** Writes a string field; a {@code null} value is written as JSON {@code null}. */
    public JsonLineWriter field(String key, String value) {
        key(key);
        if (value == null) {
            writeAscii("null");
        } else {
            writeString(value);
        }
        return this;
    }

    /**
     * Appends a field encoded beforehand by {@link #encodeField}/{@link #encodeKey} (it starts with
     * its comma, so it never comes first in an object).
     */
    public JsonLineWriter encoded(byte[] field) {
        firstField = false;
        writeRaw(field, 0, field.length);
        return this;
    }

    /** Appends bytes encoded beforehand as a whole JSON value (e.g. a quoted, escaped string). */
    public JsonLineWriter raw(byte[] value) {
        writeRaw(value, 0, value.length);
        return this;
    }

    /** {@code ,"key":"value"} as bytes, to append later with {@link #encoded}. */
    public static byte[] encodeField(String key, String value) {
        JsonLineWriter w = new JsonLineWriter(key.length() + (value == null ? 4 : value.length()) + 8);
        w.firstField = false;
        w.field(key, value);
        return w.toByteArray();
    }

    /** {@code ,"key":} as bytes: {@link #encoded} followed by {@link #value}. */
    public static byte[] encodeKey(String key) {
        JsonLineWriter w = new JsonLineWriter(key.length() + 4);
        w.firstField = false;
        w.key(key);
        return w.toByteArray();
    }

    /** Writes a value after {@link #key} or an encoded key, keeping its JSON type as {@link #typedField} does. */
    public JsonLineWriter value(Object value) {
        writeValue(value);
        return this;
    }

    /**
     * Writes a field keeping the value's JSON type: numbers stay numbers (non-finite ones become
     * strings), booleans stay booleans, anything else is written as its string form.
     */
    public JsonLineWriter typedField(String key, Object value) {
        key(key);
        writeValue(value);
        return this;
    }

    private void writeValue(Object value) {
        switch (value) {
            case null -> writeAscii("null");
            case String s -> writeString(s);
            case Integer i -> writeLong(i);
            case Long l -> writeLong(l);
            case Short s -> writeLong(s);
            case Byte b -> writeLong(b);
            case Boolean b -> writeAscii(b ? "true" : "false");
            case Double d -> writeDouble(d);
            case Float f -> writeDouble(f.doubleValue());
            case BigInteger bi -> writeAscii(bi.toString());
            case BigDecimal bd -> writeAscii(bd.toString());
            case java.util.concurrent.atomic.AtomicInteger ai -> writeLong(ai.get());
            case java.util.concurrent.atomic.AtomicLong al -> writeLong(al.get());
            default -> writeString(String.valueOf(value));
        }
    }

    private void writeDouble(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            writeString(Double.toString(d)); // JSON has no NaN/Infinity literals
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            writeLong((long) d);
            writeAscii(".0");
        } else {
            // Double.toString's digits (e.g. 0.0123 or 1.0E-5: both valid JSON numbers), through a reused builder:
            // StringBuilder.append(double) writes the same shortest representation without a String per number.
            StringBuilder sb = digits;
            if (sb == null) {
                sb = digits = new StringBuilder(32);
            }
            sb.setLength(0);
            sb.append(d);
            int n = sb.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[len++] = (byte) sb.charAt(i);
            }
        }
    }

    private StringBuilder digits;

    /** Writes a long in decimal without allocating. */
    public void writeLong(long v) {
        if (v == Long.MIN_VALUE) {
            writeAscii("-9223372036854775808");
            return;
        }
        if (v < 0) {
            writeByte('-');
            v = -v;
        }
        int digits = 1;
        for (long p = 10; p <= v && digits < 19; p *= 10) {
            digits++;
        }
        ensure(digits);
        for (int i = len + digits - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        len += digits;
    }

    /** Writes text known to be plain ASCII with nothing to escape (digits, literals). */
    public void writeAscii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    /**
     * Writes a quoted string known to hold lowercase hex digits only (trace and span ids from a valid span context):
     * copied in one go, where {@link #writeString} would test each character for escaping.
     */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): each char's low byte, exact for ASCII
    public void writeHex(String hex) {
        int n = hex.length();
        ensure(n + 2);
        buf[len++] = '"';
        hex.getBytes(0, n, buf, len);
        len += n;
        buf[len++] = '"';
    }

    /** Writes a quoted, escaped JSON string. */
    public void writeString(String s) {
        writeByte('"');
        writeEscaped(s);
        writeByte('"');
    }

    /** Writes the escaped content of a JSON string (no quotes). */
    public void writeEscaped(CharSequence s) {
        int n = s.length();
        ensure(n + 8);
        int i = 0;
        if (s instanceof String str) {
            // The common case, printable ASCII, in a tight loop over locals; the first character
            // that needs escaping or multi-byte UTF-8 hands over to the general loop below.
            byte[] b = buf;
            int l = len;
            for (; i < n; i++) {
                char c = str.charAt(i);
                if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                    break;
                }
                b[l++] = (byte) c;
            }
            len = l;
        }
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                if (len == buf.length) {
                    ensure(n - i + 8);
                }
                buf[len++] = (byte) c;
            } else {
                i = writeSpecial(s, i, c);
            }
        }
    }

    private int writeSpecial(CharSequence s, int i, char c) {
        ensure(12);
        switch (c) {
            case '"' -> escape('"');
            case '\\' -> escape('\\');
            case '\n' -> escape('n');
            case '\r' -> escape('r');
            case '\t' -> escape('t');
            case '\b' -> escape('b');
            case '\f' -> escape('f');
            default -> {
                if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || displayControl(c)) {
                    unicodeEscape(c);
                } else if (c < 0x800) {
                    buf[len++] = (byte) (0xc0 | (c >> 6));
                    buf[len++] = (byte) (0x80 | (c & 0x3f));
                } else if (Character.isHighSurrogate(c)
                        && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(i + 1));
                    buf[len++] = (byte) (0xf0 | (cp >> 18));
                    buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                    buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                    buf[len++] = (byte) (0x80 | (cp & 0x3f));
                    return i + 1;
                } else if (Character.isSurrogate(c)) {
                    unicodeEscape('\ufffd'); // unpaired surrogate: not encodable as UTF-8
                } else {
                    buf[len++] = (byte) (0xe0 | (c >> 12));
                    buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                    buf[len++] = (byte) (0x80 | (c & 0x3f));
                }
            }
        }
        return i;
    }

    /**
     * A character that steers the terminal or viewer showing the line rather than being text: a C1 control (U+0080 to
     * U+009F; U+009B is the 8-bit form of ESC [, which starts colour and cursor sequences, and a header's byte 0x9B
     * arrives as it) or a bidirectional formatting character (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
     * U+2069), which reorders the rest of the line on screen, so a logged value could make the fields after it read
     * otherwise. Written escaped, like C0 controls; the text a JSON reader gets back is the same.
     */
    public static boolean displayControl(char c) {
        return (c >= 0x80 && c <= 0x9f)
                || c == '\u061c'
                || c == '\u200e'
                || c == '\u200f'
                || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069');
    }

    private void escape(char c) {
        buf[len++] = '\\';
        buf[len++] = (byte) c;
    }

    private void unicodeEscape(char c) {
        buf[len++] = '\\';
        buf[len++] = 'u';
        buf[len++] = HEX[(c >> 12) & 0xf];
        buf[len++] = HEX[(c >> 8) & 0xf];
        buf[len++] = HEX[(c >> 4) & 0xf];
        buf[len++] = HEX[c & 0xf];
    }

    public void writeByte(int b) {
        ensure(1);
        buf[len++] = (byte) b;
    }

    /** Appends raw bytes (already valid JSON content). */
    public void writeRaw(byte[] bytes, int off, int n) {
        ensure(n);
        System.arraycopy(bytes, off, buf, len, n);
        len += n;
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }
}
