package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Secrets on the process's command line never reach the resource (on every exported span, metric point and log record)
 * or {@code target_info}. An outside tester's {@code Main --app.secret=hunter2 --password hunter3} gave {@code
 * process_command_line="… --app.secret=[REDACTED] --password hunter3"}: the value after a sensitive option passed.
 */
class CommandLinePrivacyTest {

    /**
     * The one-line form ({@code process.command_line}), which the process detector writes where the JVM cannot read
     * its own arguments: set here through {@code OTEL_RESOURCE_ATTRIBUTES}, which goes into the resource as the
     * detector's value would.
     */
    @Test
    void aSecretAfterASensitiveOptionInTheCommandLineIsRedactedOnSpansAndTargetInfo() {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of(
                        "OTEL_RESOURCE_ATTRIBUTES",
                        "process.command_line=/usr/bin/java -Dsome.password=s3cr3t-prop -cp app.jar Main"
                                + " --app.secret=hunter2 --password hunter3 --port 8080"))
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (tracers, config) -> tracers.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                .build()) {
            vigil.openTelemetry().getTracer("test").spanBuilder("x").startSpan().end();

            String line = spans.getFinishedSpanItems()
                    .getFirst()
                    .getResource()
                    .getAttribute(AttributeKey.stringKey("process.command_line"));
            assertThat(line)
                    .isEqualTo("/usr/bin/java -Dsome.password=[REDACTED] -cp app.jar Main --app.secret=[REDACTED]"
                            + " --password [REDACTED] --port 8080");
            String targetInfo =
                    targetInfo(vigil.metricsEndpoint().scrape("text/plain").text());
            assertThat(targetInfo)
                    .contains("--password [REDACTED] --port 8080")
                    .doesNotContain("hunter2")
                    .doesNotContain("hunter3")
                    .doesNotContain("s3cr3t-prop");
        }
    }

    /** A JVM of its own, with the secrets on its real command line, read by OpenTelemetry's process detector. */
    @Test
    void secretsOnARealCommandLineReachNeitherTheResourceNorTargetInfo() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(
                        java.toString(),
                        "-XX:TieredStopAtLevel=1",
                        "-Dsome.password=s3cr3t-prop",
                        "-cp",
                        System.getProperty("java.class.path"),
                        CommandLineProbe.class.getName(),
                        "--app.secret=hunter2",
                        "--password",
                        "hunter3",
                        "--port",
                        "8080")
                .redirectErrorStream(true);
        // The probe's own settings only: none of this JVM's OTEL_* or Vigil variables.
        builder.environment().keySet().removeIf(name -> !name.equals("PATH"));
        Process probe = builder.start();
        String output;
        try {
            output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            probe.destroyForcibly();
        }
        assertThat(probe.exitValue()).as(output).isZero();

        List<String> resource =
                output.lines().filter(l -> l.startsWith("RESOURCE ")).toList();
        List<String> targetInfo =
                output.lines().filter(l -> l.startsWith("SCRAPE target_info")).toList();
        assertThat(resource).as(output).singleElement().asString().containsPattern("process\\.command_(args|line)");
        assertThat(targetInfo).as(output).singleElement().asString().containsPattern("process_command_(args|line)");
        assertThat(resource.getFirst() + targetInfo.getFirst())
                .contains("--password")
                .contains("8080")
                .doesNotContain("hunter2")
                .doesNotContain("hunter3")
                .doesNotContain("s3cr3t-prop");
    }

    private static String targetInfo(String exposition) {
        return exposition
                .lines()
                .filter(l -> l.startsWith("target_info"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no target_info in " + exposition));
    }
}
