package io.vigil.core.internal;

import io.vigil.core.ScrubRule;
import io.vigil.core.Scrubber;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The contract's section 5 as text rules; each checks cheaply before it runs a pattern. */
public final class DefaultScrubRules {
    private DefaultScrubRules() {}

    /**
     * A PEM or OpenPGP private key ({@code -----BEGIN RSA PRIVATE KEY-----}, {@code -----BEGIN OPENSSH PRIVATE
     * KEY-----}, {@code -----BEGIN PGP PRIVATE KEY BLOCK-----}…) through its end line, or to the end of the text when
     * the value was cut off before it.
     */
    private static final Pattern PEM_PRIVATE_KEY = Pattern.compile(
            "-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)");
    /**
     * Vendor credentials by their documented shapes, each a whole token (nothing of the token's alphabet right before
     * or after it): GitHub ({@code ghp_ gho_ ghu_ ghs_ ghr_} + 36 or more base62, {@code github_pat_…}), GitLab
     * ({@code glpat-…}), Stripe secret and restricted keys ({@code sk_live_ sk_test_ rk_live_ rk_test_}; the
     * publishable {@code pk_} keys are public), Slack ({@code xoxa- xoxb- xoxp- xoxo- xoxr- xoxs-}), AWS access key
     * ids ({@code AKIA}/{@code ASIA} + 16 capitals or digits), Google API keys ({@code AIza} + 35), npm ({@code npm_}
     * + 36) and OpenAI-style keys ({@code sk-} + 32 or more, group 1: checked further by {@link #looksLikeKey}).
     * Every repetition is possessive and a match starts only where a token can start, so a long run is read once.
     */
    private static final Pattern VENDOR_TOKEN = Pattern.compile("(?<![A-Za-z0-9_-])(?:"
            + "gh[pousr]_[A-Za-z0-9]{36,251}+"
            + "|github_pat_[A-Za-z0-9_]{36,251}+"
            + "|glpat-[A-Za-z0-9_-]{20,251}+(?:\\.[A-Za-z0-9_-]++)*+"
            + "|[sr]k_(?:live|test)_[A-Za-z0-9]{16,251}+"
            + "|xox[abpors]-[A-Za-z0-9-]{10,251}+"
            + "|A(?:KIA|SIA)[A-Z0-9]{16}+"
            + "|AIza[A-Za-z0-9_-]{35}+"
            + "|npm_[A-Za-z0-9]{36}+"
            + "|(sk-[A-Za-z0-9_-]{32,}+)"
            + ")(?![A-Za-z0-9_-])");

    private static final Pattern AUTH_SCHEME =
            Pattern.compile("(?i)\\b(bearer|basic|digest)\\s+[A-Za-z0-9._~+/=:-]{4,}");
    /**
     * A JWT, or (group 1 absent) a run that starts like one and is not: such a run is consumed whole, so the
     * search goes on after it. Without that, every {@code eyJ} at a word boundary inside one long run (say
     * {@code -eyJ} repeated) rescanned the rest of the run: quadratic, minutes for 70 KB of log text. The
     * segments are possessive: none can hold a {@code .}, so giving characters back never finds one.
     */
    private static final Pattern JWT =
            Pattern.compile("\\beyJ(?:[A-Za-z0-9_-]{5,}+(\\.[A-Za-z0-9_-]{5,}+\\.[A-Za-z0-9_-]*+)?|[A-Za-z0-9_-]*+)");
    /**
     * {@code password=x}, {@code "token": "x"}, {@code api_key: x}, {@code ?secret=x&...}; and session ids ({@code
     * ;jsessionid=x}, {@code PHPSESSID=x}, {@code session_id=x}): a session cookie carried in a URL is as good as the
     * cookie.
     */
    private static final Pattern SECRET_ASSIGNMENT = Pattern.compile(
            "(?i)((?<![A-Za-z0-9_.-])[\"']?[A-Za-z0-9_.-]{0,40}(?:password|passwd|pwd|secret|token|api[_-]?key|authorization|cookie|credential|private[_-]?key|passphrase|passcode|sess(?:ion)?[_-]?id)[A-Za-z0-9_-]{0,40}[\"']?\\s*[:=]\\s*)(\"[^\"]*\"|'[^']*'|[^\\s&,;}\"']+)");

