package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.VigilConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A profiler that cannot unpack its native library (an unwritable {@code java.io.tmpdir}: a read-only container,
 * another user's directory) is reported with the reason an operator can act on, not a bare {@code
 * ExceptionInInitializerError}. In a JVM of its own: a failed static initialiser stays failed for the whole JVM.
 */
class UnwritableTmpdirTest {

    @Test
    void theWarningNamesWhyTheProfilerCouldNotStart(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Path tmpdir = file.resolve("tmp"); // under a regular file: unwritable even for root
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(
                        java.toString(),
                        "-Djava.io.tmpdir=" + tmpdir,
                        "-cp",
                        System.getProperty("java.class.path"),
                        Child.class.getName(),
                        dir.resolve("jfr").toString())
                .redirectErrorStream(true)
                .start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> warnings = output.lines()
                .filter(l -> l.contains("Profiling could not start"))
                .toList();
        assertThat(warnings)
                .as(output)
                .singleElement()
                .satisfies(line -> assertThat(line)
                        .as("the cause, not only the ExceptionInInitializerError that carries it")
                        .contains("caused by")
                        .contains(tmpdir.getFileName().toString()));
        assertThat(output).as("running=false").contains("running=false");
        assertThat(child.exitValue()).isZero();
    }

    /** Starts profiling with a JFR directory (no server needed) and prints whether it runs. */
    public static final class Child {
        public static void main(String[] args) {
            VigilConfig config = VigilConfig.builder()
                    .serviceName("unwritable-tmpdir")
                    .profilingEnabled(true)
                    .build();
            ProfilingConfig profilingConfig = ProfilingConfig.builder(config)
                    .destination(new ProfilingConfig.Directory(Path.of(args[0])))
                    .build();
            try (VigilProfiling profiling = VigilProfiling.start(profilingConfig)) {
                System.out.println("running=" + profiling.running());
            }
        }
    }
}
