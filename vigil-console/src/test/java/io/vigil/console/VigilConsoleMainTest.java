package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class VigilConsoleMainTest {
    @Test
    void theStartLineNamesTheToken() {
        assertThat(VigilConsoleMain.startLine(
                        "http://127.0.0.1:4318/?token=abc", "abc", "http://127.0.0.1:4318", "http://127.0.0.1:4317"))
                .isEqualTo("Vigil console: http://127.0.0.1:4318/?token=abc  (token abc; OTLP/HTTP"
                        + " http://127.0.0.1:4318, OTLP/gRPC http://127.0.0.1:4317)");
    }

    @Test
    void withoutAuthenticationTheStartLineSaysSoInsteadOfTokenNull() {
        assertThat(VigilConsoleMain.startLine("http://127.0.0.1:4318/", null, "http://127.0.0.1:4318", null))
                .isEqualTo("Vigil console: http://127.0.0.1:4318/  (no authentication; OTLP/HTTP"
                        + " http://127.0.0.1:4318, OTLP/gRPC off)")
                .doesNotContain("null");
    }

    @Test
    void theBodyIdleTimeoutTakesAUnitOrSeconds() {
        assertThat(VigilConsoleMain.parseDuration("10s", "--body-idle-timeout")).isEqualTo(Duration.ofSeconds(10));
        assertThat(VigilConsoleMain.parseDuration("500ms", "--body-idle-timeout"))
                .isEqualTo(Duration.ofMillis(500));
        assertThat(VigilConsoleMain.parseDuration(" 2M ", "--body-idle-timeout"))
                .isEqualTo(Duration.ofMinutes(2));
        assertThat(VigilConsoleMain.parseDuration("1h", "--body-idle-timeout")).isEqualTo(Duration.ofHours(1));
        assertThat(VigilConsoleMain.parseDuration("30", "--body-idle-timeout")).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aBodyIdleTimeoutThatIsNoDurationOrUnderAMillisecondIsOneLineNamingTheOption() {
        for (String bad : new String[] {"0", "0ms", "-1s", "ten", "10 days", "1.5s", "", "99999999999999999h"}) {
            assertThatIllegalArgumentException()
                    .as(bad)
                    .isThrownBy(() -> VigilConsoleMain.parseDuration(bad, "--body-idle-timeout"))
                    .withMessage("--body-idle-timeout: not a duration of at least 1 ms (e.g. 10s, 500ms, 2m; a bare"
                            + " number is seconds): " + bad);
        }
    }
}
