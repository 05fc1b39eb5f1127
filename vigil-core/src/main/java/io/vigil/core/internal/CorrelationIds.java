package io.vigil.core.internal;

/**
 * The contract's rule for a correlation id taken from outside (section 6): 1–64 characters of {@code
 * [A-Za-z0-9._-]}. One rule for every way in — vigil-http's {@code X-Request-ID}/{@code X-Correlation-ID},
 * vigil-kafka's {@code request_id}/{@code message_id} record headers — so an id refused at one door is refused at all.
 *
 * <p>This class is internal and may change without notice.
 */
public final class CorrelationIds {
    /** Longest accepted id. */
    public static final int MAX_LENGTH = 64;

    private CorrelationIds() {}

    /** Whether {@code id} may be taken over as it is. */
    public static boolean isValid(CharSequence id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (!allowed(id.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether the bytes {@code id} (e.g. a record header's value) are such an id in ASCII. */
    public static boolean isValid(byte[] id) {
        if (id == null || id.length == 0 || id.length > MAX_LENGTH) {
            return false;
        }
        for (byte b : id) {
            if (!allowed((char) b)) { // a byte past 0x7F turns into a char past 0xFF7F: not allowed
                return false;
            }
        }
        return true;
    }

    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '_'
                || c == '-';
    }
}
