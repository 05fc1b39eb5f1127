package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Pyroscope server that does not answer never affects the service, and is logged once. */
class UnreachableServerTest {

    @Test
    void anUnreachableServerDropsProfilesWithOneWarningWhileRequestsCarryOn() throws IOException {
        URI nobody;
        try (ServerSocket socket = new ServerSocket(0)) {
            nobody = URI.create("http://127.0.0.1:" + socket.getLocalPort()); // closed again: refuses
        }
        VigilConfig config = VigilConfig.builder()
                .serviceName("identity-service")
                .profilingEnabled(true)
                .pyroscopeServerAddress(nobody)
                .build();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        VigilProfiling[] session = new VigilProfiling[1];
        try (LogCapture logs = new LogCapture();
                Vigil vigil = Vigil.builder()
                        .config(config)
                        .runtimeMetrics(false)
                        .customizeSdk(sdk -> sdk.addTracerProviderCustomizer((tracing, cfg) -> {
                            session[0] = VigilProfiling.start(ProfilingConfig.builder(config)
                                    .uploadInterval(Duration.ofSeconds(1))
                                    .build());
                            return tracing.addSpanProcessor(session[0].spanProcessor())
                                    .addSpanProcessor(SimpleSpanProcessor.create(spans));
                        }))
                        .build()) {
            Tracer tracer = vigil.openTelemetry().getTracer("test");
            int requests = 0;
            long slowest = 0;
            while (session[0].droppedProfiles() < 2) {
                long start = System.nanoTime();
                Span request = tracer.spanBuilder("GET /api/v1/users").startSpan();
                try (Scope ignored = request.makeCurrent()) {
                    Workload.burn(20);
                } finally {
                    request.end();
                }
                slowest = Math.max(slowest, System.nanoTime() - start);
                requests++;
                assertThat(requests).as("profiles should fail within a minute").isLessThan(3000);
            }
            assertThat(spans.getFinishedSpanItems()).hasSize(requests);
            assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofSeconds(1));
            assertThat(session[0].running()).isTrue();
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(logs.at(Level.WARN)).hasSize(1));
            assertThat(logs.at(Level.WARN).getFirst().getFormattedMessage())
                    .contains("Profiles cannot reach " + nobody)
                    .contains("dropped");
        }
    }

    @Test
    void aServerThatComesBackIsLoggedOnceAsRecovered() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        VigilConfig config = VigilConfig.builder()
                .profilingEnabled(true)
                .pyroscopeServerAddress(URI.create("http://127.0.0.1:" + port))
                .build();
        try (LogCapture logs = new LogCapture();
                VigilProfiling profiling = VigilProfiling.start(ProfilingConfig.builder(config)
                        .uploadInterval(Duration.ofSeconds(1))
                        .build())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                Workload.burn(50);
                return profiling.droppedProfiles() >= 1;
            });
            try (PyroscopeReceiver receiver = PyroscopeReceiver.start(port)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    Workload.burn(50);
                    return !receiver.ingests().isEmpty() && profiling.deliveredProfiles() >= 1;
                });
            }
            // The uploader counts a delivery before it logs the recovery: the line may trail the count.
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(logs.at(Level.INFO))
                            .anySatisfy(e -> assertThat(e.getFormattedMessage()).startsWith("Profiles reach")));
            assertThat(logs.at(Level.WARN)).hasSize(1);
        }
    }

    @Test
    void aProfilerThatCannotStartLeavesTheServiceRunningWithOneWarning(@TempDir Path tmp) throws IOException {
        Path notADirectory = Files.createFile(tmp.resolve("profiles"));
        VigilConfig config = VigilConfig.builder()
                .profilingEnabled(true)
                .pyroscopeServerAddress(notADirectory.resolve("jfr").toUri())
                .build();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (LogCapture logs = new LogCapture();
                Vigil vigil = Vigil.builder()
                        .config(config)
                        .runtimeMetrics(false)
                        .customizeSdk(VigilProfiling.customizer(
                                ProfilingConfig.builder(config).build()))
                        .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                                (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                        .build()) {
            vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("GET /health")
                    .startSpan()
                    .end();

            assertThat(spans.getFinishedSpanItems())
                    .singleElement()
                    .satisfies(s -> assertThat(s.getAttributes().get(SpanProfileAttribute.KEY))
                            .isNull());
            assertThat(logs.at(Level.WARN))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage()).contains("could not start"));
        }
    }
}