    /**
     * Credential parameters whose names are too short or too common to look for inside longer names: one-time
     * passwords and PINs under their own name or as the last part of one ({@code otp=}, {@code "pin": …}, {@code
     * user.pin=}, {@code mfa_otp_code=}; not {@code spin=} or {@code pin_length=}); and, in a query or a form only
     * (right after {@code ?}, {@code &} or {@code ;}, or a form's first parameter when another follows), an OAuth
     * authorization {@code code=}, URL signatures ({@code sig=} of Azure SAS, {@code signature=}, {@code
     * X-Amz-Signature=}, {@code X-Goog-Signature=}) and the bare {@code key=} and {@code auth=} that APIs take keys
     * and tokens in ({@code ?key=} of Google's APIs, {@code ?auth=} of Firebase's) — never {@code status_code=},
     * {@code error_code=} or {@code keyword=}. Group 1 is the name and separator, group 2 the value.
     */
    private static final Pattern CREDENTIAL_PARAMETER = Pattern.compile("(?i)("
            + "(?<![A-Za-z0-9_.-])[\"']?(?:[A-Za-z0-9_.-]{0,40}[._-])?(?:otp|totp|hotp|pin)(?:[_-]?code)?[\"']?\\s*[:=]\\s*"
            + "|(?<=[?&;])(?:code|sig|signature|x-amz-signature|x-goog-signature|key|auth)="
            + "|^code=(?=[^&\\s#]+&)"
            + ")(\"[^\"]*\"|'[^']*'|[^\\s&,;}\"'#]+)");

    /** Addresses with internationalised parts too ({@code mário@…}): letters, marks and digits of any script. */
    /*
     * A match starts only where the local part's run starts (or where the previous match ended, as before):
     * a start inside the run reaches the same '@' and fails the same way, but the search used to try every
     * one of them, each rescanning the run — quadratic on a long run of letters before an '@' (70 KB took
     * minutes). The local part is possessive: it cannot hold the '@', so giving characters back never helps.
     */
    private static final Pattern EMAIL = Pattern.compile(
            "(?:(?<![\\p{L}\\p{M}\\p{N}._%+-])|\\G)[\\p{L}\\p{M}\\p{N}._%+-]++@[\\p{L}\\p{M}\\p{N}.-]+\\.[\\p{L}\\p{M}]{2,}");

    private static final Pattern US_SSN = Pattern.compile("(?<![0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9])");
    private static final Pattern UK_NINO =
            Pattern.compile("\\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\\b");

    /** The default rules, in the order they run (the most specific first). */
    public static List<ScrubRule> all() {
        return List.of(
                DefaultScrubRules::privateKeys,
                DefaultScrubRules::authorizationSchemes,
                DefaultScrubRules::jwts,
                DefaultScrubRules::vendorTokens,
                DefaultScrubRules::secretAssignments,
                DefaultScrubRules::credentialParameters,
                DefaultScrubRules::emails,
                DefaultScrubRules::cardNumbers,
                DefaultScrubRules::nationalIds);
    }

    // Bits of candidates(): which default rule can change a text (a superset of each rule's own
    // pre-check, so a rule left out could not have changed it), and whether it holds % or +.
    static final int PEM = 1;
    static final int AUTH = 1 << 1;
    static final int JWT_BIT = 1 << 2;
    static final int VENDOR = 1 << 3;
    static final int SECRET = 1 << 4;
    static final int PARAMETER = 1 << 5;
    static final int EMAIL_BIT = 1 << 6;
    private static final int CARD_RULE = 7;
    static final int CARD_BIT = 1 << CARD_RULE;
    static final int NATIONAL_ID = 1 << 8;

    private static final int RULE_COUNT = 9;
    /** The text holds {@code %} or {@code +}: it may be URL-encoded. */
    public static final int ENCODED = 1 << RULE_COUNT;

    private static final int RULE_BITS = (1 << RULE_COUNT) - 1;
    private static final List<ScrubRule> RULES = all();

    /**
     * Runs the default rules in their order ({@link #all()}), each only when {@link
     * #candidates(String)} says it can change the text: one scan of the text decides, instead of a
     * pre-check pass per rule (up to ten passes over every value). Same result as applying {@link
     * #all()} one after the other, and the same instance when nothing changed.
     */
    public static String apply(String text) {
        return apply(text, candidates(text));
    }

    /** {@link #apply(String)} with the text's {@link #candidates(String)} already known. */
    public static String apply(String text, int candidates) {
        int m = candidates & RULE_BITS;
        if (m == 0) {
            return text;
        }
        String out = text;
        for (int r = 0; r < RULE_COUNT; r++) {
            if ((m & (1 << r)) == 0) {
                continue;
            }
            // The scan has found a Luhn-valid match already: the card rule goes straight to replacing.
            String next = r == CARD_RULE ? replaceCards(out) : RULES.get(r).apply(out);
            if (next != out) {
                // The text changed: what the later rules can match is decided on the new text.
                out = next;
                m = candidates(out) & RULE_BITS;
            }
        }
        return out;
    }

    /**
     * One pass over {@code text}: a bit per default rule whose cheap necessary condition holds (the
     * same conditions the rules check themselves — a PEM header, an authorization scheme word, {@code
     * eyJ}, a vendor token's prefix ({@link #vendorTokenAt}), an assignment with a secret stem or a credential
     * parameter's stem, {@code @}, a card number match that passes Luhn (checked
     * on each run of 13 or more digits where the run ends, as the card pattern would match it), an
     * SSN or NINO shape), plus
     * {@link #ENCODED}. Zero for almost every id, path, address and message.
     */
    public static int candidates(String text) {
        return nothingToLookAt(text) ? 0 : scan(text);
    }

