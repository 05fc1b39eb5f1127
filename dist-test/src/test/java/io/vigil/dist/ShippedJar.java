package io.vigil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One executable jar, exactly as shipped, run by {@code java -jar} in a child JVM (the JDK running
 * the tests) with an environment of the test's choosing; its stdout and stderr are collected line
 * by line.
 */
final class ShippedJar implements AutoCloseable {
    /** Start-up on a loaded 2-core CI machine takes tens of seconds; the bound is for a hang, not speed. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final Thread[] readers;

    private ShippedJar(Process process) {
        this.process = process;
        readers = new Thread[] {collect(process.getInputStream(), stdout), collect(process.getErrorStream(), stderr)};
    }

    /** The jar a build property names (set by failsafe to the file the package phase wrote). */
    static Path jar(String property) {
        String path = System.getProperty(property);
        assertThat(path).as("system property %s", property).isNotBlank();
        Path jar = Path.of(path);
        assertThat(jar).as("the packaged %s (run ./mvnw verify)", property).isRegularFile();
        return jar;
    }

    /**
     * Starts {@code java -jar jar args} in {@code workDir}, with only {@code env} (and PATH/HOME) as
     * its environment, so nothing from the developer's shell changes what is tested.
     */
    static ShippedJar start(Path jar, Path workDir, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        Map<String, String> environment = pb.environment();
        String path = environment.get("PATH");
        String home = environment.get("HOME");
        environment.clear();
        if (path != null) {
            environment.put("PATH", path);
        }
        if (home != null) {
            environment.put("HOME", home);
        }
        environment.putAll(env);
        Files.createDirectories(workDir);
        return new ShippedJar(pb.start());
    }

    private static Thread collect(InputStream in, List<String> into) {
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            into.add(line);
                        }
                    } catch (IOException e) {
                        // the process is gone
                    }
                },
                "shipped-jar-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    List<String> stdout() {
        return List.copyOf(stdout);
    }

    List<String> stderr() {
        return List.copyOf(stderr);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to end by itself; its exit code, or fails the test after {@code timeout}. */
    int awaitExit(Duration timeout) throws InterruptedException {
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(ended)
                .as("process still running %s after start; stdout %s stderr %s", timeout, stdout, stderr)
                .isTrue();
        joinReaders();
        return process.exitValue();
    }

    /**
     * Asks the process to stop (SIGTERM) and waits for it and for the last of its output; its exit code (137 when it
     * had to be killed after 60 s).
     */
    int stop() throws InterruptedException {
        // SIGTERM through the process handle: Process.destroy() sends the same signal but then closes this side of
        // the child's stdout and stderr pipes at once, so everything the process says while it stops (its shutdown
        // lines, a stack trace, a JVM warning) was lost, and a write to the closed pipe failed in the child.
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        joinReaders();
        return process.exitValue();
    }

    private void joinReaders() throws InterruptedException {
        for (Thread t : readers) {
            t.join(10_000);
        }
    }

    /** Every stdout line parsed as one JSON object (the test fails on the first that is not). */
    List<JsonNode> jsonLines() {
        List<JsonNode> out = new ArrayList<>();
        for (String line : stdout()) {
            try {
                JsonNode node = JSON.readTree(line);
                assertThat(node.isObject()).as("a JSON object: %s", line).isTrue();
                out.add(node);
            } catch (IOException e) {
                throw new AssertionError("stdout line is not JSON: " + line, e);
            }
        }
        return out;
    }

    /** No JVM (or library) warning on stderr: JDK 24+ prints those as lines starting with WARNING. */
    void assertNoWarningsOnStderr() {
        assertThat(stderr()).as("stderr").noneMatch(l -> l.contains("WARNING"));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UncheckedIOException(new IOException("interrupted while stopping", e));
            }
        }
    }
}
