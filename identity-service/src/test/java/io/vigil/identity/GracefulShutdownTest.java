package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to the real executable ({@link Main} in a child JVM, as an orchestrator stops it) while
 * logins are running: each of them must get its tokens, and the process must stop in order.
 *
 * <p>The logins are held in flight deterministically: the test locks the user's row, so each login
 * waits inside its transaction (holding a pool connection) until the test lets it go.
 */
class GracefulShutdownTest {
    private static final int IN_FLIGHT = 8;
    private static final Pattern LISTENING = Pattern.compile("listening on [^:\\s]+:(\\d+)");

    @TempDir
    Path temp;

    private Path log;
    private String schemaUrl;
    private Process process;

    @AfterEach
    void cleanUp() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (schemaUrl != null) {
            TestDatabases.dropPostgresSchema(schemaUrl);
        }
    }

    @Test
    void sigtermDrainsTheRequestsInFlightThenClosesThePoolAndExitsZero() throws Exception {
        schemaUrl = TestDatabases.freshPostgresSchema();
        String applicationName = "shutdown-test-" + UUID.randomUUID().toString().substring(0, 8);
        int port = startService(schemaUrl + "&ApplicationName=" + applicationName);
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        String login = Api.JSON.writeValueAsString(
                Map.of("email", TestService.ADMIN_EMAIL, "password", TestService.ADMIN_PASSWORD));

        List<CompletableFuture<HttpResponse<String>>> logins = new ArrayList<>();
        try (Connection lock = TestDatabases.connect(schemaUrl);
                Connection observer = TestDatabases.connect(schemaUrl)) {
            lock.setAutoCommit(false);
            try (PreparedStatement ps = lock.prepareStatement("SELECT id FROM users WHERE email = ? FOR UPDATE")) {
                ps.setString(1, TestService.ADMIN_EMAIL);
                ps.executeQuery().close();
            }
            for (int i = 0; i < IN_FLIGHT; i++) {
                logins.add(client.sendAsync(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/auth/login"))
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofString(login))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            // Every login is inside the service, waiting for the row the test holds.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                // A login that already answered can never wait on the lock: fail with its answer, not a timeout.
                for (CompletableFuture<HttpResponse<String>> f : logins) {
                    if (f.isDone()) {
                        HttpResponse<String> early = f.join();
                        throw new AssertionError("a login answered before the lock was released: " + early.statusCode()
                                + " " + early.body());
                    }
                }
                return waitingOnLocks(observer, applicationName) == IN_FLIGHT;
            });

            process.destroy(); // SIGTERM

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> logged("no longer accepting connections").isPresent());
            assertThat(logged("no longer accepting connections").orElseThrow())
                    .contains(IN_FLIGHT + " requests in flight");
            // New connections are refused.
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                    .isInstanceOf(ConnectException.class);
            assertThat(process.isAlive()).isTrue();

            lock.rollback(); // let the logins go
        }

        for (CompletableFuture<HttpResponse<String>> f : logins) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Api.JSON.readTree(r.body()).get("access_token").asString())
                    .isNotBlank();
            assertThat(Api.JSON.readTree(r.body()).get("refresh_token").asString())
                    .isNotBlank();
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> output = output();
        assertThat(process.exitValue()).as(String.join("\n", output)).isZero();

        List<String> phases = output.stream()
                .filter(l -> l.contains("Shutdown: "))
                .map(l -> l.replaceAll(".*Shutdown: ([a-z0-9 ]+).*", "$1"))
                .toList();
        assertThat(phases)
                .as(String.join("\n", output))
                .containsExactly(
                        "readiness answers 503",
                        "no longer accepting connections",
                        "requests in flight finished",
                        "job scheduler stopped",
                        "database pool closed",
                        "flushing telemetry");
    }

    private int startService(String databaseUrl) throws Exception {
        log = temp.resolve("service.log");
        ProcessBuilder pb = MainProcess.builder("512m", log);
        Map<String, String> env = pb.environment();
        env.put("DATABASE_URL", databaseUrl);
        env.put("DATABASE_USER", TestDatabases.PG_USER);
        env.put("DATABASE_POOL_SIZE", String.valueOf(IN_FLIGHT + 4));
        env.put("ADMIN_EMAIL", TestService.ADMIN_EMAIL);
        env.put("ADMIN_PASSWORD", TestService.ADMIN_PASSWORD);
        env.put("LOGIN_RATE_LIMIT", "1000/minute");
        env.put("SHUTDOWN_TIMEOUT", "60s");
        // This test is about draining, not the Argon2 bound: every login must reach the locked row even on a
        // loaded machine, where two slots and the default wait would answer some of them 503 first.
        env.put("PASSWORD_HASH_CONCURRENCY", String.valueOf(IN_FLIGHT));
        env.put("PASSWORD_HASH_MAX_WAIT", "60s");
        env.put("LOG_FORMAT", "text");
        process = pb.start();
        await().atMost(Duration.ofSeconds(120))
                .failFast(() -> !process.isAlive())
                .until(() -> logged("listening on").isPresent());
        Matcher m = LISTENING.matcher(logged("listening on").orElseThrow());
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private List<String> output() throws java.io.IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }

    private Optional<String> logged(String fragment) throws java.io.IOException {
        return output().stream().filter(l -> l.contains(fragment)).findFirst();
    }

    // On a connection of its own: pg_stat_activity is a snapshot per transaction.
    private static long waitingOnLocks(Connection c, String applicationName) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity" + " WHERE application_name = ? AND wait_event_type = 'Lock'")) {
            ps.setString(1, applicationName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
