package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.Scrubber;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The card rule matches by hand what its pattern matches ({@link DefaultScrubRules#replaceCards}),
 * and the one-scan classification flags the card rule exactly when that changes the text: at the
 * boundaries of the pattern (12/13 and 19/20 digits, separators doubled, leading, trailing, runs
 * longer than a card) and on random digit-heavy text.
 */
class CardMatchTest {
    private static final Pattern CARD = Pattern.compile("(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])");

    private static final Pattern UUID_SHAPE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private static String reference(String text) {
        return CARD.matcher(text)
                .replaceAll(m -> Matcher.quoteReplacement(
                        DefaultScrubRules.luhnValid(m.group()) && !inUuid(text, m.start(), m.end())
                                ? Scrubber.REDACTED
                                : m.group()));
    }

    /** Whether some 36 characters of {@code text} around {@code [start, end)} are a UUID. */
    private static boolean inUuid(String text, int start, int end) {
        for (int a = 0; a + 36 <= text.length(); a++) {
            if (a <= start
                    && a + 36 >= end
                    && UUID_SHAPE.matcher(text.substring(a, a + 36)).matches()) {
                return true;
            }
        }
        return false;
    }

    private static void check(String text) {
        String expected = reference(text);
        String actual = DefaultScrubRules.replaceCards(text);
        assertThat(actual).as(text).isEqualTo(expected);
        if (expected.equals(text)) {
            assertThat(actual).as(text).isSameAs(text);
        }
        boolean flagged = (DefaultScrubRules.candidates(text) & DefaultScrubRules.CARD_BIT) != 0;
        assertThat(flagged).as("card bit of %s", text).isEqualTo(!expected.equals(text));
        assertThat(DefaultScrubRules.hasLuhnValidCandidate(text)).as(text).isEqualTo(!expected.equals(text));
    }

    @Test
    void boundariesOfThePattern() {
        String[] texts = {
            "4111111111111111", // 16, valid
            "4111111111111112", // 16, invalid
            "4222222222222", // 13, valid
            "422222222222", // 12: too short
            "x4222222222222x",
            "14222222222222", // 14 digits: the valid 13 are not a match (a digit before them)
            "4222222222222 ", // trailing separator
            " 4222222222222",
            "4222-2222-2222-2", // dashes
            "4222 2222 2222 2",
            "4222--2222-2222-2", // a double separator ends the run
            "4222  2222 2222 2",
            "4222222222222-",
            "-4222222222222",
            "4111 1111 1111 1111 111", // 19 digits, valid? either way as the pattern says
            "4111111111111111000", // 19
            "41111111111111110000", // 20: no 13–19 window without a digit after it
            "4111111111111111 0000", // 20 with a separator: backs off to before it
            "4111 1111 1111 1111 2222 3333", // 24 with separators
            "12345678901234567890123456", // 26, no separator: no match
            "1234567890123456789-0", // 19 then a separator and one digit (20 repetitions)
            "1-2-3-4-5-6-7-8-9-0-1-2-3-4-5-6-7-8-9-0",
            "4111111111111111 and 4222222222222",
            "4111111111111112 and 4222222222222",
            "card 4111 1111 1111 1111 ok",
            "x4111-1111-1111-1111",
            "550e8400-e29b-41d4-a716-446655440000",
            "550e8400-e29b-41d4-a716-446655440003",
            "0af7651916cd43dd8448eb211c80319c",
            "",
            "7",
        };
        for (String text : texts) {
            check(text);
        }
    }

    @Test
    void noUuidIsTakenForACardNumber() {
        // The benchmark's request ids: about one in ten has a Luhn-valid run of 15 digits ("716-446655440…"), which
        // the card pattern matches; inside a UUID it is an id, not a card. The same run outside one still is.
        int luhnValidRuns = 0;
        for (long n = 0; n < 2_000; n++) {
            String id = "550e8400-e29b-41d4-a716-" + (446655440000L + n);
            check(id);
            assertThat(DefaultScrubRules.replaceCards(id)).isSameAs(id);
            String bare = "a716-" + (446655440000L + n);
            check(bare);
            if (!DefaultScrubRules.replaceCards(bare).equals(bare)) {
                luhnValidRuns++;
            }
            check("id=" + id + " card 4111111111111111");
            check(id.toUpperCase(java.util.Locale.ROOT) + "4");
        }
        assertThat(luhnValidRuns).isBetween(100, 300);
        // What failed a CI run: a random user id whose middle groups are digits ("4227-4536-8016-2" passes Luhn).
        check("user.id=4de27e9a-4227-4536-8016-2bcd35be17fd");
        assertThat(DefaultScrubRules.replaceCards("4de27e9a-4227-4536-8016-2bcd35be17fd"))
                .isEqualTo("4de27e9a-4227-4536-8016-2bcd35be17fd");
    }

    @Test
    void onRandomDigitHeavyTextTheHandMatcherIsThePattern() {
        Random random = new Random(4111);
        String alphabet = "0123456789012345678901234567890123456789 - x";
        for (int n = 0; n < 100_000; n++) {
            StringBuilder sb = new StringBuilder();
            int length = 1 + random.nextInt(60);
            for (int i = 0; i < length; i++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            if (n % 11 == 0) { // a UUID with digit-only groups, now and then
                sb.insert(random.nextInt(sb.length() + 1), "4de27e9a-4227-4536-8016-" + (100000000000L + n));
            }
            if (n % 5 == 0) {
                sb.insert(
                        random.nextInt(sb.length() + 1),
                        random.nextBoolean() ? "4111111111111111" : "4222 2222 2222 2");
            }
            check(sb.toString());
        }
    }
}
