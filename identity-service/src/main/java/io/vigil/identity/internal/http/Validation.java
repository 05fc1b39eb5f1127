package io.vigil.identity.internal.http;

import io.vigil.identity.internal.ApiException;
import io.vigil.identity.internal.ApiException.FieldError;
import io.vigil.identity.internal.Role;
import java.net.IDN;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Collects field errors of one request body and throws them together: characters that have no
 * place in the field (invalid Unicode, control and format characters) as one 400 problem
 * ({@code invalid-characters}), anything else as one 422 problem.
 */
final class Validation {
    private static final Pattern EMAIL =
            Pattern.compile("^[^@\\s\\p{Cntrl}]{1,64}@[^@\\s\\p{Cntrl}]+\\.[^@\\s\\p{Cntrl}]{2,}$");
    private static final int ZWNJ = 0x200C;
    private static final int ZWJ = 0x200D;

    private final List<FieldError> errors = new ArrayList<>();
    private final List<FieldError> characterErrors = new ArrayList<>();

    /**
     * A normalised (NFC, trimmed, lower-case) email, or null after recording an error. Invisible and
     * direction-changing characters (U+202E, U+200B, U+2028…) are refused: two addresses that look
     * the same must be the same address.
     */
    String email(String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                errors.add(new FieldError(field, "is required"));
            }
            return null;
        }
        if (!wellFormed(field, value)) {
            return null;
        }
        String v = Normalizer.normalize(value, Normalizer.Form.NFC).strip().toLowerCase(Locale.ROOT);
        if (v.codePoints().anyMatch(cp -> invisible(cp) || Character.isSpaceChar(cp))) {
            characterErrors.add(
                    new FieldError(field, "must not contain control, format, separator or unassigned characters"));
            return null;
        }
        v = mappedDomain(v);
        if (v == null || v.length() > 254 || !EMAIL.matcher(v).matches() || emptyDotPart(v)) {
            errors.add(new FieldError(field, "must be a valid email address"));
            return null;
        }
        return v;
    }

    /**
     * The address with its domain as IDNA maps it (fullwidth letters and the ideographic full stop to their ASCII
     * forms, compatibility characters to their canonical ones, labels of at most 63 octets), or {@code null} when the
     * domain is no domain name. {@code jane@ｅｘａｍｐｌｅ.com} was another account than {@code jane@example.com}, yet
     * mail to it is delivered to the same mailbox, the domain being resolved through that mapping.
     */
    private static String mappedDomain(String email) {
        int at = email.lastIndexOf('@');
        if (at <= 0 || at == email.length() - 1) {
            return null;
        }
        try {
            String ascii = IDN.toASCII(email.substring(at + 1), IDN.ALLOW_UNASSIGNED);
            return email.substring(0, at + 1)
                    + IDN.toUnicode(ascii, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Whether the local part or the domain has an empty dot-separated part: a leading, trailing or doubled dot. {@code
     * jane@example.com.} (a trailing dot) is another account than {@code jane@example.com} here, yet mail to it reaches
     * the same mailbox (the name is fully qualified): one mailbox held two accounts, and looked like the first one in
     * every list. RFC 5321 allows none of these in an address.
     */
    private static boolean emptyDotPart(String email) {
        int at = email.lastIndexOf('@');
        return emptyPart(email.substring(0, at)) || emptyPart(email.substring(at + 1));
    }

    private static boolean emptyPart(String dotted) {
        return dotted.startsWith(".") || dotted.endsWith(".") || dotted.contains("..");
    }

    /**
     * A trimmed, non-empty, NFC-normalised text of at most {@code max} characters without control
     * or format characters (the zero-width joiners some scripts need excepted).
     */
    String text(String field, String value, int max, boolean required) {
        if (value == null) {
            if (required) {
                errors.add(new FieldError(field, "is required"));
            }
            return null;
        }
        if (!wellFormed(field, value)) {
            return null;
        }
        String v = Normalizer.normalize(value, Normalizer.Form.NFC).strip();
        if (v.codePoints().anyMatch(Validation::controlOrFormat)) {
            characterErrors.add(new FieldError(field, "must not contain control or format characters"));
        } else if (v.isEmpty()) {
            errors.add(new FieldError(field, "must not be empty"));
        } else if (v.length() > max) {
            errors.add(new FieldError(field, "must be at most " + max + " characters"));
        }
        return v;
    }

    /** A required secret, bounded so that hashing cannot be made arbitrarily expensive. */
    String secret(String field, String value) {
        if (value == null || value.isEmpty()) {
            errors.add(new FieldError(field, "is required"));
            return null;
        }
        if (!wellFormed(field, value)) {
            return null;
        }
        if (value.length() > 1024) {
            errors.add(new FieldError(field, "is too long"));
        }
        return value;
    }

    Role role(String field, String value) {
        if (value == null) {
            return null;
        }
        return Role.parse(value).orElseGet(() -> {
            errors.add(new FieldError(field, "must be one of: admin, user"));
            return null;
        });
    }

    void done() {
        if (!characterErrors.isEmpty()) {
            throw new ApiException(
                    400,
                    "invalid-characters",
                    "Bad request",
                    "The request contains characters that are not allowed",
                    characterErrors,
                    Map.of());
        }
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
    }

    // JSON can carry an unpaired surrogate ("\ud800"), which no encoding can store: it would be
    // written as '?', and two different passwords would hash alike.
    private boolean wellFormed(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                characterErrors.add(new FieldError(field, "is not valid Unicode (unpaired surrogate)"));
                return false;
            }
        }
        return true;
    }

    private static boolean controlOrFormat(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> true;
            case Character.FORMAT -> cp != ZWNJ && cp != ZWJ;
            default -> false;
        };
    }

    private static boolean invisible(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL,
                    Character.FORMAT,
                    Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR,
                    Character.PRIVATE_USE,
                    Character.UNASSIGNED,
                    Character.SURROGATE -> true;
            default -> false;
        };
    }
}
