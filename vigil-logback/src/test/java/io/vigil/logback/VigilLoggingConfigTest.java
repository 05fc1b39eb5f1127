package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.vigil.core.LogLevel;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logging's settings follow Vigil's one rule: builder values are defaults, a set variable overrides them. */
class VigilLoggingConfigTest {
    private final LoggerContext context = TestContexts.create();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private VigilLogging logging;

    @TempDir
    Path builderDir;

    @TempDir
    Path envDir;

    @AfterEach
    void tearDown() {
        if (logging != null) {
            logging.close();
        }
    }

    private VigilConfig config(Map<String, String> env) {
        return VigilConfig.builder()
                .serviceName("orders")
                .metricsEnabled(false)
                .lokiEnabled(true)
                .lokiUrl(URI.create("http://127.0.0.1:9"))
                .lokiTimeout(java.time.Duration.ofMillis(500))
                .logLevel(LogLevel.DEBUG)
                .minLogLevelForLoki(LogLevel.WARN)
                .buildFromEnvironment(env);
    }

    private LokiAppender install(Map<String, String> env) {
        logging = VigilLogging.builder(config(env))
                .loggerContext(context)
                .output(stdout)
                .spoolDirectory(builderDir)
                .spoolMaxBytes(8192)
                .environment(env)
                .install();
        return logging.loki().orElseThrow();
    }

    @Test
    void builderValuesHoldWhenNothingIsSet() {
        LokiAppender loki = install(Map.of());

        assertThat(loki.spoolDirectory()).contains(builderDir); // path
        assertThat(loki.spoolMaxBytes()).isEqualTo(8192); // byte count
        assertThat(context.getLogger("ROOT").getLevel()).isEqualTo(Level.DEBUG); // level
        assertThat(stdout.toString(StandardCharsets.UTF_8)).doesNotContain("Logging configuration");
    }

    @Test
    void setVariablesOverrideTheBuilderValues() {
        LokiAppender loki = install(Map.of(
                "VIGIL_LOG_SPOOL_DIR", envDir.toString(),
                "VIGIL_LOG_SPOOL_MAX_BYTES", "1m",
                "LOG_LEVEL", "warning"));

        assertThat(loki.spoolDirectory()).contains(envDir);
        assertThat(loki.spoolMaxBytes()).isEqualTo(1 << 20);
        assertThat(context.getLogger("ROOT").getLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void aBadValueKeepsTheBuilderValueWithOneWarning() {
        LokiAppender loki = install(Map.of("VIGIL_LOG_SPOOL_MAX_BYTES", "tiny", "LOG_LEVEL", "LOUD"));

        assertThat(loki.spoolMaxBytes()).isEqualTo(8192);
        assertThat(context.getLogger("ROOT").getLevel()).isEqualTo(Level.DEBUG);
        logging.close(); // drains stdout
        logging = null;
        assertThat(Lines.parse(stdout))
                .filteredOn(l -> l.get("message").asText().startsWith("Logging configuration"))
                .singleElement()
                .satisfies(l -> {
                    assertThat(l.get("level").asText()).isEqualTo("WARN");
                    assertThat(l.get("message").asText())
                            .isEqualTo("Logging configuration: VIGIL_LOG_SPOOL_MAX_BYTES='tiny' is not a byte count"
                                    + " of at least 4096; using 8192");
                });
        // LOG_LEVEL is vigil-core's: its warning is in the configuration, reported by Vigil at start.
        assertThat(config(Map.of("LOG_LEVEL", "LOUD")).warnings())
                .singleElement()
                .asString()
                .contains("using DEBUG");
    }
}
