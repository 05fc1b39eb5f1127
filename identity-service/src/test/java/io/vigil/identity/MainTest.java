package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.console.VigilConsole;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
    void theEmbeddedConsoleKeepsASmallerBoundInTheServicesHeapUnlessConfigured() {
        VigilConsole byDefault = Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE_PORT", "0"));
        try {
            assertThat(byDefault.stats().maxBytes()).isEqualTo(64L << 20).isLessThan(VigilConsole.DEFAULT_MAX_BYTES);
        } finally {
            byDefault.close();
        }
        VigilConsole configured =
                Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE_PORT", "0", "VIGIL_CONSOLE_MAX_BYTES", "32m"));
        try {
            assertThat(configured.stats().maxBytes()).isEqualTo(32L << 20);
        } finally {
            configured.close();
        }
        VigilConsole invalid =
                Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE_PORT", "0", "VIGIL_CONSOLE_MAX_BYTES", "lots"));
        try {
            assertThat(invalid.stats().maxBytes()).isEqualTo(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES);
        } finally {
            invalid.close();
        }
    }

    @Test
    void theEmbeddedConsoleSamplesAboveItsTraceRateUnlessConfigured() {
        VigilConsole byDefault = Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE_PORT", "0"));
        try {
            assertThat(byDefault.stats().tracesPerSecond())
                    .isEqualTo(VigilConsole.DEFAULT_EMBEDDED_TRACES_PER_SECOND)
                    .isEqualTo(20);
        } finally {
            byDefault.close();
        }
        VigilConsole all = Main.startConsoleIfNoCollector(
                Map.of("VIGIL_CONSOLE_PORT", "0", "VIGIL_CONSOLE_TRACES_PER_SECOND", "0"));
        try {
            assertThat(all.stats().tracesPerSecond()).isZero();
        } finally {
            all.close();
        }
        VigilConsole invalid = Main.startConsoleIfNoCollector(
                Map.of("VIGIL_CONSOLE_PORT", "0", "VIGIL_CONSOLE_TRACES_PER_SECOND", "-3"));
        try {
            assertThat(invalid.stats().tracesPerSecond()).isEqualTo(VigilConsole.DEFAULT_EMBEDDED_TRACES_PER_SECOND);
        } finally {
            invalid.close();
        }
    }

    @Test
    void theEmbeddedConsoleGetsTheTelemetryInProcessAndReportsItsOwnCost() {
        VigilConsole console = Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE_PORT", "0"));
        try {
            Map<String, String> env = new HashMap<>(console.otlpEnvironment());
            env.put("SERVICE_NAME", "identity-service");
            Vigil vigil = Main.telemetry(Vigil.builder().environment(env).runtimeMetrics(false), console);
            try {
                vigil.openTelemetry()
                        .getTracer("test")
                        .spanBuilder("in-process")
                        .startSpan()
                        .end();
                String metrics =
                        new String(vigil.metricsEndpoint().scrape("text/plain").body(), StandardCharsets.UTF_8);
                assertThat(metrics).contains("vigil_console_cpu_seconds_total", "vigil_console_dropped_total");
            } finally {
                vigil.close(); // flushes the span to the console
            }
            assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(console.stats().spans()).isEqualTo(1);
        } finally {
            console.close();
        }
    }

    @Test
    void theEmbeddedConsoleTakesAtMostAnEighthOfTheHeapUnlessTold() {
        assertThat(Main.embeddedConsoleMaxBytes(64L << 20)).isEqualTo(8L << 20); // -Xmx64m
        assertThat(Main.embeddedConsoleMaxBytes(4L << 20)).isEqualTo(1L << 20); // never below 1 MiB
        assertThat(Main.embeddedConsoleMaxBytes(1L << 30)).isEqualTo(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES);
        assertThat(Main.embeddedConsoleMaxBytes(Long.MAX_VALUE)).isEqualTo(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES);
    }

    @Test
    void badConsoleSettingsAreConfigurationWarningsWithTheirFallback() {
        List<String> warnings = new ArrayList<>();
        VigilConsole console = Main.startConsoleIfNoCollector(
                Map.of(
                        "VIGIL_CONSOLE", "maybe",
                        "VIGIL_CONSOLE_PORT", "0",
                        "VIGIL_CONSOLE_MAX_BYTES", "lots",
                        "OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
                warnings);
        try {
            assertThat(console).as("VIGIL_CONSOLE defaults to true").isNotNull();
            assertThat(warnings)
                    .containsExactly(
                            "VIGIL_CONSOLE=maybe is not a boolean (true/false, 1/0, yes/no, on/off); using true",
                            "VIGIL_CONSOLE_MAX_BYTES=lots is not a byte count of at least 1m; using 64m",
                            "OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon is not a supported protocol (grpc,"
                                    + " http/protobuf); using the embedded console");
            // Reported as the telemetry configuration's own warnings are (Vigil logs each as one WARN line).
            VigilConfig config = Main.withWarnings(
                    VigilConfig.builder().buildFromEnvironment(Map.of("LOG_LEVEL", "loud")), warnings);
            assertThat(config.warnings()).hasSize(4).containsAll(warnings);
        } finally {
            console.close();
        }
        List<String> none = new ArrayList<>();
        assertThat(Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE", "off"), none))
                .isNull();
        assertThat(none).isEmpty();
    }

    @Test
    void aConfiguredCollectorOrSwitchMeansNoConsole() {
        assertThat(Main.startConsoleIfNoCollector(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")))
                .isNull();
        assertThat(Main.startConsoleIfNoCollector(Map.of("TEMPO_ENDPOINT", "http://tempo:4317")))
                .isNull();
        // A signal's own collector: that signal goes there, so the console would show only part of the telemetry.
        assertThat(Main.startConsoleIfNoCollector(
                        Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/v1/traces")))
                .isNull();
        assertThat(Main.startConsoleIfNoCollector(Map.of("VIGIL_CONSOLE", "false")))
                .isNull();
        assertThat(Main.startConsoleIfNoCollector(Map.of("ENABLE_OBSERVABILITY", "false")))
                .isNull();
    }

    @Test
    void helpIsAnsweredAndAnArgumentIsAUsageErrorNotIgnored() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(Main.commandLine(new String[0], o, e)).isEqualTo(-1); // no arguments: serve
        assertThat(Main.commandLine(new String[] {"--help"}, o, e)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .startsWith("usage: java -jar identity-service.jar")
                .contains("environment");
        assertThat(err.size()).isZero();
        // was ignored: the service started as if nothing had been said
        assertThat(Main.commandLine(new String[] {"--port", "9000"}, o, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("identity-service: unexpected argument --port")
                .contains("usage:");
    }
}
