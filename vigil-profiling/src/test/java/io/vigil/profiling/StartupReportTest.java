package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.vigil.core.VigilConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vigil-core's start-up summary names only what vigil-core sets up; the profiler is reported here, by the line that
 * starts it: {@code Vigil profiling: …} when it runs, and only then; one WARN naming the cause when it was asked for
 * and could not start (before, the summary named a profiler from {@code PROFILING_ENABLED} alone, whether it ran or
 * not).
 */
class StartupReportTest {

    @Test
    void aProfilerThatRunsIsNamedInItsStartLine(@TempDir Path dir) {
        try (LogCapture logs = new LogCapture();
                VigilProfiling profiling = VigilProfiling.start(config(dir))) {
            assertThat(profiling.running()).isTrue();
            assertThat(logs.at(Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage)
                    .filteredOn(m -> m.startsWith("Vigil profiling: "))
                    .singleElement()
                    .satisfies(m -> assertThat(m).contains(dir.toString()));
            assertThat(logs.at(Level.WARN)).isEmpty();
        }
    }

    @Test
    void aProfilerThatFailedIsNotNamedAsRunningAndItsWarningSaysWhy(@TempDir Path tmp) throws Exception {
        Path notADirectory = Files.createFile(tmp.resolve("profiles-file"));
        try (LogCapture logs = new LogCapture();
                VigilProfiling profiling = VigilProfiling.start(config(notADirectory.resolve("jfr")))) {
            assertThat(profiling.running()).isFalse();
            assertThat(logs.at(Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage)
                    .noneMatch(m -> m.startsWith("Vigil profiling: "));
            assertThat(logs.at(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage)
                    .singleElement()
                    .satisfies(m -> assertThat(m)
                            .startsWith("Profiling could not start and stays off")
                            .as("the cause, naming what to fix")
                            .contains("profiles-file"));
        }
    }

    private static ProfilingConfig config(Path dir) {
        VigilConfig vigil = VigilConfig.builder()
                .serviceName("startup-report")
                .profilingEnabled(true)
                .pyroscopeServerAddress(dir.toUri())
                .build();
        return ProfilingConfig.builder(vigil).build();
    }
}
