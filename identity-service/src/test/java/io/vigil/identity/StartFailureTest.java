package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The real executable ({@link Main} in a child JVM) failing to start on a dependency: one ERROR line an operator acts
 * on, without a stack trace, and the exit code of a failed start.
 */
class StartFailureTest {
    @TempDir
    Path temp;

    private Process process;

    @AfterEach
    void cleanUp() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * An unreachable database was an ERROR line starting {@code com.zaxxer.hikari.pool.HikariPool$PoolInitialization
     * Exception} with a 29-frame stack trace; now it says where the database is (not the password) and why.
     */
    @Test
    void anUnreachableDatabaseIsOneLineNamingWhereAndWhyAndExitCode1() throws Exception {
        int closed = DatabaseTest.closedPort();
        Path log = temp.resolve("service.log");
        ProcessBuilder pb = MainProcess.builder("256m", log);
        Map<String, String> env = pb.environment();
        env.put("DATABASE_URL", "postgres://bob:s3cret@127.0.0.1:" + closed + "/db");
        env.put("LOG_FORMAT", "json");
        process = pb.start();

        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("exited").isTrue();
        List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
        String all = String.join("\n", output);
        assertThat(process.exitValue()).as(all).isEqualTo(1);
        List<JsonNode> errors = output.stream()
                .filter(l -> l.startsWith("{"))
                .map(l -> Api.JSON.readTree(l))
                .filter(l -> l.get("level").asString().equals("ERROR"))
                .toList();
        assertThat(errors).as(all).singleElement().satisfies(e -> {
            assertThat(e.get("logger").asString()).isEqualTo(Main.class.getName());
            assertThat(e.get("message").asString())
                    .isEqualTo("identity-service cannot start: no connection to the database at 127.0.0.1:" + closed
                            + "/db (DATABASE_URL): Connection refused");
            assertThat(e.has("exception.stacktrace")).as("a stack trace").isFalse();
        });
        assertThat(output).as("stack frames").noneMatch(l -> l.startsWith("\tat "));
        assertThat(all).doesNotContain("s3cret");
    }
}
