package io.vigil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.console.VigilConsole;
import io.vigil.core.Scrubber;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code event-pipeline.jar} as shipped, on its no-install defaults (the in-process KRaft broker and
 * H2 in its data directory): an event posted to the API is consumed by its analytics consumer (the
 * consumer metrics on {@code METRICS_PORT} say so), the trace {@code ingest_event → kafka_publish →
 * PRODUCER → CONSUMER} arrives over OTLP, stdout is JSON lines only and stderr has no warning.
 */
class EventPipelineJarIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PORTS = Pattern.compile("API on port (\\d+), metrics on port (\\d+)");

    @TempDir
    Path tmp;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void ingestsPublishesConsumesAndShipsOneTraceWithOnlyJsonOnStdout() throws Exception {
        try (VigilConsole otlp = VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("PORT", "0");
            env.put("METRICS_PORT", "0");
            env.put("LOG_FORMAT", "json");
            env.put("DATA_DIR", tmp.resolve("data").toString());
            env.putAll(otlp.otlpEnvironment());
            try (ShippedJar service =
                    ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
                int[] ports = awaitPorts(service);
                URI api = URI.create("http://127.0.0.1:" + ports[0]);
                URI metrics = URI.create("http://127.0.0.1:" + ports[1] + "/metrics");

                HttpResponse<String> accepted = http.send(
                        HttpRequest.newBuilder(api.resolve("/api/v1/events"))
                                .timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "application/json")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"event_type\":\"page_view\",\"source\":\"web\",\"payload\":{\"path\":\"/\"}}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String eventId = JSON.readTree(accepted.body()).path("event_id").asText();

                await("the event consumed (consumer metrics on METRICS_PORT)")
                        .atMost(Duration.ofSeconds(120))
                        .until(() ->
                                sample(get(metrics), "consumer_messages_processed_total", "status=\"success\"") >= 1);
                assertThat(sample(get(metrics), "events_ingested_total", "status=\"success\""))
                        .isEqualTo(1);
                HttpResponse<String> health = http.send(
                        HttpRequest.newBuilder(api.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).as(health.body()).isEqualTo(200);

                // The trace over OTLP: ingest_event → kafka_publish → PRODUCER → CONSUMER, by parent ids.
                List<JsonNode> spans = await("the ingest trace exported over OTLP, consumer span included")
                        .atMost(Duration.ofSeconds(120))
                        .until(
                                () -> traceOf(otlp, eventId),
                                t -> t.stream()
                                        .anyMatch(s -> s.path("kind").asText().equalsIgnoreCase("consumer")));
                JsonNode ingest = one(spans, "ingest_event");
                JsonNode publish = one(spans, "kafka_publish");
                assertThat(publish.path("parentSpanId").asText())
                        .isEqualTo(ingest.path("spanId").asText());
                JsonNode producer = spans.stream()
                        .filter(s -> s.path("kind").asText().equalsIgnoreCase("producer"))
                        .findFirst()
                        .orElseThrow();
                assertThat(producer.path("parentSpanId").asText())
                        .isEqualTo(publish.path("spanId").asText());
                JsonNode consumer = spans.stream()
                        .filter(s -> s.path("kind").asText().equalsIgnoreCase("consumer"))
                        .findFirst()
                        .orElseThrow();
                assertThat(consumer.path("parentSpanId").asText())
                        .isEqualTo(producer.path("spanId").asText());
                assertThat(consumer.path("name").asText()).isEqualTo("events process");

                // SIGTERM is an orderly stop and a success, as identity-service's: exit 0 (it was the JVM's 143), the
                // parts stopped in order, the consumer's last batch committed, then the telemetry flushed.
                long stopStart = System.nanoTime();
                assertThat(service.stop()).as("exit code after SIGTERM").isZero();
                assertThat(Duration.ofNanos(System.nanoTime() - stopStart)).isLessThan(Duration.ofSeconds(60));
                List<JsonNode> lines = service.jsonLines();
                assertThat(lines)
                        .isNotEmpty()
                        .allSatisfy(l -> assertThat(l.get("service").asText()).isEqualTo("event-pipeline"));
                List<String> messages =
                        lines.stream().map(l -> l.get("message").asText()).toList();
                assertThat(messages.stream()
                                .filter(m -> m.startsWith("Shutdown:"))
                                .toList())
                        .as("the stop lines in %s", messages)
                        .containsSubsequence(
                                "Shutdown: health answers 503",
                                "Shutdown: outbox relay stopped",
                                "Shutdown: Kafka producer closed",
                                "Shutdown: analytics consumer stopped; its last batch written and committed",
                                "Shutdown: metrics server stopped",
                                "Shutdown: events database pool closed",
                                "Shutdown: embedded Kafka broker stopped",
                                "Shutdown: flushing telemetry");
                assertThat(messages)
                        .anyMatch(m -> m.startsWith("Shutdown: requests in flight finished; API stopped after"));
                assertThat(lines)
                        .as("nothing failed")
                        .noneMatch(l -> l.get("level").asText().equals("ERROR"));
                service.assertNoWarningsOnStderr();
                assertThat(service.stderr()).as("stderr").isEmpty();
            }
        }
    }

    /**
     * SIGTERM while the pipeline is still starting (its embedded broker, its schema): it was the JVM's default, exit
     * code 143 without any shutdown hook, the start's last log lines lost. Now the start finishes and the pipeline
     * stops in order, exit code 0. (Sent at the first log line; should the start win the race, this is the ordinary
     * stop, which must end the same way.)
     */
    @Test
    void aStopAskedForWhileStartingEndsInOrderWithExitCode0() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("LOG_FORMAT", "json");
        env.put("DATA_DIR", tmp.resolve("data").toString());
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
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

    /**
     * An OTEL_* variable the SDK refuses: one configuration line in the JSON log, the service serving, stderr empty.
     * The SDK's own report of it came as two plain-text java.util.logging lines on stderr.
     */
    @Test
    void anOtelVariableTheSdkRefusesIsOneJsonWarningAndNothingOnStderr() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("LOG_FORMAT", "json");
        env.put("DATA_DIR", tmp.resolve("data").toString());
        env.put("OTEL_EXPORTER_OTLP_HEADERS", "garbage");
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9");
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
            awaitPorts(service);
            assertThat(service.stop())
                    .as("exit code; stdout %s", service.stdout())
                    .isZero();
            assertThat(service.jsonLines().stream()
                            .map(l -> l.get("message").asText())
                            .filter(m -> m.startsWith("Telemetry configuration")))
                    .singleElement()
                    .satisfies(m -> assertThat(m).contains("otel.exporter.otlp.headers"));
            assertThat(service.stderr()).as("stderr").isEmpty();
        }
    }

    /**
     * A bad value is one ERROR line naming the variable and exit code 2, as identity-service does, and it is found
     * before anything starts: {@code METRICS_PORT=-1} used to be noticed only after the embedded broker had started
     * (plain text on stderr, exit 1, and the broker's shutdown on the way out).
     */
    @Test
    void aConfigurationErrorIsOneLineAndExitCode2BeforeAnythingStarts() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "-1");
        env.put("LOG_FORMAT", "json");
        env.put("DATA_DIR", tmp.resolve("data").toString());
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
            assertThat(service.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(2);
            List<JsonNode> lines = service.jsonLines();
            assertThat(lines)
                    .filteredOn(l -> l.get("level").asText().equals("ERROR"))
                    .singleElement()
                    .satisfies(l -> assertThat(l.get("message").asText())
                            .startsWith("event-pipeline cannot start: configuration error")
                            .contains("METRICS_PORT"));
            assertThat(lines)
                    .as("nothing started")
                    .noneMatch(l -> l.get("message").asText().contains("embedded Kafka broker"))
                    .noneMatch(l -> l.get("logger").asText().startsWith("com.zaxxer.hikari"));
            assertThat(service.stderr()).as("stderr").isEmpty();
        }
    }

    /**
     * A start that fails after the embedded broker started (the API or the metrics port is taken) ends at once with
     * exit code 1 and exactly one ERROR line naming the variable and the port, without a stack trace (Javalin's own
     * "Failed to start Javalin" ERROR came first, and ours carried the bind's stack trace); stderr stays empty:
     * stopping the broker used to print JDK 24+'s four-line {@code sun.misc.Unsafe::invokeCleaner} warning.
     */
    @ParameterizedTest
    @ValueSource(strings = {"PORT", "METRICS_PORT"})
    void aPortInUseIsOneLineNamingItsVariableAndExitCode1(String variable) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("0.0.0.0"))) {
            Map<String, String> env = new HashMap<>();
            env.put("PORT", "0");
            env.put("METRICS_PORT", "0");
            env.put(variable, Integer.toString(taken.getLocalPort()));
            env.put("LOG_FORMAT", "json");
            env.put("DATA_DIR", tmp.resolve("data").toString());
            try (ShippedJar service =
                    ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
                assertThat(service.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(1);
                List<JsonNode> lines = service.jsonLines();
                assertThat(lines)
                        .as("the broker had started")
                        .anyMatch(l -> l.get("message").asText().contains("embedded Kafka broker"));
                assertThat(lines)
                        .filteredOn(l -> l.get("level").asText().equals("ERROR"))
                        .singleElement()
                        .satisfies(l -> {
                            assertThat(l.get("logger").asText()).isEqualTo("io.vigil.pipeline.EventPipeline");
                            assertThat(l.get("message").asText())
                                    .isEqualTo("event-pipeline cannot start: " + variable + "=" + taken.getLocalPort()
                                            + ": the port is already in use by another process; set " + variable
                                            + " to a free port (0 = any)");
                            assertThat(l.has("exception.stacktrace"))
                                    .as("a stack trace")
                                    .isFalse();
                        });
                assertThat(service.stderr()).as("stderr").isEmpty();
            }
        }
    }

    /**
     * A second pipeline on the same host with the same {@code DATA_DIR} (the default, {@code <tmpdir>/vigil-event-pipeline},
     * for two started by hand) is refused before its embedded broker touches the first one's: one ERROR line naming
     * {@code DATA_DIR}, exit code 1, no stack trace. Its controller used to start on the first broker's metadata log
     * and take the leadership before Kafka's own lock refused its broker: the first pipeline's stop then hung until
     * the 60 s bound, and its metadata log was found corrupt (and truncated) at its next start.
     */
    @Test
    void aSecondPipelineOnADataDirInUseIsOneLineAndExitCode1AndTheFirstRunsAndStopsInOrder() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("LOG_FORMAT", "json");
        env.put("DATA_DIR", tmp.resolve("data").toString());
        try (ShippedJar first = ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work1"), env)) {
            URI api = URI.create("http://127.0.0.1:" + awaitPorts(first)[0]);
            try (ShippedJar second =
                    ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work2"), env)) {
                assertThat(second.awaitExit(ShippedJar.START_TIMEOUT)).isEqualTo(1);
                List<JsonNode> lines = second.jsonLines();
                assertThat(lines)
                        .filteredOn(l -> l.get("level").asText().equals("ERROR"))
                        .singleElement()
                        .satisfies(l -> {
                            // As the service's scrubber renders it: the temporary directory's random name is
                            // sometimes a Luhn-valid 19-digit run, which every signal redacts as a card number.
                            assertThat(l.get("message").asText())
                                    .startsWith(Scrubber.defaults()
                                            .scrubText("event-pipeline cannot start: DATA_DIR=" + tmp.resolve("data")))
                                    .contains("in use by another event-pipeline process");
                            assertThat(l.has("exception.stacktrace"))
                                    .as("a stack trace")
                                    .isFalse();
                        });
                assertThat(second.stderr()).as("stderr").isEmpty();
            }
            HttpResponse<String> accepted = http.send(
                    HttpRequest.newBuilder(api.resolve("/api/v1/events"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"event_type\":\"page_view\",\"source\":\"web\",\"payload\":{}}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            long stopStart = System.nanoTime();
            assertThat(first.stop()).as("exit code after SIGTERM").isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - stopStart)).isLessThan(Duration.ofSeconds(30));
            assertThat(first.jsonLines())
                    .extracting(l -> l.get("message").asText())
                    .contains("Shutdown: embedded Kafka broker stopped")
                    .noneMatch(m -> m.contains("Corruption") || m.contains("invalid messages"));
            assertThat(first.stderr()).as("stderr").isEmpty();
        }
    }

    /**
     * With Kafka unreachable the pipeline starts, its health says so, and the log says it once: the Kafka clients'
     * reconnect warnings (two a second per client, five clients) used to flood it, and one warning per topic.
     */
    @Test
    void anUnreachableKafkaIsOneWarningNotAFlood() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("LOG_FORMAT", "json");
        env.put("DATA_DIR", tmp.resolve("data").toString());
        env.put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + closed);
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
            int[] ports = awaitPorts(service);
            URI api = URI.create("http://127.0.0.1:" + ports[0]);
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(api.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
            assertThat(health.body()).contains("kafka");
            service.stop();
            List<JsonNode> lines = service.jsonLines();
            assertThat(lines)
                    .as("Kafka client warnings")
                    .noneMatch(l -> l.get("level").asText().equals("WARN")
                            && l.get("logger").asText().startsWith("org.apache.kafka"));
            assertThat(lines)
                    .filteredOn(l -> l.get("level").asText().equals("WARN")
                            && l.get("message").asText().contains("not created"))
                    .singleElement()
                    .satisfies(l -> assertThat(l.get("message").asText())
                            .contains("events")
                            .contains("events.dlt")
                            .contains("identity.audit"));
            service.assertNoWarningsOnStderr();
        }
    }

    /**
     * {@code METRICS_PORT} answers every error as RFC 9457 problem+json, those of its HTTP server included: the JDK
     * server it ran on answered a bad request line, a bad {@code %} escape or conflicting headers with its own HTML
     * page before any handler ran. Sent raw, as a broken client or a scanner sends them; a scrape still works.
     */
    @Test
    void theMetricsPortAnswersMalformedRequestsWithProblemJson() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("METRICS_PORT", "0");
        env.put("LOG_FORMAT", "json");
        env.put("DATA_DIR", tmp.resolve("data").toString());
        try (ShippedJar service = ShippedJar.start(ShippedJar.jar("event-pipeline.jar"), tmp.resolve("work"), env)) {
            int port = awaitPorts(service)[1];
            Map<String, String> refused = Map.of(
                    "a bad request line",
                    "GARBAGE\r\n\r\n",
                    "a bad escape",
                    "GET /%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    "conflicting Content-Length",
                    "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
                            + "Connection: close\r\n\r\nxx",
                    "OPTIONS *",
                    "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    "Content-Length and Transfer-Encoding",
                    "GET /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n"
                            + "Connection: close\r\n\r\n",
                    "a bad Content-Length",
                    "GET /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\nConnection: close\r\n\r\n",
                    "another path",
                    "GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    "another method",
                    "DELETE /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            refused.forEach((what, request) -> {
                String response = raw(port, request);
                assertThat(response).as(what).matches("(?s)HTTP/1\\.1 4\\d\\d .*");
                assertThat(response.toLowerCase(java.util.Locale.ROOT))
                        .as(what)
                        .contains("\r\ncontent-type: application/problem+json")
                        .doesNotContain("<html")
                        .contains("\"status\":4");
            });
            assertThat(raw(port, "GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 404 ");
            assertThat(raw(port, "DELETE /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 405 ")
                    .containsIgnoringCase("\r\nAllow: GET, HEAD");

            // The scrape and its content negotiation, unchanged.
            URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
            HttpResponse<String> text =
                    http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(text.statusCode()).isEqualTo(200);
            assertThat(text.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            assertThat(text.body()).contains("# TYPE ");
            HttpResponse<String> open = http.send(
                    HttpRequest.newBuilder(metrics)
                            .header("Accept", "application/openmetrics-text; version=1.0.0")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(open.statusCode()).isEqualTo(200);
            assertThat(open.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/openmetrics-text"));
            assertThat(open.body()).endsWith("# EOF\n");
            HttpResponse<Void> head = http.send(
                    HttpRequest.newBuilder(metrics)
                            .method("HEAD", HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));

            assertThat(service.stop()).as("exit code after SIGTERM").isZero();
            assertThat(service.jsonLines())
                    .as("a refused request is the client's fault, not an error of the service")
                    .noneMatch(l -> l.get("level").asText().equals("ERROR"));
            service.assertNoWarningsOnStderr();
        }
    }

    /** Sends {@code request} as is and reads the response until the server closes the connection. */
    private static String raw(int port, String request) {
        try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The API and metrics ports from the start-up line (both were 0). */
    private static int[] awaitPorts(ShippedJar service) {
        return await("event-pipeline started")
                .atMost(ShippedJar.START_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .failFast("the process ended", () -> !service.isAlive())
                .until(() -> ports(service), Optional::isPresent)
                .orElseThrow();
    }

    private static Optional<int[]> ports(ShippedJar service) {
        for (String line : service.stdout()) {
            Matcher m = PORTS.matcher(line);
            if (m.find()) {
                return Optional.of(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
            }
        }
        return Optional.empty();
    }

    /** The spans of the trace whose ingest_event carries {@code eventId}, from the console's query API. */
    private List<JsonNode> traceOf(VigilConsole console, String eventId) throws Exception {
        JsonNode list = JSON.readTree(consoleGet(console, "/api/traces?name=ingest_event&limit=50"));
        for (JsonNode summary : list.path("traces")) {
            JsonNode trace = JSON.readTree(
                    consoleGet(console, "/api/traces/" + summary.path("traceId").asText()));
            List<JsonNode> spans = new ArrayList<>();
            trace.path("spans").forEach(spans::add);
            boolean ours = spans.stream()
                    .anyMatch(s -> s.path("name").asText().equals("ingest_event")
                            && eventId.equals(s.path("attributes")
                                    .path("pipeline.event_id")
                                    .asText()));
            if (ours) {
                return spans;
            }
        }
        return List.of();
    }

    private String consoleGet(VigilConsole console, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(console.httpEndpoint() + path))
                        .header("Authorization", "Bearer " + console.token())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static JsonNode one(List<JsonNode> spans, String name) {
        List<JsonNode> found =
                spans.stream().filter(s -> s.path("name").asText().equals(name)).toList();
        assertThat(found).as("%s in %s", name, spans).hasSize(1);
        return found.get(0);
    }

    private String get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** The sum of the Prometheus samples of {@code name} whose labels contain {@code label}. */
    private static double sample(String exposition, String name, String label) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
