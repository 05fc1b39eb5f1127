package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The repository's deploy/ directory and the tools tests run against it. */
final class Deploy {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    private Deploy() {}

    static Path dir() {
        String configured = System.getProperty("vigil.deploy.dir");
        Path p = configured != null ? Path.of(configured) : Path.of("..", "deploy");
        return p.toAbsolutePath().normalize();
    }

    static Path file(String relative) {
        return dir().resolve(relative);
    }

    static JsonNode yaml(String relative) {
        try {
            return YAML.readTree(file(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renders deploy/alertmanager (configuration and templates) into {@code out} with render.sh, the
     * container's entrypoint, from {@code env} and the secret files in {@code secrets}; returns the
     * rendered configuration.
     */
    static Path renderAlertmanager(Path out, Path secrets, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb =
                new ProcessBuilder("sh", file("alertmanager/render.sh").toString()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> !k.equals("PATH"));
        pb.environment().putAll(env);
        pb.environment().put("RENDER_DIR", out.toString());
        pb.environment().put("SECRETS_DIR", secrets.toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("render.sh failed: " + output);
        }
        return out.resolve("alertmanager.yml");
    }

    /**
     * The path of a command-line tool; when it is missing the test fails where servers and tools
     * are required (CI: -Dvigil.require.servers=true) and is skipped elsewhere.
     */
    static Path tool(String name) {
        Optional<Path> found = Stream.of(
                        System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .map(d -> Path.of(d, name))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isPresent()) {
            return found.get();
        }
        String message = name + " is not installed (apt-get install prometheus prometheus-alertmanager)";
        if (Boolean.getBoolean("vigil.require.servers")) {
            fail(message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }
}
