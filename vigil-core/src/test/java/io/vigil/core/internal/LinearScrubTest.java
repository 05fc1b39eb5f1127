package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.vigil.core.Scrubber;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Log text is attacker-controlled (a login name, a header echoed in a message), and every line passes the
 * scrubber: its cost must grow with the text's length, not with its square. The e-mail and JWT patterns used
 * to retry every start inside one long run — 70 KB of letters before an {@code @} took minutes — and now
 * start a match only where one can begin; on ordinary text they redact exactly what the old patterns did.
 */
class LinearScrubTest {
    // The patterns as they were, the reference for what must be redacted.
    private static final Pattern OLD_EMAIL =
            Pattern.compile("[\\p{L}\\p{M}\\p{N}._%+-]+@[\\p{L}\\p{M}\\p{N}.-]+\\.[\\p{L}\\p{M}]{2,}");
    private static final Pattern OLD_JWT =
            Pattern.compile("\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*");

    private static final int LENGTH = 200_000;

    @Test
    void longRunsAreScannedOnce() {
        Scrubber scrubber = Scrubber.defaults();
        String[] hostile = {
            "a".repeat(LENGTH) + "@", // the local part's run, no domain
            "a".repeat(LENGTH / 2) + "@" + "b".repeat(LENGTH / 2), // a domain without a dot
            "a.".repeat(LENGTH / 4) + "@x", // dots in the local part
            "-eyJ".repeat(LENGTH / 4), // a JWT start at every word boundary of one run
            "eyJ" + "a".repeat(LENGTH) + ".bbb", // a JWT's first segment, then too little
            "x@".repeat(LENGTH / 2), // an '@' at every other character
            "é".repeat(LENGTH) + "@é", // letters of another script
            // the other rules, for good measure
            "password" + " ".repeat(LENGTH), // a secret's name, then no value
            "\"token\": \"" + "a".repeat(LENGTH), // a quoted secret never closed
            "bearer ".repeat(LENGTH / 7), // an authorization scheme after another
            "%41".repeat(LENGTH / 3), // URL-encoded text
            "-----BEGIN PRIVATE KEY-----".repeat(LENGTH / 27), // key blocks never ended
            "123-45-".repeat(LENGTH / 7), // almost a social security number, again and again
            "4111 ".repeat(LENGTH / 5), // a card number's digits that never end
            "AB 12 ".repeat(LENGTH / 6), // almost a national insurance number
            "sk-" + "a".repeat(LENGTH), // an OpenAI-style key's start, a body that is no key
            "sk-".repeat(LENGTH / 3), // a key's start again and again
            "ghp_".repeat(LENGTH / 4), // a GitHub prefix again and again, never its length
            "ghp_" + "A".repeat(LENGTH), // a GitHub prefix, then too long a body
            "AKIA".repeat(LENGTH / 4), // AWS key ids run together
            "glpat-" + "a.".repeat(LENGTH / 2), // dotted GitLab segments
            "xoxb-".repeat(LENGTH / 5), // Slack prefixes
            "-pin".repeat(LENGTH / 4) + "=", // a PIN's name after a separator, again and again
            "&code=".repeat(LENGTH / 6), // authorization codes without values
        };
        String address = "a".repeat(LENGTH) + "@b.com";
        // A quadratic scan of 200 KB takes minutes; a linear one, milliseconds. The bound only separates the two
        // (the old patterns are not run here: they are the quadratic ones).
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (String text : hostile) {
                scrubber.scrubText(text);
            }
            for (String text : Arrays.copyOf(hostile, 7)) {
                assertThat(scrubber.scrubText(text)).isSameAs(text); // none holds an address or a token
            }
            assertThat(scrubber.scrubText(address)).isEqualTo(Scrubber.maskEmail(address));
        });
    }

    @Test
    void onRandomTextTheAnchoredPatternsRedactWhatTheOldOnesDid() {
        Random random = new Random(23);
        String[] pieces = {"a", "b", "Z", "é", "7", ".", "-", "_", "+", "%", "@", " ", "eyJ", "com", "x.org", "\u0301"};
        for (int n = 0; n < 100_000; n++) {
            StringBuilder sb = new StringBuilder();
            int length = 1 + random.nextInt(30);
            for (int i = 0; i < length; i++) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String text = sb.toString();
            assertThat(DefaultScrubRules.emails(text))
                    .as(text)
                    .isEqualTo(replace(OLD_EMAIL, text, m -> Scrubber.maskEmail(m.group())));
            assertThat(DefaultScrubRules.jwts(text)).as(text).isEqualTo(replace(OLD_JWT, text, m -> Scrubber.REDACTED));
        }
    }

    @Test
    void realAddressesAndTokensAreStillRedacted() {
        String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assertThat(DefaultScrubRules.jwts("token " + jwt + " end")).isEqualTo("token [REDACTED] end");
        assertThat(DefaultScrubRules.jwts("x-" + jwt)).isEqualTo("x-[REDACTED]");
        assertThat(DefaultScrubRules.jwts("eyJabcd-eyJ" + jwt.substring(3))).isEqualTo("[REDACTED]");
        assertThat(DefaultScrubRules.emails("a@b.com_x@y.org"))
                .isEqualTo(Scrubber.maskEmail("a@b.com") + Scrubber.maskEmail("_x@y.org"));
        assertThat(DefaultScrubRules.emails("mail mário@exemplo.pt now"))
                .isEqualTo("mail " + Scrubber.maskEmail("mário@exemplo.pt") + " now");
    }

    private static String replace(Pattern pattern, String text, Function<Matcher, String> replacement) {
        Matcher m = pattern.matcher(text);
        StringBuilder sb = new StringBuilder();
        int last = 0;
        while (m.find()) {
            sb.append(text, last, m.start()).append(replacement.apply(m));
            last = m.end();
        }
        return sb.append(text, last, text.length()).toString();
    }
}
