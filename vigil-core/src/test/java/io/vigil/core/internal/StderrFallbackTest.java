package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLogger;

/**
 * Without an SLF4J provider (vigil-core alone, the README's first step) Vigil's reports reach stderr: a bad setting
 * was ignored without a word, the start-up summary never shown.
 */
class StderrFallbackTest {

    @Test
    void withoutAnSlf4jProviderReportsGoToTheStream() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Logger log = StderrFallback.orStream(NOPLogger.NOP_LOGGER, "io.vigil.core.Vigil", out);

        log.warn("Telemetry configuration: {}", "TRACE_SAMPLE_RATE='5' is not a number within 0.0–1.0; using 1.0");
        log.info("Vigil telemetry: service={}", "orders");
        log.debug("not shown");

        assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
                .containsExactly(
                        "WARN io.vigil.core.Vigil - Telemetry configuration: TRACE_SAMPLE_RATE='5' is not a number within 0.0–1.0;"
                                + " using 1.0",
                        "INFO io.vigil.core.Vigil - Vigil telemetry: service=orders");
    }

    @Test
    void withAProviderItsLoggerIsUsed() {
        assertThat(StderrFallback.logger(StderrFallbackTest.class))
                .isSameAs(LoggerFactory.getLogger(StderrFallbackTest.class));
    }
}
