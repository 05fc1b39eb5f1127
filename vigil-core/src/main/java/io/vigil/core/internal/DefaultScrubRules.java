package io.vigil.core.internal;

import io.vigil.core.ScrubRule;
import io.vigil.core.Scrubber;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The contract's section 5 as text rules; each checks cheaply before it runs a pattern. */
public final class DefaultScrubRules {
    private DefaultScrubRules() {}

    private static final Pattern PEM_PRIVATE_KEY =
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)");
    private static final Pattern AUTH_SCHEME =
            Pattern.compile("(?i)\\b(bearer|basic|digest)\\s+[A-Za-z0-9._~+/=:-]{4,}");
    private static final Pattern JWT = Pattern.compile("\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*");
    /** {@code password=x}, {@code "token": "x"}, {@code api_key: x}, {@code ?secret=x&...}. */
    private static final Pattern SECRET_ASSIGNMENT = Pattern.compile(
            "(?i)((?<![A-Za-z0-9_.-])[\"']?[A-Za-z0-9_.-]{0,40}(?:password|passwd|pwd|secret|token|api[_-]?key|authorization|cookie|credential|private[_-]?key)[A-Za-z0-9_-]{0,40}[\"']?\\s*[:=]\\s*)(\"[^\"]*\"|'[^']*'|[^\\s&,;}\"']+)");

    /** Addresses with internationalised parts too ({@code mário@…}): letters, marks and digits of any script. */
    private static final Pattern EMAIL =
            Pattern.compile("[\\p{L}\\p{M}\\p{N}._%+-]+@[\\p{L}\\p{M}\\p{N}.-]+\\.[\\p{L}\\p{M}]{2,}");

    private static final Pattern CARD = Pattern.compile("(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])");
    private static final Pattern US_SSN = Pattern.compile("(?<![0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9])");
    private static final Pattern UK_NINO =
            Pattern.compile("\\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\\b");

    /** The default rules, in the order they run (the most specific first). */
    public static List<ScrubRule> all() {
        return List.of(
                DefaultScrubRules::privateKeys,
                DefaultScrubRules::authorizationSchemes,
                DefaultScrubRules::jwts,
                DefaultScrubRules::secretAssignments,
                DefaultScrubRules::emails,
                DefaultScrubRules::cardNumbers,
                DefaultScrubRules::nationalIds);
    }

    // Bits of candidates(): which default rule can change a text (a superset of each rule's own
    // pre-check, so a rule left out could not have changed it), and whether it holds % or +.
    static final int PEM = 1;
    static final int AUTH = 1 << 1;
    static final int JWT_BIT = 1 << 2;
    static final int SECRET = 1 << 3;
    static final int EMAIL_BIT = 1 << 4;
    static final int CARD_BIT = 1 << 5;
    static final int NATIONAL_ID = 1 << 6;
    /** The text holds {@code %} or {@code +}: it may be URL-encoded. */
    public static final int ENCODED = 1 << 7;

    private static final int RULE_BITS = (1 << 7) - 1;
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
        for (int r = 0; r < 7; r++) {
            if ((m & (1 << r)) == 0) {
                continue;
            }
            // The scan has measured the digit runs already: the card rule goes straight to Luhn.
            String next = r == 5 ? cardNumbersAfterScan(out) : RULES.get(r).apply(out);
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
     * eyJ}, an assignment with a secret stem, {@code @}, a 13-digit run, an SSN or NINO shape), plus
     * {@link #ENCODED}. Zero for almost every id, path, address and message.
     */
    public static int candidates(String text) {
        int n = text.length();
        int mask = 0;
        boolean assignment = false;
        boolean ssnShape = false;
        boolean ninoShape = false;
        int run = 0;
        int best = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int kind = c < 128 ? KIND[c] : 0;
            if (kind == DIGIT) {
                if (++run > best) {
                    best = run;
                }
                continue;
            }
            if (kind == 0) { // most letters: nothing starts here
                run = 0;
                continue;
            }
            if (!((c == ' ' || c == '-') && run > 0 && i + 1 < n && isDigit(text.charAt(i + 1)))) {
                run = 0; // not a single separator inside a digit run
            }
            switch (c) {
                case '-' -> ssnShape = ssnShape || ssnAt(text, i);
                case '=', ':' -> assignment = true;
                case '@' -> mask |= EMAIL_BIT;
                case '%', '+' -> mask |= ENCODED;
                case 'b', 'd' -> mask |= scheme(text, i);
                case 'e' -> {
                    if (i + 2 < n && text.charAt(i + 1) == 'y' && text.charAt(i + 2) == 'J') {
                        mask |= JWT_BIT;
                    }
                }
                default -> { // A-Z
                    if (c == 'B' || c == 'D') {
                        mask |= scheme(text, i);
                    } else if (c == 'P' && text.startsWith("PRIVATE KEY-----", i)) {
                        mask |= PEM;
                    }
                    ninoShape = ninoShape || ninoAt(text, i);
                }
            }
        }
        // The stems only matter next to an assignment, which few values hold: looked for only then.
        if (assignment && containsSecretStem(text)) {
            mask |= SECRET;
        }
        if (best >= 13) {
            mask |= CARD_BIT;
        }
        if ((best >= 9 && ssnShape) || (best >= 6 && ninoShape)) {
            mask |= NATIONAL_ID;
        }
        return mask;
    }

    private static final byte DIGIT = 1;
    private static final byte MARK = 2;
    /** Per ASCII character: a digit, a character a rule's necessary condition starts at, or neither (0). */
    private static final byte[] KIND = new byte[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            KIND[c] = DIGIT;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            KIND[c] = MARK;
        }
        for (char c : " -=:@%+bde".toCharArray()) {
            KIND[c] = MARK;
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

    static String privateKeys(String text) {
        if (!text.contains("PRIVATE KEY-----")) {
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
        return replaceAll(JWT, text, m -> Scrubber.REDACTED);
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
        "pass", "pwd", "secret", "token", "key", "auth", "cookie", "credential"
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
            if (describesASecret(key)) {
                return m.group();
            }
            String value = m.group(2);
            if (value.equals(Scrubber.REDACTED) || value.equals("\"" + Scrubber.REDACTED + "\"")) {
                return m.group();
            }
            boolean quoted = value.startsWith("\"") || value.startsWith("'");
            return m.group(1) + (quoted ? value.charAt(0) + Scrubber.REDACTED + value.charAt(0) : Scrubber.REDACTED);
        });
    }

    static String emails(String text) {
        if (text.indexOf('@') < 0) {
            return text;
        }
        return replaceAll(EMAIL, text, m -> Scrubber.maskEmail(m.group()));
    }

    private static String cardNumbersAfterScan(String text) {
        if (!hasLuhnValidCandidate(text)) {
            return text;
        }
        return replaceAll(CARD, text, m -> luhnValid(m.group()) ? Scrubber.REDACTED : m.group());
    }

    static String cardNumbers(String text) {
        // A card is 13–19 digits with at most single spaces or dashes between them; a UUID or a
        // timestamp has digits, but never such a run.
        if (longestDigitRun(text) < 13 || !hasLuhnValidCandidate(text)) {
            return text;
        }
        return replaceAll(CARD, text, m -> luhnValid(m.group()) ? Scrubber.REDACTED : m.group());
    }

    /**
     * Whether any stretch the card pattern could match — 13 to 19 digits, single spaces or dashes
     * between them, no digit right before or after — passes the Luhn check. Only then can the
     * pattern change anything, so ids with long digit runs (a UUID's last group, trace ids) never
     * reach it.
     */
    static boolean hasLuhnValidCandidate(String text) {
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (!isDigit(text.charAt(i))) {
                i++;
                continue;
            }
            // One run: digits with at most one separator between two of them; first only counted.
            int count = 0;
            int j = i;
            while (true) {
                count++;
                int next = j + 1;
                if (next < n && isDigit(text.charAt(next))) {
                    j = next;
                } else if (next + 1 < n
                        && (text.charAt(next) == ' ' || text.charAt(next) == '-')
                        && isDigit(text.charAt(next + 1))) {
                    j = next + 1;
                } else {
                    break;
                }
            }
            if (count >= 13 && luhnValidWindow(text, i, j)) {
                return true;
            }
            i = j + 1;
        }
        return false;
    }

    /**
     * Whether a stretch of the run from {@code from} to {@code to} (char positions) of 13–19
     * digits, starting and ending where no digit is adjacent, passes Luhn. One forward walk per
     * start keeps both parities' sums, so every end is checked in O(1) and nothing is allocated.
     */
    private static boolean luhnValidWindow(String text, int from, int to) {
        int n = text.length();
        for (int p = from; p <= to; p++) {
            if (!isDigit(text.charAt(p)) || (p > 0 && isDigit(text.charAt(p - 1)))) {
                continue; // a separator, or a digit right after another: no match starts here
            }
            int plainEven = 0; // digits at even offsets as they are, odd offsets doubled
            int plainOdd = 0; // the other way round
            int m = 0;
            for (int q = p; q <= to && m <= 18; q++) {
                char c = text.charAt(q);
                if (!isDigit(c)) {
                    continue;
                }
                int d = c - '0';
                int doubled = d * 2 > 9 ? d * 2 - 9 : d * 2;
                if ((m & 1) == 0) {
                    plainEven += d;
                    plainOdd += doubled;
                } else {
                    plainEven += doubled;
                    plainOdd += d;
                }
                // Luhn doubles every second digit counted from the last one (offset m).
                if (m >= 12 && (q + 1 >= n || !isDigit(text.charAt(q + 1)))) {
                    if (((m & 1) == 0 ? plainEven : plainOdd) % 10 == 0) {
                        return true;
                    }
                }
                m++;
            }
        }
        return false;
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
