package io.vigil.example.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.OperationKind;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.logback.VigilLogging;
import io.vigil.test.MetricSamples;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The notes example as a user runs it: real HTTP, H2, JSON logs; its telemetry, end to end. */
class NotesServiceTest {
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String TOKEN = "test-token-" + UUID.randomUUID();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final HttpClient http = HttpClient.newHttpClient();
    private Vigil vigil;
    private VigilLogging logging;
    private NotesService service;

    @BeforeEach
    void start() {
        vigil = Vigil.builder()
                .config(VigilConfig.builder().serviceName("notes-service").build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans))))
                .build();
        logging = VigilLogging.builder(vigil.config()).output(stdout).install().connect(vigil.openTelemetry());
    }

    private void startService(Map<String, String> database) {
        Map<String, String> env = new HashMap<>(database);
        env.put("PORT", "0");
        env.put("MANAGEMENT_PORT", "0");
        env.put("NOTES_API_TOKEN", TOKEN);
        service = NotesService.start(vigil, env);
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
        logging.close();
        vigil.close();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(method, path, body, "Bearer " + TOKEN);
    }

    private HttpResponse<String> send(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            b = b.header("Authorization", authorization);
        }
        b = body == null
                ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private MetricSamples metrics() throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.managementPort() + "/metrics"))
                .build();
        return MetricSamples.parse(
                http.send(r, HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void writesNeedTheBearerTokenAndEachValidationIsCounted() throws Exception {
        startService(Map.of("DATABASE_URL", "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1"));
        HttpResponse<String> missing = send("POST", "/notes", "{\"text\":\"x\"}", null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(missing.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(send("POST", "/notes", "{\"text\":\"x\"}", "Basic abc").statusCode())
                .isEqualTo(401);
        assertThat(send("POST", "/notes", "{\"text\":\"x\"}", "Bearer wrong").statusCode())
                .isEqualTo(401);
        assertThat(send("POST", "/notes", "{\"text\":\"x\"}").statusCode()).isEqualTo(201);
        assertThat(send("GET", "/notes", null, null).statusCode()).isEqualTo(200); // reads stay open

        MetricSamples m = metrics();
        for (String status : List.of("missing", "malformed", "invalid", "valid")) {
            assertThat(m.value("token_validation_total", Map.of("status", status)))
                    .as(status)
                    .isEqualTo(1);
        }
        assertThat(m.value("note_operations_total", Map.of("operation_type", "create", "status", "success")))
                .isEqualTo(1);
        // The check is a span under the request's; refusals are security events in the JSON log.
        SpanData check = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("token.validate")
                        && s.getAttributes().toString().contains("invalid"))
                .findFirst()
                .orElseThrow();
        SpanData post = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getSpanId().equals(check.getParentSpanId()))
                .findFirst()
                .orElseThrow();
        assertThat(post.getKind()).isEqualTo(SpanKind.SERVER);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> stdout.toString(StandardCharsets.UTF_8).contains("token_validation_failed"));
        assertThat(stdout.toString(StandardCharsets.UTF_8)).doesNotContain(TOKEN);
    }

    @Test
    void requestsEmitHttpOperationDatabaseAndPoolTelemetry() throws Exception {
        startService(Map.of("DATABASE_URL", "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1"));
        HttpResponse<String> created = send("POST", "/notes", "{\"text\":\"buy milk\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.body()).contains("\"text\":\"buy milk\"");
        assertThat(send("GET", "/notes/" + id(created), null).statusCode()).isEqualTo(200);
        HttpResponse<String> missing = send("GET", "/notes/999", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(missing.body())
                .isEqualTo("{\"type\":\"urn:notes:problem:not-found\",\"title\":\"Not Found\",\"status\":404,"
                        + "\"detail\":\"No note 999\"}");
        assertThat(send("POST", "/notes", "{\"text\":\" \"}").statusCode()).isEqualTo(422);
        assertThat(send("GET", "/notes", null).body()).contains("buy milk");

        MetricSamples m = metrics();
        assertThat(m.value(
                        "http_requests_total",
                        Map.of("method", "GET", "endpoint", "/notes/{id}", "status_code", "404")))
                .isEqualTo(1);
        assertThat(m.value("note_operations_total", Map.of("operation_type", "create", "status", "success")))
                .isEqualTo(1);
        assertThat(m.value("note_operations_total", Map.of("operation_type", "create", "status", "failure")))
                .isEqualTo(1);
        assertThat(m.value("note_operations_total", Map.of("operation_type", "get", "status", "failure")))
                .isEqualTo(1);
        assertThat(m.value("note_operation_duration_seconds_count", Map.of("operation_type", "list")))
                .isEqualTo(1);
        assertThat(m.value(
                        "database_operations_total",
                        Map.of("operation", "insert", "table", "notes", "status", "success")))
                .isEqualTo(1);
        assertThat(m.value(
                        "database_operations_total",
                        Map.of("operation", "select", "table", "notes", "status", "success")))
                .isEqualTo(3);
        assertThat(m.value("db_connections_max", Map.of("pool", "notes"))).isEqualTo(5);
        assertThat(m.value("db_connections_active", Map.of("pool", "notes"))).isZero();
        assertThat(m.find("db_connections_idle", Map.of("pool", "notes"))).isPresent();
        assertThat(m.find("db_connections_pending", Map.of("pool", "notes"))).isPresent();

        // The trace: HTTP server span → note.create → the INSERT's JDBC client span.
        SpanData create = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("note.create")
                        && s.getAttributes().toString().contains("success"))
                .findFirst()
                .orElseThrow();
        SpanData insert = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.CLIENT && s.getTraceId().equals(create.getTraceId()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no JDBC span in " + spans.getFinishedSpanItems()));
        assertThat(insert.getParentSpanId()).isEqualTo(create.getSpanId());
        SpanData server = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getSpanId().equals(create.getParentSpanId()))
                .findFirst()
                .orElseThrow();
        assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);

        // JSON log lines on stdout, the operation's and the access log's, with the trace id.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(lines())
                        .anySatisfy(line -> assertThat(line)
                                .contains("\"event_type\":\"http_request\"")
                                .contains("\"trace_id\":\"" + create.getTraceId() + "\"")));
        assertThat(lines()).allSatisfy(line -> assertThat(line).startsWith("{").endsWith("}"));
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(lines())
                        .anySatisfy(line -> assertThat(line)
                                .contains("\"event_type\":\"note\"")
                                .contains("\"trace_id\":\"")));

        // Nothing of the reference service leaks into another service's telemetry.
        StringBuilder all = new StringBuilder(metrics().text()).append(stdout.toString(StandardCharsets.UTF_8));
        spans.getFinishedSpanItems()
                .forEach(s -> all.append(s.getName()).append(s.getAttributes()).append(s.getResource()));
        assertThat(all.toString().toLowerCase(Locale.ROOT)).doesNotContain("identity");
    }

    @Test
    void runsOnPostgresqlByEnvironment() throws Exception {
        String schema = "notes_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(PG, "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            if (Boolean.getBoolean("vigil.require.servers")) {
                Assertions.fail("PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage());
            }
            Assumptions.abort("PostgreSQL at 127.0.0.1:5432 is not available: " + e.getMessage());
        }
        try {
            startService(Map.of("DATABASE_URL", PG + "?currentSchema=" + schema, "DATABASE_USER", "postgres"));
            HttpResponse<String> created = send("POST", "/notes", "{\"text\":\"on postgres\"}");
            assertThat(created.statusCode()).isEqualTo(201);
            assertThat(send("GET", "/notes/" + id(created), null).body()).contains("on postgres");
            assertThat(metrics()
                            .value(
                                    "database_operations_total",
                                    Map.of("operation", "select", "table", "notes", "status", "success")))
                    .isEqualTo(1);
            assertThat(spans.getFinishedSpanItems())
                    .filteredOn(sp -> sp.getKind() == SpanKind.CLIENT)
                    .isNotEmpty()
                    .allSatisfy(sp -> assertThat(sp.getAttributes().get(AttributeKey.stringKey("db.system")))
                            .isEqualTo("postgresql"));
        } finally {
            try (Connection c = DriverManager.getConnection(PG, "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static String id(HttpResponse<String> created) {
        Matcher m = Pattern.compile("\"id\":(\\d+)").matcher(created.body());
        assertThat(m.find()).as(created.body()).isTrue();
        return m.group(1);
    }

    @Test
    void theCatalogueListsEveryKindTheServiceUses() {
        assertThat(new NotesCatalogue().get())
                .extracting(OperationKind::name)
                .containsExactly(NoteOperation.KIND.name(), DatabaseOperation.KIND.name());
    }

    private List<String> lines() {
        return Arrays.stream(stdout.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(l -> !l.isBlank())
                .toList();
    }
}
