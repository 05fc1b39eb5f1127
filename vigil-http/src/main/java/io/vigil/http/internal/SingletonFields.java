package io.vigil.http.internal;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Enumeration;

/**
 * Whether a request repeats, with different values, a header field that RFC 9110 allows once: {@code Content-Type}
 * (section 8.3) or {@code Authorization} (section 11.6.2). The servlet API's {@code getHeader} returns the first, so
 * a request with two was served as if the second did not exist, while a proxy or gateway in front may have read the
 * other one: a JSON body checked as text, or one token validated and another acted on. ({@code Host} and {@code
 * Content-Length} are Jetty's parser's to refuse, and it does.) Identical repeats read the same either way and pass.
 */
public final class SingletonFields {
    private static final String[][] FIELDS = {
        {"Content-Type", "8.3"},
        {"Authorization", "11.6.2"},
    };

    private SingletonFields() {}

    /** The detail for {@code request}'s first such field, naming it but never its values, or {@code null}. */
    public static String repeated(HttpServletRequest request) {
        for (String[] field : FIELDS) {
            Enumeration<String> values = request.getHeaders(field[0]);
            if (values == null || !values.hasMoreElements()) {
                continue;
            }
            String first = values.nextElement();
            int count = 1;
            boolean differ = false;
            while (values.hasMoreElements()) {
                count++;
                differ |= !first.equals(values.nextElement());
            }
            if (differ) {
                return "The request has " + count + " " + field[0] + " header fields with different values: a request"
                        + " may have one (RFC 9110, section " + field[1] + ")";
            }
        }
        return null;
    }
}
