package io.vigil.test;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Undoes URL encoding the way a reader of telemetry would, for privacy sweeps: a value that must
 * appear nowhere must not appear after decoding either ({@code mario%40…}, {@code mario%2540…}).
 */
public final class UrlDecoding {
    private static final Pattern ESCAPES = Pattern.compile("(?:%[0-9A-Fa-f]{2})+");
    private static final int LAYERS = 4;

    private UrlDecoding() {}

    /**
     * {@code text} with runs of {@code %XX} escapes decoded as UTF-8, repeatedly (nested encodings),
     * leniently: anything that is not an escape stays as it is, {@code +} included.
     */
    public static String everyLayer(String text) {
        String out = text;
        for (int layer = 0; layer < LAYERS && out.indexOf('%') >= 0; layer++) {
            Matcher m = ESCAPES.matcher(out);
            StringBuilder sb = new StringBuilder(out.length());
            while (m.find()) {
                String escapes = m.group();
                byte[] bytes = new byte[escapes.length() / 3];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) Integer.parseInt(escapes.substring(3 * i + 1, 3 * i + 3), 16);
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(new String(bytes, StandardCharsets.UTF_8)));
            }
            out = m.appendTail(sb).toString();
        }
        return out;
    }
}
