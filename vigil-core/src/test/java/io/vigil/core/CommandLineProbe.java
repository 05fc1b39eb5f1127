package io.vigil.core;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Map;

/**
 * Run by {@link CommandLinePrivacyTest} in a JVM of its own, started with secrets on its command line: prints the
 * resource of an exported span ({@code RESOURCE …}) and the scrape's {@code target_info} line ({@code SCRAPE …}), both
 * built from OpenTelemetry's process detector reading this JVM's real arguments.
 */
public final class CommandLineProbe {
    private CommandLineProbe() {}

    public static void main(String[] args) {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("SERVICE_NAME", "probe"))
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (tracers, config) -> tracers.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                .build()) {
            vigil.openTelemetry()
                    .getTracer("probe")
                    .spanBuilder("x")
                    .startSpan()
                    .end();
            System.out.println("RESOURCE "
                    + spans.getFinishedSpanItems().getFirst().getResource().getAttributes());
            vigil.metricsEndpoint()
                    .scrape("text/plain")
                    .text()
                    .lines()
                    .filter(line -> line.startsWith("target_info"))
                    .forEach(line -> System.out.println("SCRAPE " + line));
        }
    }
}