    /** {@link #candidates} without the quick look first. */
    static int scan(String text) {
        int n = text.length();
        int mask = 0;
        boolean assignment = false;
        boolean ssnShape = false;
        boolean ninoShape = false;
        // A separator or capital a vendor token's prefix ends or starts with: the prefixes are looked at after the
        // loop, where a call costs nothing to the characters of ordinary text (inside the loop, it cost a path
        // holding a UUID half as much again).
        boolean vendorHint = false;
        // The current digit run (digits, single separators between them): its start and its digit
        // count, so that where a long one ends the card check looks at that run alone.
        int run = 0;
        int runStart = 0;
        int best = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int kind = c < 128 ? KIND[c] : 0;
            if (kind == DIGIT) {
                if (run == 0) {
                    runStart = i;
                }
                if (++run > best) {
                    best = run;
                }
                continue;
            }
            // Anything else but a single separator inside a digit run ends the run.
            if (run != 0 && !((c == ' ' || c == '-') && i + 1 < n && isDigit(text.charAt(i + 1)))) {
                if (run >= 13) {
                    mask |= cardsInRun(text, runStart, i, run);
                }
                run = 0;
            }
            // Dispatched on the class, not on the character: ids are hex, full of b, d and e.
            switch (kind) {
                case 0 -> {} // most letters: nothing starts here
                case LOWER -> {
                    if (c != 'e') {
                        mask |= scheme(text, i);
                    } else if (i + 2 < n && text.charAt(i + 1) == 'y' && text.charAt(i + 2) == 'J') {
                        mask |= JWT_BIT;
                    }
                }
                case UPPER -> {
                    if (c == 'B' || c == 'D') {
                        mask |= scheme(text, i);
                    } else if (c == 'P') {
                        mask |= pemAt(text, i);
                    } else if (c == 'A') {
                        vendorHint = vendorHint || awsOrGoogleKeyAt(text, i) != 0;
                    }
                    ninoShape = ninoShape || ninoAt(text, i);
                }
                default -> { // MARK
                    switch (c) {
                        case '-' -> {
                            ssnShape = ssnShape || ssnAt(text, i);
                            // glpat-, xox?-, sk-: never after the hex digit a UUID's dashes follow.
                            vendorHint = vendorHint
                                    || (i >= 2
                                            && (text.charAt(i - 1) == 'k'
                                                    || text.charAt(i - 1) == 't'
                                                    || (i >= 4 && text.charAt(i - 4) == 'x')));
                        }
                        // gh?_, sk_/rk_, npm_, github_: not the r_ or e_ of snake_case names.
                        case '_' -> vendorHint = vendorHint || (i >= 2 && underscorePrefixAt(text, i));
                        case '=', ':' -> assignment = true;
                        case '@' -> mask |= EMAIL_BIT;
                        case '%', '+' -> mask |= ENCODED;
                        default -> {} // a space
                    }
                }
            }
        }
        if (vendorHint && mayHoldVendorToken(text)) {
            mask |= VENDOR;
        }
        // The stems only matter next to an assignment, which few values hold: looked for only then.
        if (assignment) {
            if (containsSecretStem(text)) {
                mask |= SECRET;
            }
            if (containsParameterStem(text)) {
                mask |= PARAMETER;
            }
        }
        if (run >= 13) {
            mask |= cardsInRun(text, runStart, n, run);
        }
        if ((best >= 9 && ssnShape) || (best >= 6 && ninoShape)) {
            mask |= NATIONAL_ID;
        }
        return mask;
    }

    /**
     * Whether {@code text} is plain ASCII without a character any rule's condition starts from — no
     * capital letter (PEM, NINO, JWT's {@code eyJ}, a capitalised scheme, AWS and Google keys), no {@code r},
     * {@code s} or {@code g} (the schemes {@code bearer}, {@code basic}, {@code digest} need one, as do the
     * GitHub, GitLab, Stripe and OpenAI-style tokens), no {@code x} or {@code _} (Slack's {@code xox…-}, npm's
     * {@code npm_}), none of {@code =:@%+} — and without a digit run (digits, single separators between them, counted as {@link
     * #candidates} counts them) of 9 or more (an SSN or a card number needs one): then {@link
     * #candidates} is 0. Request and trace ids, addresses and numbers are such text; a scan without a
     * branch that depends on each character costs a fraction of the full one, which mispredicted on
     * every other character of a random hex id.
     */
    static boolean nothingToLookAt(String text) {
        int n = text.length();
        int run = 0;
        int best = 0;
        int previousDigit = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int k = QUICK[c & 0x7f] | ((c >> 7) << 2); // a non-ASCII character sets a bit above the two counted
            if ((k & ~(QUICK_DIGIT | QUICK_SEPARATOR)) != 0) {
                return false; // rarely taken in an id, and at once in text: the full scan follows
            }
            int digit = k & QUICK_DIGIT;
            // A separator after a digit keeps the run: a separator not followed by a digit ends it at the next
            // character without a digit counted in between, so the longest run is the one candidates() finds.
            // In arithmetic, not branches: whether a character of an id is a digit is a coin toss.
            int keep = digit | ((k >> 1) & previousDigit);
            run = (run + digit) & -keep;
            best = Math.max(best, run);
            previousDigit = digit;
        }
        return best < 9;
    }

    private static final byte QUICK_DIGIT = 1;
    private static final byte QUICK_SEPARATOR = 2;
    private static final byte QUICK_STOP = 4;
    private static final byte[] QUICK = new byte[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            QUICK[c] = QUICK_DIGIT;
        }
        QUICK[' '] = QUICK_SEPARATOR;
        QUICK['-'] = QUICK_SEPARATOR;
        for (char c = 'A'; c <= 'Z'; c++) {
            QUICK[c] = QUICK_STOP;
        }
        for (char c : "rsgx_=:@%+".toCharArray()) {
            QUICK[c] = QUICK_STOP;
        }
    }

    /** Whether the two characters before the {@code _} at {@code i} (at least 2) may end a vendor prefix. */
    private static boolean underscorePrefixAt(String t, int i) {
        char p = t.charAt(i - 1);
        char q = t.charAt(i - 2);
        return q == 'h' || p == 'k' || (p == 'm' && q == 'p') || (p == 'b' && q == 'u');
    }

    private static final byte DIGIT = 1;
    private static final byte MARK = 2;
    private static final byte LOWER = 3;
    private static final byte UPPER = 4;
    /**
     * Per ASCII character: a digit, punctuation a rule's necessary condition starts at ({@code
     * " -_=:@%+"}), {@code b d e}, a capital letter, or none of these (0).
     */
    private static final byte[] KIND = new byte[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            KIND[c] = DIGIT;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            KIND[c] = UPPER;
        }
        for (char c : " -_=:@%+".toCharArray()) {
            KIND[c] = MARK;
        }
        for (char c : "bde".toCharArray()) {
            KIND[c] = LOWER;
        }
    }

    private static int scheme(String t, int i) {
        // Hex ids are full of b and d: the second letter (e/a after b, i after d; or any non-ASCII
        // letter, which may fold to one, as the dotless i does) rules most of them out first.
        if (i + 1 >= t.length()) {
            return 0;
        }
        char second = t.charAt(i + 1);
        if (second < 128) {
            char lower = (char) (second | 0x20);
            boolean b = t.charAt(i) == 'b' || t.charAt(i) == 'B';
            if (b ? lower != 'e' && lower != 'a' : lower != 'i') {
                return 0;
            }
        }
        return t.regionMatches(true, i, "bearer", 0, 6)
                        || t.regionMatches(true, i, "basic", 0, 5)
                        || t.regionMatches(true, i, "digest", 0, 6)
                ? AUTH
                : 0;
    }

    private static boolean ssnAt(String t, int d) {
        return d >= 3
                && d + 7 < t.length()
                && t.charAt(d + 3) == '-'
                && isDigit(t.charAt(d - 3))
                && isDigit(t.charAt(d - 2))
                && isDigit(t.charAt(d - 1))
                && isDigit(t.charAt(d + 1))
                && isDigit(t.charAt(d + 2))
                && isDigit(t.charAt(d + 4))
                && isDigit(t.charAt(d + 5))
                && isDigit(t.charAt(d + 6))
                && isDigit(t.charAt(d + 7));
    }

    private static boolean ninoAt(String t, int i) {
        if (i + 2 >= t.length()) {
            return false;
        }
        char b = t.charAt(i + 1);
        if (b < 'A' || b > 'Z') {
            return false;
        }
        char c = t.charAt(i + 2);
        return isDigit(c) || (c == ' ' && i + 3 < t.length() && isDigit(t.charAt(i + 3)));
    }

    /** {@link #PEM} where a private key's armor line ends at {@code i} ({@code PRIVATE KEY-----}, {@code PRIVATE KEY BLOCK-----}). */
    private static int pemAt(String t, int i) {
        return t.startsWith("PRIVATE KEY", i) && (t.startsWith("-----", i + 11) || t.startsWith(" BLOCK-----", i + 11))
                ? PEM
                : 0;
    }

    /** {@link #VENDOR} where an AWS access key id ({@code AKIA}, {@code ASIA}) or a Google API key ({@code AIza}) may start at {@code i}. */
    private static int awsOrGoogleKeyAt(String t, int i) {
        return t.startsWith("KIA", i + 1) || t.startsWith("SIA", i + 1) || t.startsWith("Iza", i + 1) ? VENDOR : 0;
    }

    /**
     * {@link #VENDOR} where the {@code _} or {@code -} at {@code j} ends a vendor token's prefix: {@code gh?_},
     * {@code github_}, {@code sk_live_}/{@code rk_test_}…, {@code npm_}, {@code glpat-}, {@code xox?-}, {@code sk-}.
     * Dispatched on the character before it: the dashes of a UUID follow hex digits, which end no prefix but
     * Slack's {@code xoxa}/{@code xoxb}, told apart by the {@code x} three places earlier.
     */
    static int vendorTokenAt(String t, int j) {
        if (j < 2) {
            return 0;
        }
        char p = t.charAt(j - 1);
        boolean underscore = t.charAt(j) == '_';
        boolean found = switch (p) {
            case 'k' ->
                (t.charAt(j - 2) == 's' || t.charAt(j - 2) == 'r')
                        && (!underscore || t.startsWith("live_", j + 1) || t.startsWith("test_", j + 1));
            case 't' -> !underscore && j >= 5 && t.startsWith("glpa", j - 5);
            case 'm' -> underscore && j >= 3 && t.charAt(j - 3) == 'n' && t.charAt(j - 2) == 'p';
            case 'b' -> underscore ? j >= 6 && t.startsWith("githu", j - 6) : xoxAt(t, j);
            case 'a' -> !underscore && xoxAt(t, j);
            case 'p', 'o', 'u', 's', 'r' ->
                underscore ? j >= 3 && t.charAt(j - 3) == 'g' && t.charAt(j - 2) == 'h' : p != 'u' && xoxAt(t, j);
            default -> false;
        };
        return found ? VENDOR : 0;
    }

    /** Whether {@code xox} precedes the character before {@code j}. */
    private static boolean xoxAt(String t, int j) {
        return j >= 4 && t.charAt(j - 4) == 'x' && t.charAt(j - 3) == 'o' && t.charAt(j - 2) == 'x';
    }

    /** Whether any position holds a vendor token's prefix: the rule's own pre-check, as {@link #scan} checks it. */
    static boolean mayHoldVendorToken(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (((c == '_' || c == '-') && vendorTokenAt(t, i) != 0) || (c == 'A' && awsOrGoogleKeyAt(t, i) != 0)) {
                return true;
            }
        }
        return false;
    }

    static String vendorTokens(String text) {
        if (!mayHoldVendorToken(text)) {
            return text;
        }
        return replaceAll(
                VENDOR_TOKEN,
                text,
                m -> m.group(1) == null || looksLikeKey(m.group(1), 3) ? Scrubber.REDACTED : m.group());
    }

    /**
     * Whether the {@code sk-} candidate's body (from {@code from}) looks like generated key material rather than a
     * long hyphenated word ({@code sk-learn-…}): it holds OpenAI's marker {@code T3BlbkFJ} ("OpenAI" in base64), or
     * lower-case letters, capitals and digits all three. A random base62 body of 48 lacks one of them once in
     * 5,000; a slug of words has no capital and digit both.
     */
    static boolean looksLikeKey(String token, int from) {
        if (token.indexOf("T3BlbkFJ", from) >= 0) {
            return true;
        }
        boolean lower = false;
        boolean upper = false;
        boolean digit = false;
        for (int i = from; i < token.length(); i++) {
            char c = token.charAt(i);
            lower |= c >= 'a' && c <= 'z';
            upper |= c >= 'A' && c <= 'Z';
            digit |= c >= '0' && c <= '9';
        }
        return lower && upper && digit;
    }

    static String privateKeys(String text) {
        if (!text.contains("PRIVATE KEY-----") && !text.contains("PRIVATE KEY BLOCK-----")) {
            return text;
        }
        return replaceAll(PEM_PRIVATE_KEY, text, m -> Scrubber.REDACTED);
    }

    static String authorizationSchemes(String text) {
        if (indexOfIgnoreCase(text, "bearer") < 0
                && indexOfIgnoreCase(text, "basic") < 0
                && indexOfIgnoreCase(text, "digest") < 0) {
            return text;
        }
        return replaceAll(AUTH_SCHEME, text, m -> m.group(1) + " " + Scrubber.REDACTED);
    }

    static String jwts(String text) {
        if (!text.contains("eyJ")) {
            return text;
        }
        return replaceAll(JWT, text, m -> m.group(1) == null ? m.group() : Scrubber.REDACTED);
    }

    /**
     * Keys that describe a secret without holding one ({@code token.type}, {@code
     * password.operation.status}, {@code access_token_ttl}): their last segment, in lower-case
     * letters and digits only, ends with one of these.
     */
    private static final List<String> DESCRIPTIVE_SUFFIXES = List.of(
            "type",
            "status",
            "kind",
            "count",
            "total",
            "seconds",
            "ms",
            "operation",
            "policy",
            "strength",
            "length",
            "reason",
            "result",
            "valid",
            "expiry",
            "ttl",
            "expiresat",
            "issuedat",
            "changedat",
            "relevant");

    /** Stems of the secret keys the assignment pattern looks for; checked before it runs. */
    private static final String[] SECRET_STEMS = {
        "pass", "pwd", "secret", "token", "key", "auth", "cookie", "credential", "sess"
    };

    /** Whether a normalized key (lower-case letters and digits) only describes a secret. */
    public static boolean describesASecret(String normalizedKey) {
        for (String suffix : DESCRIPTIVE_SUFFIXES) {
            if (normalizedKey.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    static String secretAssignments(String text) {
        if ((text.indexOf('=') < 0 && text.indexOf(':') < 0) || !containsSecretStem(text)) {
            return text;
        }
        return replaceAll(SECRET_ASSIGNMENT, text, m -> {
            String key = m.group(1).replaceAll("[^A-Za-z0-9]", "").toLowerCase(java.util.Locale.ROOT);
            return describesASecret(key) ? m.group() : redactedValue(m);
        });
    }

    /**
     * A {@code name=value} match (name and separator in group 1, the value in group 2) with its value redacted, quotes
     * kept; as it was when the value is redacted already.
     */
    private static String redactedValue(java.util.regex.MatchResult m) {
        String value = m.group(2);
        if (value.equals(Scrubber.REDACTED) || value.equals("\"" + Scrubber.REDACTED + "\"")) {
            return m.group();
        }
        boolean quoted = value.startsWith("\"") || value.startsWith("'");
        return m.group(1) + (quoted ? value.charAt(0) + Scrubber.REDACTED + value.charAt(0) : Scrubber.REDACTED);
    }

    static String credentialParameters(String text) {
        if ((text.indexOf('=') < 0 && text.indexOf(':') < 0) || !containsParameterStem(text)) {
            return text;
        }
        return replaceAll(CREDENTIAL_PARAMETER, text, DefaultScrubRules::redactedValue);
    }

    /**
     * Whether the text holds what every name {@link #CREDENTIAL_PARAMETER} looks for holds, in any case: {@code otp}
     * or {@code pin} anywhere, {@code code} at the start or after {@code ?&;}, {@code key} and {@code auth} after
     * {@code ?&;}, {@code sig} after {@code ?&;-} (the
     * {@code -} of {@code X-Amz-Signature}); {@code status_code=200} and {@code signature_algorithm=…} are no
     * candidates. Looked for from the few places {@code String.indexOf} finds (a {@code p}, a separator), not by
     * a look at every character: that pass cost a 60-character log line with {@code =} a fifth more.
     */
    static boolean containsParameterStem(String t) {
        return otpOrPinAround(t, 'p')
                || otpOrPinAround(t, 'P')
                || startsWithAsciiIgnoreCase(t, 0, "code")
                || parameterAfter(t, '?')
                || parameterAfter(t, '&')
                || parameterAfter(t, ';')
                || parameterAfter(t, '-');
    }

    /** Whether an {@code ot} precedes or an {@code in} follows some {@code p} ({@code otp}, {@code pin}). */
    private static boolean otpOrPinAround(String t, char p) {
        int n = t.length();
        for (int i = t.indexOf(p); i >= 0; i = t.indexOf(p, i + 1)) {
            if ((i >= 2 && lowerAt(t, i - 2) == 'o' && lowerAt(t, i - 1) == 't')
                    || (i + 2 < n && lowerAt(t, i + 1) == 'i' && lowerAt(t, i + 2) == 'n')) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code sig} (or, after anything but {@code -}, {@code code}, {@code key} or {@code auth}) follows some
     * {@code separator}.
     */
    private static boolean parameterAfter(String t, char separator) {
        for (int i = t.indexOf(separator); i >= 0; i = t.indexOf(separator, i + 1)) {
            if (startsWithAsciiIgnoreCase(t, i + 1, "sig")
                    || (separator != '-'
                            && (startsWithAsciiIgnoreCase(t, i + 1, "code")
                                    || startsWithAsciiIgnoreCase(t, i + 1, "key")
                                    || startsWithAsciiIgnoreCase(t, i + 1, "auth")))) {
                return true;
            }
        }
        return false;
    }

    /** {@code t.regionMatches(true, i, lower, …)} for a small ASCII {@code lower}, folding ASCII only as {@code (?i)} does. */
    private static boolean startsWithAsciiIgnoreCase(String t, int i, String lower) {
        if (i + lower.length() > t.length()) {
            return false;
        }
        for (int k = 0; k < lower.length(); k++) {
            if (lowerAt(t, i + k) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The character at {@code i} with the ASCII case bit set: a capital ASCII letter becomes small, and nothing else
     * becomes an ASCII letter — as the patterns' {@code (?i)}, which folds ASCII only.
     */
    private static char lowerAt(String t, int i) {
        return (char) (t.charAt(i) | 0x20);
    }

    static String emails(String text) {
        if (text.indexOf('@') < 0) {
            return text;
        }
        return replaceAll(EMAIL, text, m -> Scrubber.maskEmail(m.group()));
    }

    /**
     * {@link #CARD_BIT} when a match of the card pattern in the digit run {@code [from, to)} of
     * {@code digits} digits passes Luhn. A run of 13–19 digits is the pattern's only match there
     * (it starts after a non-digit, the greedy repetitions take it whole, no digit follows), so its
     * Luhn check decides; a longer run is matched as the pattern would.
     */
    private static int cardsInRun(String text, int from, int to, int digits) {
        if (digits > 19) {
            return cardsIn(text, from, to);
        }
        return luhnValid(text, from, to) && !insideUuid(text, from, to) ? CARD_BIT : 0;
    }

    /** {@link #CARD_BIT} when a match of the card pattern inside the digit run {@code [from, to)} passes Luhn. */
    private static int cardsIn(String text, int from, int to) {
        for (int p = from; p < to; ) {
            int end = cardMatchEnd(text, p);
            if (end < 0) {
                p = nextCardStart(text, p + 1, to);
            } else if (luhnValid(text, p, end) && !insideUuid(text, p, end)) {
                return CARD_BIT;
            } else {
                p = nextCardStart(text, end, to);
            }
        }
        return 0;
    }

    static String cardNumbers(String text) {
        return replaceCards(text);
    }

    /**
     * The card rule: every match of {@code (?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])} (13–19
     * digits, single spaces or dashes between them, no digit right before or after) that passes
     * Luhn is redacted, unless it lies inside a UUID ({@link #insideUuid}). Matched by hand, exactly as {@link java.util.regex.Matcher#find()} would
     * find them one after the other (leftmost start, greedy, backing off to before a separator):
     * the pattern ran on every UUID-bearing value, whose {@code a716-446655440000} tail is such a
     * run, and the regular expression machinery cost more than the walk. {@code
     * DefaultScrubRulesTest} checks it against the pattern itself on random text.
     */
    static String replaceCards(String text) {
        int n = text.length();
        StringBuilder sb = null;
        int last = 0;
        for (int p = nextCardStart(text, 0, n); p < n; ) {
            int end = cardMatchEnd(text, p);
            if (end < 0) {
                p = nextCardStart(text, p + 1, n);
                continue;
            }
            if (luhnValid(text, p, end) && !insideUuid(text, p, end)) {
                if (sb == null) {
                    sb = new StringBuilder(n);
                }
                sb.append(text, last, p).append(Scrubber.REDACTED);
                last = end;
            }
            p = nextCardStart(text, end, n); // find() goes on from the end of the match
        }
        // Callers rely on getting the same instance back when nothing was sensitive.
        return sb == null ? text : sb.append(text, last, n).toString();
    }

    /**
     * Whether {@code [from, to)} lies inside a UUID in its canonical form (8-4-4-4-12 hex digits): no card
     * number is part of one, while one UUID in a few hundred has a Luhn-valid run of 13 or more digits (a
     * digit-only last group, and the digits before its dash) that the card pattern matches — redacting it
     * broke the very ids (user, request) that correlate the telemetry.
     */
    static boolean insideUuid(String t, int from, int to) {
        for (int a = Math.max(0, to - 36); a <= from && a + 36 <= t.length(); a++) {
            if (isUuidAt(t, a)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isUuidAt(String t, int a) {
        for (int i = 0; i < 36; i++) {
            char c = t.charAt(a + i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    /** The first position at or after {@code from} (before {@code to}) where a card match may start: a digit after a non-digit. */
    private static int nextCardStart(String t, int from, int to) {
        for (int p = from; p < to; p++) {
            if (isDigit(t.charAt(p)) && (p == 0 || !isDigit(t.charAt(p - 1)))) {
                return p;
            }
        }
        return to;
    }

    /**
     * Where the card pattern's match starting at {@code p} (a digit after a non-digit) ends, or -1:
     * each repetition of {@code [ -]?[0-9]} can go only one way (a digit, or a separator and a
     * digit), so the greedy match takes up to 18 of them and backs off from there until no digit
     * follows — which after 12 or more repetitions happens only just before a separator or where
     * the run ends.
     */
    private static int cardMatchEnd(String t, int p) {
        int n = t.length();
        int e = p + 1;
        int reps = 0;
        while (reps < 18) {
            int next;
            if (e < n && isDigit(t.charAt(e))) {
                next = e + 1;
            } else if (e + 1 < n && (t.charAt(e) == ' ' || t.charAt(e) == '-') && isDigit(t.charAt(e + 1))) {
                next = e + 2;
            } else {
                break;
            }
            reps++;
            e = next;
        }
        if (reps < 12) {
            return -1;
        }
        if (e >= n || !isDigit(t.charAt(e))) {
            return e; // the run ended (or the next character is a separator)
        }
        // 18 repetitions and the run goes on: back off one repetition at a time; a shorter match
        // can end only where its next character is not a digit, i.e. before a separator.
        while (reps > 12) {
            e = isDigit(t.charAt(e - 2)) ? e - 1 : e - 2; // drop the last repetition
            reps--;
            if (!isDigit(t.charAt(e))) {
                return e;
            }
        }
        return -1;
    }

    /**
     * Whether any stretch the card pattern matches passes the Luhn check: only then can the card
     * rule change anything, so ids with long digit runs (a UUID's last group, trace ids) never get
     * past it.
     */
    static boolean hasLuhnValidCandidate(String text) {
        return cardsIn(text, nextCardStart(text, 0, text.length()), text.length()) != 0;
    }

    /** Luhn over the digits of {@code text} from {@code from} to {@code to} (separators skipped), counted from the last. */
    private static boolean luhnValid(String text, int from, int to) {
        int sum = 0;
        boolean doubleIt = false;
        for (int i = to - 1; i >= from; i--) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                continue;
            }
            int d = c - '0';
            if (doubleIt) {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }
            sum += d;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }

    static String nationalIds(String text) {
        String out = text;
        if (longestDigitRun(out) >= 9 && mayHoldSsn(out)) {
            out = replaceAll(US_SSN, out, m -> Scrubber.REDACTED);
        }
        if (longestDigitRun(out) >= 6 && mayHoldNino(out)) {
            out = replaceAll(UK_NINO, out, m -> Scrubber.REDACTED);
        }
        return out;
    }

    /** Whether the text has the shape {@code ddd-dd-dddd} anywhere (the SSN pattern's necessary part). */
    static boolean mayHoldSsn(String t) {
        for (int d = t.indexOf('-'); d >= 0; d = t.indexOf('-', d + 1)) {
            if (d >= 3
                    && d + 7 < t.length()
                    && t.charAt(d + 3) == '-'
                    && isDigit(t.charAt(d - 3))
                    && isDigit(t.charAt(d - 2))
                    && isDigit(t.charAt(d - 1))
                    && isDigit(t.charAt(d + 1))
                    && isDigit(t.charAt(d + 2))
                    && isDigit(t.charAt(d + 4))
                    && isDigit(t.charAt(d + 5))
                    && isDigit(t.charAt(d + 6))
                    && isDigit(t.charAt(d + 7))) {
                return true;
            }
        }
        return false;
    }

    /** Whether two capital letters precede a digit (optionally after a space): a NINO's necessary start. */
    static boolean mayHoldNino(String t) {
        for (int i = 0; i + 2 < t.length(); i++) {
            char a = t.charAt(i);
            char b = t.charAt(i + 1);
            if (a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z') {
                char c = t.charAt(i + 2);
                if (isDigit(c) || (c == ' ' && i + 3 < t.length() && isDigit(t.charAt(i + 3)))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The longest run of digits in which single spaces or dashes may separate digits. */
    static int longestDigitRun(String text) {
        int best = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                run++;
                best = Math.max(best, run);
            } else if ((c == ' ' || c == '-')
                    && run > 0
                    && i + 1 < text.length()
                    && text.charAt(i + 1) >= '0'
                    && text.charAt(i + 1) <= '9') {
                continue; // a single separator inside the run
            } else {
                run = 0;
            }
        }
        return best;
    }

    private static boolean containsSecretStem(String text) {
        for (String stem : SECRET_STEMS) {
            if (indexOfIgnoreCase(text, stem) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static String replaceAll(Pattern p, String text, java.util.function.Function<Matcher, String> replacement) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        boolean changed = false;
        do {
            String replaced = replacement.apply(m);
            changed |= !replaced.equals(m.group());
            sb.append(text, last, m.start()).append(replaced);
            last = m.end();
        } while (m.find());
        // Callers rely on getting the same instance back when nothing was sensitive.
        return changed ? sb.append(text, last, text.length()).toString() : text;
    }

    private static int indexOfIgnoreCase(String text, String word) {
        int n = word.length();
        char lower = Character.toLowerCase(word.charAt(0));
        char upper = Character.toUpperCase(word.charAt(0));
        for (int i = 0; i + n <= text.length(); i++) {
            char c = text.charAt(i);
            if ((c == lower || c == upper) && text.regionMatches(true, i, word, 0, n)) {
                return i;
            }
        }
        return -1;
    }

    static boolean luhnValid(String candidate) {
        int sum = 0;
        boolean doubleIt = false;
        int digits = 0;
        for (int i = candidate.length() - 1; i >= 0; i--) {
            char c = candidate.charAt(i);
            if (c < '0' || c > '9') {
                continue;
            }
            int d = c - '0';
            if (doubleIt) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubleIt = !doubleIt;
            digits++;
        }
        return digits >= 13 && sum % 10 == 0;
    }
}
