package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.core.VigilConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without a server, {@code PYROSCOPE_SERVER_ADDRESS=file:<dir>} leaves JFR files a user can open. */
class JfrDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void aFileDestinationReceivesReadableJfrRecordingsWithCpuSamples() throws IOException {
        VigilConfig vigil = VigilConfig.fromEnvironment(java.util.Map.of(
                "PROFILING_ENABLED",
                "true",
                "PYROSCOPE_SERVER_ADDRESS",
                dir.toUri().toString()));
        ProfilingConfig config = ProfilingConfig.builder(vigil)
                .uploadInterval(Duration.ofSeconds(1))
                .build();
        assertThat(config.destination()).isEqualTo(new ProfilingConfig.Directory(dir));

        try (VigilProfiling profiling = VigilProfiling.start(config)) {
            assertThat(profiling.running()).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                Workload.burn(100);
                return !jfrFiles().isEmpty();
            });
        }
        Path file = jfrFiles().getFirst();
        assertThat(file.getFileName().toString())
                .startsWith("unknown_service_java-") // the default service name: no service name is configured
                .endsWith(".jfr");
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).anyMatch(e -> e.getEventType().getName().equals("jdk.ExecutionSample"));
    }

    @Test
    void theDirectoryKeepsAtMostMaxFilesRecordings() {
        VigilConfig vigil = VigilConfig.builder()
                .profilingEnabled(true)
                .pyroscopeServerAddress(dir.toUri())
                .build();
        ProfilingConfig config = ProfilingConfig.builder(vigil)
                .uploadInterval(Duration.ofSeconds(1))
                .maxFiles(2)
                .build();
        try (VigilProfiling profiling = VigilProfiling.start(config)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                Workload.burn(100);
                return profiling.deliveredProfiles() >= 4;
            });
        }
        assertThat(jfrFiles()).hasSize(2);
    }

    private List<Path> jfrFiles() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jfr")
                            && !p.getFileName().toString().startsWith(".partial"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
