package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code OTEL_LOGS_EXPORTER=none} with an OTLP endpoint: lines to stdout only, no OTLP log bridge at all. */
class OtlpLogsExporterNoneTest {
    private final LoggerContext context = TestContexts.create();
    private final InMemoryLogRecordExporter exported = InMemoryLogRecordExporter.create();
    private Vigil vigil;
    private VigilLogging logging;

    @AfterEach
    void tearDown() {
        logging.close();
        vigil.close();
    }

    private VigilConfig config(Map<String, String> otel) {
        return VigilConfig.builder()
                .serviceName("orders")
                .otlpEndpoint(URI.create("http://127.0.0.1:9")) // discard port: never answers OTLP
                .metricsEnabled(false)
                .otelProperties(otel)
                .build();
    }

    private ByteArrayOutputStream install(VigilConfig config) {
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .shutdownTimeout(Duration.ofMillis(200))
                .customizeSdk(sdk -> sdk.addLoggerProviderCustomizer(
                        (p, cfg) -> p.addLogRecordProcessor(SimpleLogRecordProcessor.create(exported))))
                .build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logging = VigilLogging.builder(config)
                .loggerContext(context)
                .output(out)
                .otlpHandoff(false)
                .install()
                .connect(vigil.openTelemetry());
        return out;
    }

    @Test
    void logsExporterNoneKeepsTheLinesOnStdoutAndInstallsNoBridge() {
        ByteArrayOutputStream out = install(config(Map.of("otel.logs.exporter", "none")));

        context.getLogger("io.example.Orders").info("order 7 shipped");
        logging.close(); // drains the stdout hand-off

        assertThat(exported.getFinishedLogRecordItems()).isEmpty();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("order 7 shipped");
        assertThat(VigilLogging.otlpLogsExported(config(Map.of("otel.logs.exporter", " NONE "))))
                .isFalse();
    }

    @Test
    void anyOtherLogsExporterKeepsTheBridge() {
        install(config(Map.of("otel.logs.exporter", "otlp")));

        context.getLogger("io.example.Orders").info("order 8 shipped");

        assertThat(exported.getFinishedLogRecordItems())
                .singleElement()
                .satisfies(r -> assertThat(r.getBodyValue().asString()).isEqualTo("order 8 shipped"));
        assertThat(VigilLogging.otlpLogsExported(config(Map.of()))).isTrue();
    }
}
