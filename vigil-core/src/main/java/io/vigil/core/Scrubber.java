package io.vigil.core;

import io.vigil.core.internal.DefaultScrubRules;
import io.vigil.core.internal.EncodedText;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The privacy rules of the telemetry contract (section 5), in one place for every signal: span
 * attributes and events, log messages and fields, exception messages and stack traces.
 *
 * <ul>
 *   <li>values of sensitive keys (password, token, secret, api key, authorization, cookie,
 *       credential, private key, card number, national id…) are replaced by {@value #REDACTED};
 *   <li>values of email keys are masked ({@code j***@example.com});
 *   <li>free text is searched for emails (masked), bearer/basic credentials, JWTs, {@code
 *       password=…}-style assignments, PEM private keys, card numbers (Luhn-checked) and national
 *       ids (US SSN, UK NINO), which are redacted.
 * </ul>
 *
 * <p>Immutable and thread-safe. {@link #defaults()} is what Vigil uses unless configured otherwise;
 * {@link #builder()} adds rules and keys on top of the defaults.
 */
public final class Scrubber {
    /** What a redacted value is replaced with. */
    public static final String REDACTED = "[REDACTED]";

    private static final Set<String> DEFAULT_SENSITIVE_KEY_PARTS = Set.of(
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "apikey",
            "authorization",
            "cookie",
            "credential",
            "privatekey",
            "cardnumber",
            "creditcard",
            "cvv",
            "cvc",
            "ssn",
            "nationalid",
            "iban",
            "signingkey");
    private static final Set<String> DEFAULT_EMAIL_KEYS = Set.of("email", "emailaddress", "mail");

    private static final Scrubber DEFAULTS = builder().build();
    private static final int MAX_CACHED_KEYS = 4096;

    private enum KeyKind {
        SENSITIVE,
        EMAIL,
        PLAIN
    }

    private final List<ScrubRule> extraRules;
    private final Set<String> sensitiveKeyParts;
    private final Set<String> emailKeys;
    private final Set<String> allowedKeys;
    // Attribute and field keys are a small, fixed vocabulary: classify each once.
    private final ConcurrentHashMap<String, KeyKind> keyKinds = new ConcurrentHashMap<>();

    private Scrubber(Builder b) {
        // The builder starts from the defaults, which run as one (DefaultScrubRules.apply); the rest after them.
        this.extraRules = List.copyOf(b.rules.subList(DefaultScrubRules.all().size(), b.rules.size()));
        this.sensitiveKeyParts = Set.copyOf(b.sensitiveKeyParts);
        this.emailKeys = Set.copyOf(b.emailKeys);
        this.allowedKeys = Set.copyOf(b.allowedKeys);
    }

    /** The contract's rules. */
    public static Scrubber defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the contract's rules. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Scrubs free text; returns the same instance when nothing had to change.
     *
     * <p>Text holding {@code %} or {@code +} is also scrubbed in its URL-decoded form (escapes in
     * any case, nested, UTF-8; {@code +} as a space), and what the rules change there is written
     * back in place: {@code /users/mario%40mushroom.example} becomes {@code
     * /users/m***%40mushroom.example}. The stretch between the first and the last change appears
     * decoded; the text before and after keeps its encoding.
     */
    public String scrubText(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        // One scan decides which default rules can match and whether the text may be URL-encoded.
        int candidates = DefaultScrubRules.candidates(text);
        String out = applyExtraRules(DefaultScrubRules.apply(text, candidates));
        // Decoding stays off the common path: most text has neither % nor +.
        boolean encoded = out == text
                ? (candidates & DefaultScrubRules.ENCODED) != 0
                : out.indexOf('%') >= 0 || out.indexOf('+') >= 0;
        if (encoded) {
            out = EncodedText.scrub(out, this::applyRules);
        }
        return out;
    }

    private String applyRules(String text) {
        return applyExtraRules(DefaultScrubRules.apply(text));
    }

    /** The rules added to the defaults, in the order they were added. */
    private String applyExtraRules(String text) {
        String out = text;
        for (ScrubRule rule : extraRules) {
            out = rule.apply(out);
        }
        return out;
    }

    /**
     * Scrubs one keyed value: redacted under a sensitive key, masked under an email key, otherwise
     * strings are scrubbed as text and other values (numbers, booleans) returned as they are.
     */
    public Object scrubValue(String key, Object value) {
        if (value == null) {
            return null;
        }
        return switch (kindOf(key)) {
            case SENSITIVE -> REDACTED;
            case EMAIL -> value instanceof String s ? maskEmail(s) : REDACTED;
            case PLAIN -> value instanceof String s ? scrubText(s) : value;
        };
    }

    /** {@link #scrubValue(String, Object)} for strings. */
    public String scrubValue(String key, String value) {
        return (String) scrubValue(key, (Object) value);
    }

    /** Whether values under {@code key} are always redacted. */
    public boolean isSensitiveKey(String key) {
        return kindOf(key) == KeyKind.SENSITIVE;
    }

    private KeyKind kindOf(String key) {
        if (key == null) {
            return KeyKind.PLAIN;
        }
        KeyKind kind = keyKinds.get(key);
        if (kind == null) {
            kind = classify(key);
            if (keyKinds.size() < MAX_CACHED_KEYS) {
                keyKinds.put(key, kind);
            }
        }
        return kind;
    }

    private KeyKind classify(String key) {
        if (allowedKeys.contains(key)) {
            return KeyKind.PLAIN;
        }
        // "user.email", "X-Api-Key", "refresh_token", "newPassword": compare letters only.
        String last = letters(key.substring(key.lastIndexOf('.') + 1));
        if (DefaultScrubRules.describesASecret(last)) {
            return KeyKind.PLAIN;
        }
        String normalized = letters(key);
        for (String part : sensitiveKeyParts) {
            if (normalized.contains(part)) {
                return KeyKind.SENSITIVE;
            }
        }
        if (emailKeys.contains(last) || last.endsWith("email")) {
            return KeyKind.EMAIL;
        }
        return KeyKind.PLAIN;
    }

    private static String letters(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }

    /**
     * Masks an email address as {@code j***@example.com}; anything that is not an address is
     * redacted whole.
     */
    public static String maskEmail(String email) {
        if (email == null) {
            return null;
        }
        int at = email.lastIndexOf('@');
        if (at <= 0 || at == email.length() - 1) {
            return REDACTED;
        }
        // The first code point, whole: an address may start with a letter outside the BMP.
        return email.substring(0, email.offsetByCodePoints(0, 1)) + "***"
                + email.substring(at).toLowerCase(Locale.ROOT);
    }

    /** Builds a {@link Scrubber} from the defaults plus what is added. */
    public static final class Builder {
        private final List<ScrubRule> rules = new ArrayList<>(DefaultScrubRules.all());
        private final Set<String> sensitiveKeyParts = new LinkedHashSet<>(DEFAULT_SENSITIVE_KEY_PARTS);
        private final Set<String> emailKeys = new LinkedHashSet<>(DEFAULT_EMAIL_KEYS);
        private final Set<String> allowedKeys = new LinkedHashSet<>();

        Builder() {}

        /** Adds a text rule, run after the defaults. */
        public Builder addRule(ScrubRule rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /** Values under any key containing {@code part} (letters and digits, any case) are redacted. */
        public Builder addSensitiveKeyPart(String part) {
            String p = part.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
            if (p.isEmpty()) {
                throw new IllegalArgumentException("sensitive key part must contain letters or digits: " + part);
            }
            sensitiveKeyParts.add(p);
            return this;
        }

        /** Values under {@code key} are masked as email addresses. */
        public Builder addEmailKey(String key) {
            emailKeys.add(key.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", ""));
            return this;
        }

        /**
         * Exempts one exact key from key-based redaction (its value is still scrubbed as text) —
         * for names such as {@code token.type} whose values are not secrets.
         */
        public Builder allowKey(String key) {
            allowedKeys.add(Objects.requireNonNull(key, "key"));
            return this;
        }

        /** The immutable, thread-safe scrubber; the builder itself is not thread-safe. */
        public Scrubber build() {
            return new Scrubber(this);
        }
    }
}
