package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.console.VigilConsole;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The embedded default: a console when no collector is configured, none otherwise. */
class MainTest {

    @Test
    void noCollectorStartsTheEmbeddedConsoleOnLoopback() {
        VigilConsole console = Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE_PORT", "0"));
        try {
            assertThat(console).isNotNull();
            assertThat(console.uiUrl()).startsWith("http://127.0.0.1:");
            assertThat(console.otlpEnvironment()).containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", console.httpEndpoint());
        } finally {
            console.close();
        }
    }

    @Test
    void aConfiguredCollectorOrSwitchMeansNoConsole() {
        assertThat(Main.startConsoleIfNoCollector(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")))
                .isNull();
        assertThat(Main.startConsoleIfNoCollector(Map.of("TEMPO_ENDPOINT", "http://tempo:4317")))
                .isNull();
        assertThat(Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE", "false")))
                .isNull();
        assertThat(Main.startConsoleIfNoCollector(Map.of("ENABLE_OBSERVABILITY", "false")))
                .isNull();
    }
}
