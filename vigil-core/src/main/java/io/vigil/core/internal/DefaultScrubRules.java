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

    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
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

    static String secretAssignments(String text) {
        if (text.indexOf('=') < 0 && text.indexOf(':') < 0) {
            return text;
        }
        return replaceAll(SECRET_ASSIGNMENT, text, m -> {
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

    static String cardNumbers(String text) {
        if (countDigits(text) < 13) {
            return text;
        }
        return replaceAll(CARD, text, m -> luhnValid(m.group()) ? Scrubber.REDACTED : m.group());
    }

    static String nationalIds(String text) {
        String out = text;
        if (countDigits(out) >= 9 && out.indexOf('-') >= 0) {
            out = replaceAll(US_SSN, out, m -> Scrubber.REDACTED);
        }
        if (countDigits(out) >= 6) {
            out = replaceAll(UK_NINO, out, m -> Scrubber.REDACTED);
        }
        return out;
    }

    private static String replaceAll(Pattern p, String text, java.util.function.Function<Matcher, String> replacement) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        do {
            sb.append(text, last, m.start()).append(replacement.apply(m));
            last = m.end();
        } while (m.find());
        return sb.append(text, last, text.length()).toString();
    }

    private static int countDigits(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                n++;
            }
        }
        return n;
    }

    private static int indexOfIgnoreCase(String text, String word) {
        int n = word.length();
        for (int i = 0; i + n <= text.length(); i++) {
            if (text.regionMatches(true, i, word, 0, n)) {
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
