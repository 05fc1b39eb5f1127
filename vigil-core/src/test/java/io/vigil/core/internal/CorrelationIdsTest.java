package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The contract's section 6 rule, for text and for a header's bytes alike. */
class CorrelationIdsTest {
    @Test
    void takesOneToSixtyFourOfTheIdAlphabetAndNothingElse() {
        for (String ok : new String[] {"a", "req-42_x.Y", "0".repeat(64)}) {
            assertThat(CorrelationIds.isValid(ok)).as(ok).isTrue();
            assertThat(CorrelationIds.isValid(ok.getBytes(StandardCharsets.US_ASCII)))
                    .as(ok)
                    .isTrue();
        }
        for (String bad : new String[] {"", "0".repeat(65), "a b", "a\nb", "a\u001b[31m", "é", "a/b", "a%20"}) {
            assertThat(CorrelationIds.isValid(bad)).as(bad).isFalse();
            assertThat(CorrelationIds.isValid(bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad)
                    .isFalse();
        }
        assertThat(CorrelationIds.isValid((String) null)).isFalse();
        assertThat(CorrelationIds.isValid((byte[]) null)).isFalse();
        assertThat(CorrelationIds.isValid(new byte[] {'a', (byte) 0xC3, (byte) 0xA9}))
                .isFalse();
    }
}
