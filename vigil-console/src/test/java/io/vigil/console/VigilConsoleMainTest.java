package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

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
}
