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
 *   <li>values of sensitive keys are replaced by {@value #REDACTED}: any key containing password,
 *       passwd, pwd, passphrase, passcode, secret ({@code client_secret}), token ({@code
 *       access_token}, {@code refresh_token}, {@code id_token}), api key, authorization, cookie,
 *       credential, private key, signing key, card number, credit card, cvv/cvc, ssn, national id or
 *       iban; and keys whose last word is {@code otp}, {@code totp}, {@code hotp}, {@code pin},
 *       {@code sig} or {@code signature} ({@code user.pin}, {@code X-Amz-Signature}, but not {@code
 *       spin} or {@code signature_algorithm}), or {@code code} after {@code otp}, {@code mfa}, {@code
 *       pin}, {@code sms} or {@code verification}. A plain {@code code} ({@code status_code}, {@code
 *       error_code}, {@code code.function}) is not a secret. Keys that only describe a secret
 *       ({@code token.type}, {@code pin_length}) are kept;
 *   <li>values of email keys are masked ({@code j***@example.com});
 *   <li>free text is searched for emails (masked), and redacted are: bearer/basic/digest
 *       credentials, JWTs, {@code password=…}-style assignments (and {@code otp=}, {@code pin=};
 *       {@code code=}, {@code sig=}, {@code signature=}, {@code X-Amz-Signature=} only as query or
 *       form parameters), PEM and OpenPGP private keys (to the end of the text if cut off), vendor
 *       credentials by their documented shapes — GitHub {@code ghp_ gho_ ghu_ ghs_ ghr_
 *       github_pat_}, GitLab {@code glpat-}, Stripe {@code sk_live_ sk_test_ rk_live_ rk_test_}
 *       (publishable {@code pk_} keys are public and kept), Slack {@code xox[abpors]-}, AWS access
 *       key ids {@code AKIA}/{@code ASIA}, Google API keys {@code AIza}, npm {@code npm_},
 *       OpenAI-style {@code sk-} keys of 32 or more characters that mix capitals, small letters and
 *       digits — card numbers (Luhn-checked) and national ids (US SSN, UK NINO). AWS secret access
 *       keys have no shape of their own: they are redacted as the value of a secret-named key
 *       ({@code aws_secret_access_key=…}).
 * </ul>
 *
 * <p>Every text rule has a cheap necessary condition (a prefix, a character class) checked in one
 * scan of the text before any pattern runs, so ids, numbers and ordinary messages cost no pattern.
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
            "passphrase",
            "passcode",
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
    /**
     * Credential names too short or too common to look for inside other names ({@code spin}, {@code
     * shipping}, {@code footprint}): a key is sensitive when its last word is one of these.
     */
    private static final Set<String> CREDENTIAL_WORDS = Set.of("otp", "totp", "hotp", "pin", "sig", "signature");
    /** Words that make a following {@code code} a one-time code ({@code mfa_code}, {@code otpCode}). */
    private static final Set<String> ONE_TIME_CODE_WORDS =
            Set.of("otp", "totp", "hotp", "mfa", "pin", "sms", "verification");

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

    /**
     * Scrubs a URL's query component, given without its {@code ?} ({@code url.query}, the query of {@code url.full}):
     * as {@link #scrubText(String)} does, with the first parameter read as a parameter too. Free text is only searched
     * for {@code code=}, {@code key=}, {@code auth=}, {@code sig=} and {@code signature=} after a {@code ?}, {@code &}
     * or {@code ;} (so a sentence's {@code key=value} survives), which a query's first parameter has not: {@code
     * key=AIza…} or {@code code=…} alone reached the span unscrubbed. Returns the same instance when nothing had to
     * change.
     */
    public String scrubQuery(String query) {
        if (query == null || query.isEmpty()) {
            return query;
        }
        String marked = "?" + query;
        String out = scrubText(marked);
        return out == marked ? query : out.substring(1);
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
        if (endsWithCredentialWord(key.substring(key.lastIndexOf('.') + 1))) {
            return KeyKind.SENSITIVE;
        }
        if (emailKeys.contains(last) || last.endsWith("email")) {
            return KeyKind.EMAIL;
        }
        return KeyKind.PLAIN;
    }

    /**
     * Whether the last word of {@code segment} (words split at non-letters-or-digits and at a capital
     * after a small letter) is a {@link #CREDENTIAL_WORDS credential word}, or {@code code} after a
     * {@link #ONE_TIME_CODE_WORDS one-time word}.
     */
    static boolean endsWithCredentialWord(String segment) {
        int end = segment.length();
        while (end > 0 && !Character.isLetterOrDigit(segment.charAt(end - 1))) {
            end--;
        }
        int start = wordStart(segment, end);
        String word = segment.substring(start, end).toLowerCase(Locale.ROOT);
        if (CREDENTIAL_WORDS.contains(word)) {
            return true;
        }
        if (!word.equals("code")) {
            return false;
        }
        int before = start;
        while (before > 0 && !Character.isLetterOrDigit(segment.charAt(before - 1))) {
            before--;
        }
        return before > 0
                && ONE_TIME_CODE_WORDS.contains(
                        segment.substring(wordStart(segment, before), before).toLowerCase(Locale.ROOT));
    }

    /** Where the word ending at {@code end} starts. */
    private static int wordStart(String s, int end) {
        int i = end;
        while (i > 0) {
            char c = s.charAt(i - 1);
            if (!Character.isLetterOrDigit(c)) {
                break;
            }
            // camelCase: a capital after a small letter begins a word ("otpCode", "userPin").
            if (Character.isUpperCase(c) && i - 1 > 0 && Character.isLowerCase(s.charAt(i - 2))) {
                return i - 1;
            }
            i--;
        }
        return i;
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
     * redacted whole. The domain is kept only when it is a domain name: dot-separated labels of letters, digits and
     * hyphens, the last of letters (or an {@code xn--} A-label), and no run of {@value #MAX_DOMAIN_DIGITS} digits or
     * more. Whatever else follows an {@code @} — an email field holding {@code a@b.example 4111 1111 1111 1111}, a
     * token, a password typed into the wrong field — was kept as the "domain" and reached every signal in clear.
     */
    public static String maskEmail(String email) {
        if (email == null) {
            return null;
        }
        int at = email.lastIndexOf('@');
        if (at <= 0 || !isDomainName(email, at + 1)) {
            return REDACTED;
        }
        // The first code point, whole: an address may start with a letter outside the BMP.
        return email.substring(0, email.offsetByCodePoints(0, 1)) + "***"
                + email.substring(at).toLowerCase(Locale.ROOT);
    }

    /** Digits in a row that make a domain no domain: a card number, an account or phone number, a timestamp. */
    private static final int MAX_DOMAIN_DIGITS = 8;

    /** Whether {@code s} from {@code from} to its end is a domain name (see {@link #maskEmail}). */
    private static boolean isDomainName(String s, int from) {
        int length = s.length() - from;
        if (length < 3 || length > 253) {
            return false;
        }
        int labels = 0;
        int labelStart = from;
        int digits = 0;
        for (int i = from; i <= s.length(); ) {
            int c = i < s.length() ? s.codePointAt(i) : '.';
            if (c == '.') {
                int labelLength = i - labelStart;
                if (labelLength == 0 || labelLength > 63 || s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') {
                    return false;
                }
                labels++;
                if (i == s.length()) {
                    return labels >= 2 && isTopLevelLabel(s, labelStart, i);
                }
                labelStart = i + 1;
                digits = 0;
            } else if (Character.isDigit(c)) {
                if (++digits >= MAX_DOMAIN_DIGITS) {
                    return false;
                }
            } else if (c == '-' || Character.isLetter(c)) {
                digits = 0;
            } else {
                return false;
            }
            i += Character.charCount(c);
        }
        return false;
    }

    /** A top-level label: letters only, at least two, or an IDNA A-label ({@code xn--…}). */
    private static boolean isTopLevelLabel(String s, int from, int to) {
        if (s.regionMatches(true, from, "xn--", 0, 4)) {
            return to - from > 4;
        }
        if (s.codePointCount(from, to) < 2) {
            return false;
        }
        for (int i = from; i < to; ) {
            int c = s.codePointAt(i);
            if (!Character.isLetter(c)) {
                return false;
            }
            i += Character.charCount(c);
        }
        return true;
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
