package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.api.trace.Span;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.logback.internal.OpenTelemetryJulBridge;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * What the OpenTelemetry SDK logs through java.util.logging — above all the spans {@code ENABLE_TRACE_CONSOLE_EXPORT}
 * prints — is a JSON line of the service's own output. A service set up as the README shows (VigilLogging, no
 * jul-to-slf4j) got each span as two plain JUL lines on stderr instead.
 */
class OpenTelemetryJulBridgeTest {
    private static final Logger OPENTELEMETRY = Logger.getLogger("io.opentelemetry");

    @Test
    void traceConsoleExportWritesEachSpanAsAJsonLine() {
        LoggerContext context = TestContexts.create();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VigilConfig config = VigilConfig.builder()
                .serviceName("orders")
                .traceConsoleExport(true)
                .build();
        VigilLogging logging =
                VigilLogging.builder(config).loggerContext(context).output(out).install();
        Vigil vigil = Vigil.builder().config(config).runtimeMetrics(false).build();
        Span span;
        try {
            span = vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("place order")
                    .startSpan();
            span.end();
        } finally {
            vigil.close(); // flushes the console exporter
            logging.close(); // drains the hand-off into out
        }

        assertThat(Lines.parse(out))
                .filteredOn(
                        l -> l.get("logger").asText().equals("io.opentelemetry.exporter.logging.LoggingSpanExporter"))
                .singleElement()
                .satisfies(l -> {
                    assertThat(l.get("level").asText()).isEqualTo("INFO");
                    assertThat(l.get("service").asText()).isEqualTo("orders");
                    assertThat(l.get("message").asText())
                            .contains("'place order'", span.getSpanContext().getTraceId());
                });
    }

    @Test
    void closingGivesTheOpenTelemetryLoggersBackToJul() {
        boolean before = OPENTELEMETRY.getUseParentHandlers();
        VigilLogging logging = VigilLogging.builder(VigilConfig.builder().build())
                .loggerContext(TestContexts.create())
                .output(new ByteArrayOutputStream())
                .install();
        assertThat(OPENTELEMETRY.getHandlers()).hasAtLeastOneElementOfType(OpenTelemetryJulBridge.class);
        assertThat(OPENTELEMETRY.getUseParentHandlers())
                .as("no second copy through JUL's root")
                .isFalse();

        logging.close();

        assertThat(Arrays.asList(OPENTELEMETRY.getHandlers())).noneMatch(OpenTelemetryJulBridge.class::isInstance);
        assertThat(OPENTELEMETRY.getUseParentHandlers()).isEqualTo(before);
    }
}
