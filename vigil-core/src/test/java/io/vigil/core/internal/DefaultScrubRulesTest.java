package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.Scrubber;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The pre-checks that keep the card and national-id patterns off text they cannot change: ids
 * with long digit runs skip them, and on random text the rules give what the patterns alone give.
 */
class DefaultScrubRulesTest {
    // The rules' own patterns, applied without any pre-check: the reference.
    private static final Pattern CARD = Pattern.compile("(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])");
    private static final Pattern US_SSN = Pattern.compile("(?<![0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![0-9])");
    private static final Pattern UK_NINO =
            Pattern.compile("\\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\\b");

    @Test
    void idsWithLongDigitRunsNeverReachThePatterns() {
        String uuid = "550e8400-e29b-41d4-a716-446655440000";
        assertThat(DefaultScrubRules.longestDigitRun(uuid)).isGreaterThanOrEqualTo(13);
        assertThat(DefaultScrubRules.hasLuhnValidCandidate(uuid)).isFalse();
        assertThat(DefaultScrubRules.mayHoldSsn(uuid)).isFalse();
        assertThat(DefaultScrubRules.mayHoldNino("0af7651916cd43dd8448eb211c80319c"))
                .isFalse();
        assertThat(DefaultScrubRules.cardNumbers(uuid)).isSameAs(uuid);
        assertThat(DefaultScrubRules.nationalIds(uuid)).isSameAs(uuid);
    }

    @Test
    void whatThePatternsRedactIsStillRedacted() {
        assertThat(DefaultScrubRules.cardNumbers("card 4111 1111 1111 1111 ok")).isEqualTo("card [REDACTED] ok");
        assertThat(DefaultScrubRules.cardNumbers("x4111-1111-1111-1111")).isEqualTo("x[REDACTED]");
        assertThat(DefaultScrubRules.nationalIds("ssn 123-45-6789")).isEqualTo("ssn [REDACTED]");
        assertThat(DefaultScrubRules.nationalIds("nino AB 12 34 56 C")).isEqualTo("nino [REDACTED]");
    }

    @Test
    void onRandomTextThePreChecksChangeNothing() {
        Random random = new Random(17);
        String alphabet = "0123456789012345678901234567890123456789 -- ABCDxyz";
        for (int n = 0; n < 50_000; n++) {
            StringBuilder sb = new StringBuilder();
            int length = 5 + random.nextInt(40);
            for (int i = 0; i < length; i++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            if (n % 7 == 0) { // plant a Luhn-valid card now and then
                sb.insert(
                        random.nextInt(sb.length()), random.nextBoolean() ? "4111111111111111" : "4111 1111 1111 1111");
            }
            String text = sb.toString();
            assertThat(DefaultScrubRules.cardNumbers(text)).as(text).isEqualTo(reference(CARD, text, true));
            String ids = reference(UK_NINO, reference(US_SSN, text, false), false);
            assertThat(DefaultScrubRules.nationalIds(text)).as(text).isEqualTo(ids);
        }
    }

    private static String reference(Pattern p, String text, boolean luhn) {
        return p.matcher(text)
                .replaceAll(m -> luhn && !DefaultScrubRules.luhnValid(m.group())
                        ? java.util.regex.Matcher.quoteReplacement(m.group())
                        : java.util.regex.Matcher.quoteReplacement(Scrubber.REDACTED));
    }
}
