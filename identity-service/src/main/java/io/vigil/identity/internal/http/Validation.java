package io.vigil.identity.internal.http;

import io.vigil.identity.internal.ApiException;
import io.vigil.identity.internal.ApiException.FieldError;
import io.vigil.identity.internal.EmailAddress;
import io.vigil.identity.internal.Role;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects field errors of one request body and throws them together: characters that have no
 * place in the field (invalid Unicode, control and format characters) as one 400 problem
 * ({@code invalid-characters}), anything else as one 422 problem.
 */
final class Validation {
    private static final int ZWNJ = 0x200C;
    private static final int ZWJ = 0x200D;

    private final List<FieldError> errors = new ArrayList<>();
    private final List<FieldError> characterErrors = new ArrayList<>();

    /**
     * The email as {@link EmailAddress#normalise} gives it (the one normalisation that login and every lookup use too),
     * or null after recording an error: invisible or space characters are a 400, anything not shaped like an address
     * a 422.
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
        EmailAddress.Normalised n = EmailAddress.normalise(value);
        switch (n.outcome()) {
            case OK -> {
                return n.value();
            }
            case INVALID_CHARACTERS ->
                characterErrors.add(
                        new FieldError(field, "must not contain control, format, separator or unassigned characters"));
            case MALFORMED -> errors.add(new FieldError(field, "must be a valid email address"));
        }
        return null;
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

    private boolean wellFormed(String field, String value) {
        if (EmailAddress.wellFormed(value)) {
            return true;
        }
        characterErrors.add(new FieldError(field, "is not valid Unicode (unpaired surrogate)"));
        return false;
    }

    private static boolean controlOrFormat(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> true;
            case Character.FORMAT -> cp != ZWNJ && cp != ZWJ;
            default -> false;
        };
    }
}
