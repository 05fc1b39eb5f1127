package io.vigil.identity;

import java.nio.file.Path;
import java.util.Map;

/** The service's {@link Main} in a JVM of its own, as a user runs it: a test of what the process does and says. */
final class MainProcess {
    private MainProcess() {}

    /**
     * A process builder for {@link Main} with this test JVM's class path and {@code maxHeap}, its stdout and stderr
     * both to {@code log}, on loopback with any free API and management port and the embedded console off; the
     * caller adds its settings to {@link ProcessBuilder#environment()} and starts it.
     */
    static ProcessBuilder builder(String maxHeap, Path log) {
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName());
        Map<String, String> env = pb.environment();
        env.put("HOST", "127.0.0.1");
        env.put("PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("VIGIL_CONSOLE", "false");
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return pb;
    }
}
