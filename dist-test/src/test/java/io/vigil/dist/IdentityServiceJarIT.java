package io.vigil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.console.VigilConsole;
import io.vigil.logback.LokiReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code identity-service.jar} as shipped: with every telemetry sink on at once (Loki, OTLP,
 * profiling to files) it serves, ships to each, and writes only JSON lines to stdout and no warning
 * to stderr; a start that fails exits non-zero at once instead of lingering without serving.
 */
class IdentityServiceJarIT {
    private static final Pattern LISTENING = Pattern.compile("identity-service listening on [^:]+:(\\d+)");

    @TempDir
    Path tmp;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What every run shares: its own working directory (the H2 file database), JSON logs, no fixed port. */
    private Map<String, String> baseEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("HOST", "127.0.0.1");
        env.put("PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("LOG_FORMAT", "json");
        env.put("VIGIL_CONSOLE_PORT", "0");
        env.put("VIGIL_LOG_SPOOL_DIR", tmp.resolve("spool").toString());
        return env;
    }

    @Test
    void servesAndShipsLogsTracesAndProfilesWithOnlyJsonOnStdout() throws Exception {
        try (LokiReceiver loki = new LokiReceiver();
                VigilConsole otlp =
                        VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            Path profiles = tmp.resolve("profiles");
            Map<String, String> env = baseEnvironment();
            env.put("LOKI_ENABLED", "true");
            env.put("LOKI_URL", loki.url().toString());
            env.put("LOKI_BATCH_INTERVAL", "1");
            env.putAll(otlp.otlpEnvironment());
            env.put("PROFILING_ENABLED", "true");
            env.put("PYROSCOPE_SERVER_ADDRESS", "file:" + profiles);
            env.put("PYROSCOPE_UPLOAD_INTERVAL", "2s");

            try (ShippedJar service =
                    ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
                int port = awaitListening(service);
                URI base = URI.create("http://127.0.0.1:" + port);

                assertThat(get(base.resolve("/health")).statusCode()).isEqualTo(200);
                assertThat(get(base.resolve("/api/v1/users/me")).statusCode()).isEqualTo(401);

                await("log lines pushed to Loki")
                        .atMost(Duration.ofSeconds(60))
                        .untilAsserted(() -> assertThat(loki.entries())
                                .anySatisfy(e -> assertThat(e.labels())
                                        .containsEntry("service", "identity-service")
                                        .containsKey("level")));
                await("spans exported over OTLP")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> otlp.stats().spans() > 0);
                await("a JFR profile written")
                        .atMost(Duration.ofSeconds(90))
                        .until(() -> jfrFiles(profiles).anyMatch(f -> f.toFile().length() > 0));

                service.stop();
                List<JsonNode> lines = service.jsonLines();
                assertThat(lines)
                        .isNotEmpty()
                        .allSatisfy(l -> assertThat(l.get("service").asText()).isEqualTo("identity-service"));
                assertThat(lines)
                        .as("no telemetry component failed to start")
                        .noneMatch(l -> l.get("level").asText().equals("ERROR"));
                service.assertNoWarningsOnStderr();
            }
        }
    }

    /**
     * A port in use (the public or the management one) ends the process at once with exit code 1 and exactly one
     * ERROR line naming the variable and the port, without a stack trace: Javalin's own "Failed to start Javalin"
     * ERROR came first, and ours carried the bind's stack trace.
     */
    @ParameterizedTest
    @ValueSource(strings = {"PORT", "MANAGEMENT_PORT"})
    void aPortInUseIsOneLineNamingItsVariableAndExitCode1(String variable) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Map<String, String> env = baseEnvironment();
            env.put(variable, Integer.toString(taken.getLocalPort()));
            // The in-process console and the Loki spool start threads that used to keep the JVM alive after
            // main failed.
            env.put("LOKI_ENABLED", "true");
            env.put("LOKI_URL", "http://127.0.0.1:9");
            try (ShippedJar service =
                    ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
                assertThat(service.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(1);
                assertThat(service.jsonLines())
                        .filteredOn(l -> l.get("level").asText().equals("ERROR"))
                        .singleElement()
                        .satisfies(l -> {
                            assertThat(l.get("logger").asText()).isEqualTo("io.vigil.identity.Main");
                            assertThat(l.get("message").asText())
                                    .isEqualTo("identity-service cannot start: " + variable + "="
                                            + taken.getLocalPort()
                                            + ": the port is already in use by another process; set " + variable
                                            + " to a free port (0 = any)");
                            assertThat(l.has("exception.stacktrace"))
                                    .as("a stack trace")
                                    .isFalse();
                        });
                service.assertNoWarningsOnStderr();
                assertThat(service.stderr()).as("stderr").noneMatch(l -> l.startsWith("\tat "));
            }
        }
    }

    /**
     * With the embedded console's port taken, the console moves to a free port and nothing is an error: Javalin's own
     * "Failed to start Javalin" ERROR used to come first, on every start on a machine where 4318 was in use.
     */
    @Test
    void aTakenConsolePortIsNoErrorTheConsoleMovesToAFreePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Map<String, String> env = baseEnvironment();
            env.put("VIGIL_CONSOLE_PORT", Integer.toString(taken.getLocalPort()));
            try (ShippedJar service =
                    ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
                awaitListening(service);
                assertThat(service.stderr())
                        .anySatisfy(l -> assertThat(l)
                                .startsWith("Telemetry console: http://127.0.0.1:")
                                .doesNotContain(":" + taken.getLocalPort() + "/"));
                assertThat(service.stop()).as("exit code after SIGTERM").isZero();
                List<JsonNode> lines = service.jsonLines();
                assertThat(lines)
                        .as("errors")
                        .noneMatch(l -> l.get("level").asText().equals("ERROR"));
                assertThat(lines)
                        .as("the orderly stop")
                        .anyMatch(l -> l.get("message").asText().equals("Shutdown: flushing telemetry"));
                service.assertNoWarningsOnStderr();
            }
        }
    }

    /**
     * SIGTERM while the service is still starting (a rollout, a liveness probe giving up): it was the JVM's default,
     * exit code 143 without any shutdown hook, and the start's last log lines still in the hand-off were lost. Now the
     * start finishes and the service stops in order, exit code 0. (The signal is sent at the first log line, before the
     * database is migrated and the port opens; on a machine that starts faster than the signal arrives, this is the
     * ordinary stop, which must end the same way.)
     */
    @Test
    void aStopAskedForWhileStartingEndsInOrderWithExitCode0() throws Exception {
        try (ShippedJar service =
                ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), baseEnvironment())) {
            await("the first log line")
                    .atMost(ShippedJar.START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(5))
                    .failFast("the process ended", () -> !service.isAlive())
                    .until(() -> !service.stdout().isEmpty());
            assertThat(service.stop())
                    .as("exit code; stdout %s", service.stdout())
                    .isZero();
            assertThat(service.jsonLines())
                    .extracting(l -> l.get("message").asText())
                    .contains("Shutdown: flushing telemetry");
            service.assertNoWarningsOnStderr();
        }
    }

    @Test
    void aConfigurationErrorEndsTheProcessAtOnceWithExitCode2() throws Exception {
        Map<String, String> env = baseEnvironment();
        env.put("LOGIN_RATE_LIMIT", "plenty");
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
            assertThat(service.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(2);
            assertThat(service.jsonLines())
                    .filteredOn(l -> l.get("level").asText().equals("ERROR"))
                    .singleElement()
                    .satisfies(l -> assertThat(l.get("message").asText())
                            .startsWith("identity-service cannot start")
                            .contains("configuration error")
                            .contains("LOGIN_RATE_LIMIT"));
            service.assertNoWarningsOnStderr();
        }
    }

    /**
     * Bad embedded-console settings are telemetry configuration warnings like any other (one WARN line each in the
     * log, the documented fallback used); they used to be plain stderr text, {@code VIGIL_CONSOLE=maybe} was read as
     * true silently and a bad {@code OTEL_EXPORTER_OTLP_PROTOCOL} was overwritten without a word.
     */
    @Test
    void badConsoleSettingsAreConfigurationWarningsInTheLog() throws Exception {
        Map<String, String> env = baseEnvironment();
        env.put("VIGIL_CONSOLE", "maybe");
        env.put("VIGIL_CONSOLE_TRACES_PER_SECOND", "many");
        env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon");
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
            awaitListening(service);
            service.stop();
            List<String> warnings = service.jsonLines().stream()
                    .filter(l -> l.get("level").asText().equals("WARN"))
                    .map(l -> l.get("message").asText())
                    .toList();
            assertThat(warnings)
                    .contains(
                            "Telemetry configuration: VIGIL_CONSOLE=maybe is not a boolean (true/false, 1/0, yes/no, on/off); using true",
                            "Telemetry configuration: VIGIL_CONSOLE_TRACES_PER_SECOND=many is not a count >= 0 (0"
                                    + " keeps every trace); using 20",
                            "Telemetry configuration: OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon is not a supported"
                                    + " protocol (grpc, http/protobuf); using the embedded console");
            assertThat(service.stderr())
                    .as("stderr: only the console's address")
                    .singleElement()
                    .satisfies(l -> assertThat(l).startsWith("Telemetry console: http://127.0.0.1:"));
        }
    }

    /**
     * An OTEL_* variable the SDK refuses and Vigil does not set itself: one configuration line, the SDK on Vigil's own
     * settings, the service serving. The fallback SDK read the process environment again, met the same value and the
     * start ended in a stack trace, exit code 1.
     */
    @Test
    void anOtelVariableTheSdkRefusesIsOneWarningAndTheServiceServes() throws Exception {
        Map<String, String> env = baseEnvironment();
        env.put("OTEL_EXPORTER_OTLP_HEADERS", "garbage");
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
            awaitListening(service);
            service.stop();
            assertThat(service.jsonLines().stream()
                            .filter(l -> l.get("level").asText().equals("WARN"))
                            .map(l -> l.get("message").asText())
                            .filter(m -> m.startsWith("Telemetry configuration")))
                    .singleElement()
                    .satisfies(m -> assertThat(m).contains("otel.exporter.otlp.headers"));
            assertThat(String.join("\n", service.stderr())).doesNotContain("Exception");
        }
    }

    /**
     * With Kafka unreachable the service serves and says so once (README: one WARN per outage); the Kafka
     * client's own reconnect warnings (two a second) used to flood the log around that one line.
     */
    @Test
    void anUnreachableKafkaIsOneWarningNotAFlood() throws Exception {
        Map<String, String> env = baseEnvironment();
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        env.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + closed);
        env.put("VIGIL_CONSOLE", "false");
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
            int port = awaitListening(service);
            URI base = URI.create("http://127.0.0.1:" + port);
            // A refused login is an audit event, which the outbox publisher then tries to send.
            HttpResponse<String> login = http.send(
                    HttpRequest.newBuilder(base.resolve("/api/v1/auth/login"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"email\":\"nobody@example.com\",\"password\":\"not the password 1\"}"))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).isEqualTo(401);
            await("the publisher's warning")
                    .atMost(Duration.ofSeconds(120))
                    .until(() ->
                            service.stdout().stream().anyMatch(l -> l.contains("Publishing audit events to Kafka")));
            assertThat(get(base.resolve("/health")).statusCode()).isEqualTo(200);
            service.stop();
            List<JsonNode> warnings = service.jsonLines().stream()
                    .filter(l -> l.get("level").asText().equals("WARN")
                            && (l.get("logger").asText().startsWith("org.apache.kafka")
                                    || l.get("logger").asText().endsWith("OutboxPublisher")))
                    .toList();
            assertThat(warnings)
                    .as("Kafka warnings")
                    .singleElement()
                    .satisfies(
                            l -> assertThat(l.get("message").asText()).startsWith("Publishing audit events to Kafka"));
        }
    }

    /**
     * A broker address that does not resolve (yet): the publisher's one WARN says why, and Kafka's own "Couldn't
     * resolve server" line does not come again at each of the publisher's retries. The WARN said only "Failed to
     * construct kafka producer", and the reason came as a WARN of Kafka's per retry, for as long as the outage lasted.
     */
    @Test
    void anUnresolvableKafkaIsOneWarningThatNamesTheCause() throws Exception {
        Map<String, String> env = baseEnvironment();
        env.put("KAFKA_BOOTSTRAP_SERVERS", "kafka.invalid:9092");
        env.put("OUTBOX_POLL_INTERVAL", "100ms"); // retries at 0.1, 0.2, 0.4, 0.8, 1.6 s …
        env.put("VIGIL_CONSOLE", "false");
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("identity-service.jar"), tmp.resolve("work"), env)) {
            URI base = URI.create("http://127.0.0.1:" + awaitListening(service));
            HttpResponse<String> login = http.send(
                    HttpRequest.newBuilder(base.resolve("/api/v1/auth/login"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"email\":\"nobody@example.com\",\"password\":\"not the password 1\"}"))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).isEqualTo(401);
            java.util.function.Supplier<List<JsonNode>> kafkaWarnings = () -> service.jsonLines().stream()
                    .filter(l -> l.get("level").asText().equals("WARN")
                            && (l.get("logger").asText().startsWith("org.apache.kafka")
                                    || l.get("logger").asText().endsWith("OutboxPublisher")))
                    .toList();
            await("the publisher's warning")
                    .atMost(Duration.ofSeconds(120))
                    .until(() -> kafkaWarnings.get().stream()
                            .anyMatch(l -> l.get("message").asText().startsWith("Publishing audit events to Kafka")));
            // Several retries in these 4 s, each one constructing a producer on the unresolvable address.
            await("no further Kafka warning while the publisher retries")
                    .during(Duration.ofSeconds(4))
                    .atMost(Duration.ofSeconds(6))
                    .until(() -> kafkaWarnings.get().size() == 1);
            assertThat(kafkaWarnings.get())
                    .singleElement()
                    .satisfies(l -> assertThat(l.get("message").asText())
                            .startsWith("Publishing audit events to Kafka is failing")
                            .contains("No resolvable bootstrap urls"));
        }
    }

    /** The port the service reports in its "listening" line (it was started on port 0). */
    private static int awaitListening(ShippedJar service) {
        return await("identity-service listening")
                .atMost(ShippedJar.START_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .failFast("the process ended", () -> !service.isAlive())
                .until(() -> listeningPort(service), Optional::isPresent)
                .orElseThrow();
    }

    private static Optional<Integer> listeningPort(ShippedJar service) {
        for (String line : service.stdout()) {
            Matcher m = LISTENING.matcher(line.replaceAll(".*\"message\":\"([^\"]*)\".*", "$1"));
            if (m.find()) {
                return Optional.of(Integer.parseInt(m.group(1)));
            }
        }
        return Optional.empty();
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Stream<Path> jfrFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jfr")).toList().stream();
        }
    }
}
