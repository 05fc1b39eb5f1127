package io.vigil.identity.internal.http;

import io.vigil.identity.internal.ApiException;
import io.vigil.identity.internal.ApiException.FieldError;
import io.vigil.identity.internal.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Collects field errors of one request body and throws them together as one 422 problem. */
final class Validation {
    private static final Pattern EMAIL =
            Pattern.compile("^[^@\\s\\p{Cntrl}]{1,64}@[^@\\s\\p{Cntrl}]+\\.[^@\\s\\p{Cntrl}]{2,}$");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    private final List<FieldError> errors = new ArrayList<>();

    /** A normalised (trimmed, lower-case) email, or null after recording an error. */
    String email(String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                errors.add(new FieldError(field, "is required"));
            }
            return null;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.length() > 254 || !EMAIL.matcher(v).matches()) {
            errors.add(new FieldError(field, "must be a valid email address"));
            return null;
        }
        return v;
    }

    /** A trimmed, non-empty text of at most {@code max} characters without control characters. */
    String text(String field, String value, int max, boolean required) {
        if (value == null) {
            if (required) {
                errors.add(new FieldError(field, "is required"));
            }
            return null;
        }
        String v = value.trim();
        if (v.isEmpty()) {
            errors.add(new FieldError(field, "must not be empty"));
        } else if (v.length() > max) {
            errors.add(new FieldError(field, "must be at most " + max + " characters"));
        } else if (CONTROL.matcher(v).find()) {
            errors.add(new FieldError(field, "must not contain control characters"));
        }
        return v;
    }

    /** A required secret, bounded so that hashing cannot be made arbitrarily expensive. */
    String secret(String field, String value) {
        if (value == null || value.isEmpty()) {
            errors.add(new FieldError(field, "is required"));
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
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
    }
}
