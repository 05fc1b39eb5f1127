package io.vigil.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.console.VigilConsole;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.logback.VigilLogging;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * vigil-console/README.md's "Embedded" snippet, run as written: a service that follows it sees its log lines in the
 * console. The snippet once read logging's configuration from the real environment (no OTLP endpoint there) and the
 * runtime's from the console's two variables alone: the console got no log record and nothing said why.
 */
class EmbeddedConsoleRecipeTest {
    private static final String BEGIN = "// README: vigil-console embedded";
    private static final String END = "// README: end";

    @Test
    void aLogLineOfAServiceFollowingTheReadmeReachesTheConsole() throws Exception {
        String marker = "order placed " + UUID.randomUUID();
        // README: vigil-console embedded
        VigilConsole console = VigilConsole.builder().httpPort(0).grpcPort(-1).start();
        // One configuration for logging and telemetry: the process's environment, the console's OTLP settings over it.
        VigilConfig config = VigilConfig.fromEnvironment(console.otlpEnvironment(System.getenv()));
        VigilLogging logging = VigilLogging.install(config); // first thing after the console
        Vigil vigil = Vigil.builder()
                .config(config) // OTLP "on", pointing at the console …
                .exportInProcess(
                        console.spanExporter(), // … handed over directly
                        console::metricExporter,
                        console.logRecordExporter(),
                        console::filterSpans)
                .build();
        logging.connect(vigil.openTelemetry()); // log records to the console too
        console.registerMetrics(vigil.openTelemetry()); // the console's own cost, see below
        System.err.println("Telemetry: " + console.uiUrl()); // not stdout: the log stream must not carry the token
        // … at shutdown: logging.close(); vigil.close(); console.close();
        // README: end
        try {
            LoggerFactory.getLogger("io.example.Orders").info(marker);
        } finally {
            logging.close();
            vigil.close(); // flushes the log records to the console
        }
        try (console) {
            assertThat(console.flush(Duration.ofSeconds(10))).isTrue();
            String logs = get(console, "/api/logs?q=" + URLEncoder.encode(marker, StandardCharsets.UTF_8));
            assertThat(logs).contains("\"body\":\"" + marker + "\"").contains("\"level\":\"INFO\"");
            assertThat(console.stats().logs()).isPositive();
        }
    }

    @Test
    void theReadmeShowsThisTestsSnippet() throws Exception {
        List<String> source =
                Files.readAllLines(Path.of("src/test/java/io/vigil/example/EmbeddedConsoleRecipeTest.java"));
        List<String> snippet =
                source.subList(source.indexOf("        " + BEGIN) + 1, source.indexOf("        " + END)).stream()
                        .map(line -> line.substring(Math.min(8, line.length())))
                        .toList();
        String readme = Files.readString(Path.of("../vigil-console/README.md"));
        assertThat(readme).contains("```java\n" + String.join("\n", snippet) + "\n```");
    }

    private static String get(VigilConsole console, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(console.httpEndpoint() + path))
                                .header("Authorization", "Bearer " + console.token())
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
