package io.vigil.core.internal;

import java.util.function.UnaryOperator;

/**
 * Runs text rules on the URL-decoded form of a text and writes what they change back into the
 * text as it was: {@code /users/mario%40mushroom.example} becomes {@code
 * /users/m***%40mushroom.example}.
 *
 * <p>Decoding covers what an attacker (or an ordinary client) may send: {@code %XX} escapes in any
 * case, nested up to {@value #MAX_ROUNDS} times ({@code %2540} is {@code %40} is {@code @}), UTF-8
 * multi-byte sequences ({@code %C3%A1}), and {@code +} as a space (form encoding, in a second pass
 * so that {@code mario+tag@…} is still one address). Invalid escapes stay as they are.
 *
 * <p>Only the stretch from the first to the last changed character is replaced (shown decoded and
 * masked); everything before and after keeps its original encoding.
 */
public final class EncodedText {
    /** Decoding rounds for nested encodings; {@code %25252540} is still found, deeper is not. */
    static final int MAX_ROUNDS = 4;

    private EncodedText() {}

    /**
     * Applies {@code rules} to the decoded forms of {@code text} and splices their changes back;
     * returns {@code text} itself when there is nothing encoded or nothing to change. The caller
     * checks first that {@code text} holds a {@code %} or a {@code +}.
     */
    public static String scrub(String text, UnaryOperator<String> rules) {
        String out = text;
        if (out.indexOf('%') >= 0) {
            out = pass(out, false, rules);
        }
        if (out.indexOf('+') >= 0) {
            out = pass(out, true, rules);
        }
        return out;
    }

    private static String pass(String text, boolean plusIsSpace, UnaryOperator<String> rules) {
        Decoded decoded = decode(text, plusIsSpace);
        if (decoded == null) {
            return text;
        }
        String scrubbed = rules.apply(decoded.text);
        if (scrubbed.equals(decoded.text)) {
            return text;
        }
        return splice(text, decoded, scrubbed);
    }

    /** The decoded text, and for each of its chars the offset in the original where its source starts. */
    record Decoded(String text, int[] source) {}

    /** {@code text} decoded until no escape is left (at most {@link #MAX_ROUNDS}), or null if nothing decodes. */
    static Decoded decode(String text, boolean plusIsSpace) {
        Decoded result = null;
        String current = text;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Decoded next = decodeOnce(current, plusIsSpace && round == 0);
            if (next == null) {
                break;
            }
            if (result != null) {
                // Compose: a char of this round comes from a char of the previous round, which comes from the original.
                int[] composed = new int[next.source.length];
                for (int i = 0; i < composed.length; i++) {
                    composed[i] = result.source[next.source[i]];
                }
                next = new Decoded(next.text, composed);
            }
            result = next;
            current = next.text;
            if (current.indexOf('%') < 0) {
                break;
            }
        }
        return result;
    }

    private static Decoded decodeOnce(String s, boolean plusIsSpace) {
        int n = s.length();
        StringBuilder out = null;
        int[] source = null;
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            int consumed = 0;
            int codePoint = -1;
            if (c == '%') {
                int b = escapedByte(s, i);
                if (b >= 0 && b < 0x80) {
                    codePoint = b;
                    consumed = 3;
                } else if (b >= 0) {
                    long decoded = utf8(s, i, b);
                    if (decoded >= 0) {
                        codePoint = (int) decoded;
                        consumed = (int) (decoded >>> 32);
                    }
                }
            } else if (c == '+' && plusIsSpace) {
                codePoint = ' ';
                consumed = 1;
            }
            if (consumed == 0) {
                if (out != null) {
                    source[out.length()] = i;
                    out.append(c);
                }
                i++;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n);
                source = new int[n + 1];
                out.append(s, 0, i);
                for (int k = 0; k < i; k++) {
                    source[k] = k;
                }
            }
            int at = out.length();
            out.appendCodePoint(codePoint);
            for (int k = at; k < out.length(); k++) {
                source[k] = i; // both halves of a surrogate pair start at the sequence
            }
            i += consumed;
        }
        if (out == null) {
            return null;
        }
        int[] trimmed = new int[out.length() + 1];
        System.arraycopy(source, 0, trimmed, 0, out.length());
        trimmed[out.length()] = n;
        return new Decoded(out.toString(), trimmed);
    }

    /** The byte of the escape {@code %XX} at {@code i}, or -1. */
    private static int escapedByte(String s, int i) {
        if (i + 2 >= s.length()) {
            return -1;
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    /**
     * A UTF-8 sequence of escapes starting with lead byte {@code lead} at {@code i}: the code point
     * in the low 32 bits and the characters consumed in the high bits, or -1 when it is not valid
     * UTF-8 (overlong, a surrogate, out of range, truncated).
     */
    private static long utf8(String s, int i, int lead) {
        int length;
        int cp;
        int min;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
            cp = lead & 0x1F;
            min = 0x80;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            cp = lead & 0x0F;
            min = 0x800;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            cp = lead & 0x07;
            min = 0x10000;
        } else {
            return -1;
        }
        for (int k = 1; k < length; k++) {
            int at = i + 3 * k;
            if (at >= s.length() || s.charAt(at) != '%') {
                return -1;
            }
            int b = escapedByte(s, at);
            if (b < 0x80 || b > 0xBF) {
                return -1;
            }
            cp = cp << 6 | (b & 0x3F);
        }
        if (cp < min || cp > Character.MAX_CODE_POINT || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return -1;
        }
        return (long) (3 * length) << 32 | cp;
    }

    /**
     * The original text with the changed stretch of the decoded text replaced: what precedes the
     * first difference and follows the last keeps its original (encoded) form.
     */
    static String splice(String original, Decoded decoded, String scrubbed) {
        String d = decoded.text;
        int max = Math.min(d.length(), scrubbed.length());
        int prefix = 0;
        while (prefix < max && d.charAt(prefix) == scrubbed.charAt(prefix)) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < max - prefix
                && d.charAt(d.length() - 1 - suffix) == scrubbed.charAt(scrubbed.length() - 1 - suffix)) {
            suffix++;
        }
        // Never split a surrogate pair between the kept and the replaced part.
        if (prefix > 0 && Character.isHighSurrogate(d.charAt(prefix - 1))) {
            prefix--;
        }
        if (suffix > 0 && Character.isLowSurrogate(d.charAt(d.length() - suffix))) {
            suffix--;
        }
        int[] source = decoded.source;
        return original.substring(0, source[prefix])
                + scrubbed.substring(prefix, scrubbed.length() - suffix)
                + original.substring(source[d.length() - suffix]);
    }
}
