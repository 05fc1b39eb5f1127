package io.vigil.http.internal;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Whether a request's raw query string decodes: every {@code %} starts a {@code %XX} escape, and the bytes each name
 * and value decode to are UTF-8. Javalin (like {@code URLDecoder} callers generally) drops a parameter it cannot decode
 * and reads bytes that are not UTF-8 as U+FFFD, so such a request was answered as if the parameter had not been sent,
 * or had another value.
 */
public final class QueryStrings {
    // A parameter name longer than this, or with control characters, is not repeated in the detail.
    private static final int MAX_NAME = 40;
    private static final String BAD_ESCAPE = "is not valid percent-encoding (a % must start %XX)";
    private static final String NOT_UTF8 = "is not UTF-8 once percent-decoded";

    private QueryStrings() {}

    /**
     * The detail for a malformed {@code query} (the raw query string, without {@code ?}), naming the parameter when its
     * name decodes and is short, or {@code null} when it decodes. Pairs are split at {@code &}, then at the first
     * {@code =}, as Javalin splits them.
     */
    public static String malformed(String query) {
        // Jetty hands the query over as the request's bytes read as UTF-8, with U+FFFD for bytes that were not: with
        // neither an escape nor a replacement there is nothing to decode wrongly (the fast path of every request).
        if (query == null || (query.indexOf('%') < 0 && query.indexOf('\uFFFD') < 0)) {
            return null;
        }
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String fault = fault(name);
            if (fault != null) {
                return "A query parameter name " + fault;
            }
            fault = eq < 0 ? null : fault(pair.substring(eq + 1));
            if (fault != null) {
                return shown(name) + " " + fault;
            }
        }
        return null;
    }

    private static String fault(String component) {
        if (component.indexOf('\uFFFD') >= 0) {
            return NOT_UTF8; // a byte sent unescaped that was not UTF-8 (Jetty's replacement)
        }
        if (component.indexOf('%') < 0) {
            return null;
        }
        // As bytes: the escapes are ASCII, and an escaped byte may continue a character sent unescaped.
        byte[] raw = component.getBytes(StandardCharsets.UTF_8);
        byte[] decoded = new byte[raw.length];
        int n = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] != '%') {
                decoded[n++] = raw[i];
                continue;
            }
            int high = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
            int low = high < 0 ? -1 : Character.digit(raw[i + 2], 16);
            if (low < 0) {
                return BAD_ESCAPE;
            }
            decoded[n++] = (byte) (high << 4 | low);
            i += 2;
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(decoded, 0, n));
            return null;
        } catch (CharacterCodingException e) {
            return NOT_UTF8;
        }
    }

    /** {@code Query parameter 'name'}, or a phrase without the name when it is long or has control characters. */
    private static String shown(String rawName) {
        String name = URLDecoder.decode(rawName, StandardCharsets.UTF_8); // it decodes: checked first
        if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return "A query parameter's value";
        }
        return "Query parameter '" + name + "'";
    }
}
