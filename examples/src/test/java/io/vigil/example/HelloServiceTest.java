package io.vigil.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.vigil.core.Vigil;
import io.vigil.test.VigilExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The smallest service answers its two paths, and everything else with problem+json, not the JDK's HTML. */
class HelloServiceTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        server = HelloService.serve(telemetry.runtime(), 0);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HttpResponse<String> send(HttpServer on, String method, String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + on.getAddress().getPort() + path))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void helloAndMetricsAnswer() throws Exception {
        HttpResponse<String> hello = send(server, "GET", "/hello");
        assertThat(hello.statusCode()).isEqualTo(200);
        assertThat(hello.body()).startsWith("hello, trace ");
        HttpResponse<String> metrics = send(server, "GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("app_info");
    }

    @Test
    void otherPathsAndMethodsAreProblemJson() throws Exception {
        for (String path : new String[] {"/", "/nope", "/hellooo", "/hello/x", "/metrics/x", "/metricsXYZ"}) {
            HttpResponse<String> r = send(server, "GET", path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue("application/problem+json");
            assertThat(r.body()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}");
        }
        HttpResponse<String> delete = send(server, "DELETE", "/hello");
        assertThat(delete.statusCode()).isEqualTo(405);
        assertThat(delete.headers().firstValue("Allow")).hasValue("GET");
        assertThat(delete.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(send(server, "POST", "/metrics").statusCode()).isEqualTo(405);
    }

    @Test
    void theStartSummaryNamesNoLokiPushOrProfilerItNeverInstalled() {
        // HelloService installs neither vigil-logback nor vigil-profiling: with LOKI_ENABLED and PROFILING_ENABLED set,
        // its summary said "loki http://localhost:3100 >= INFO" and "profiling[...]" all the same.
        // The summary goes to the process's SLF4J binding (Logback here), on Vigil's own logger.
        ch.qos.logback.classic.Logger vigilLog =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Vigil.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.setContext(vigilLog.getLoggerContext());
        events.start();
        vigilLog.addAppender(events);
        try (Vigil vigil = Vigil.builder()
                .environment(
                        Map.of("SERVICE_NAME", "hello-summary", "LOKI_ENABLED", "true", "PROFILING_ENABLED", "true"))
                .runtimeMetrics(false)
                .build()) {
            assertThat(vigil.config().lokiEnabled()).isTrue();
        } finally {
            vigilLog.detachAppender(events);
        }
        String summary = events.list.stream()
                .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filter(m -> m.startsWith("Vigil telemetry: service=hello-summary "))
                .findFirst()
                .orElseThrow();
        assertThat(summary)
                .contains("logs[json INFO]")
                .doesNotContainIgnoringCase("loki")
                .doesNotContainIgnoringCase("profiling")
                .doesNotContain("4040");
    }

    @Test
    void aMetricsEndpointOnItsOwnPathIsNoReasonToDie() throws Exception {
        // METRICS_ENDPOINT=/hello ended main with IllegalArgumentException: cannot add context to list
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("METRICS_ENDPOINT", "/hello"))
                .runtimeMetrics(false)
                .build()) {
            HttpServer other = HelloService.serve(vigil, 0);
            try {
                assertThat(send(other, "GET", "/hello").body()).startsWith("hello, trace ");
                assertThat(send(other, "GET", "/metrics").body()).contains("app_info");
            } finally {
                other.stop(0);
            }
        }
    }
}
