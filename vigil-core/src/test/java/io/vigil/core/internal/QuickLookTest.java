package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The quick look ahead of {@link DefaultScrubRules#candidates} answers "no rule can change this text" only for text
 * the full scan finds nothing in: on random ids, addresses and text made of the characters either one looks at.
 */
class QuickLookTest {
    private static final String ALPHABET =
            "0123456789012345678901234567890123456789abcdefxyzrsgJBDPAZ -.:=@%+/_é日\u0130";

    @Test
    void neverHidesWhatTheFullScanFinds() {
        Random random = new Random(17);
        int quick = 0;
        for (int i = 0; i < 300_000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(48);
            // Mostly digits, separators and hex letters, where the runs and shapes the rules need appear.
            String alphabet = random.nextBoolean() ? "0123456789 -abcdef" : ALPHABET;
            for (int j = 0; j < n; j++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = sb.toString();
            if (DefaultScrubRules.nothingToLookAt(text)) {
                quick++;
                assertThat(DefaultScrubRules.scan(text)).as(text).isZero();
            }
        }
        assertThat(quick).isGreaterThan(10_000);
    }

    @Test
    void idsAndAddressesAreMostlyLookedAtQuickly() {
        Random random = new Random(3);
        int quick = 0;
        for (int i = 0; i < 10_000; i++) {
            String id = new UUID(random.nextLong(), random.nextLong()).toString();
            if (DefaultScrubRules.nothingToLookAt(id)) {
                quick++;
                assertThat(DefaultScrubRules.scan(id)).as(id).isZero();
            }
        }
        assertThat(quick).isGreaterThan(7_000);
        assertThat(DefaultScrubRules.nothingToLookAt("10.1.2.3")).isTrue();
        assertThat(DefaultScrubRules.nothingToLookAt("4bf92f3577b34da6a3ce929d0e0e4736"))
                .isTrue();
        assertThat(DefaultScrubRules.nothingToLookAt("ab-1234-56789")).isFalse(); // a run of 9 digits
        assertThat(DefaultScrubRules.nothingToLookAt("123-45-6789")).isFalse();
        assertThat(DefaultScrubRules.nothingToLookAt("user")).isFalse();
        assertThat(DefaultScrubRules.nothingToLookAt("ab\u0130c")).isFalse();
        assertThat(DefaultScrubRules.candidates("123-45-6789")).isNotZero();
    }
}
