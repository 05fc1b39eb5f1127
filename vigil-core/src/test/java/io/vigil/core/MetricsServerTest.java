package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void servesTheConfiguredPathWithContentNegotiation() throws Exception {
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("METRICS_ENDPOINT", "/internal/metrics"))
                .build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/internal/metrics");

            HttpResponse<String> text =
                    client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(text.statusCode()).isEqualTo(200);
            assertThat(text.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
            assertThat(text.body()).contains("app_info{");

            HttpResponse<String> om = client.send(
                    HttpRequest.newBuilder(uri)
                            .header("Accept", "application/openmetrics-text; version=1.0.0")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(om.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("application/openmetrics-text"));
            assertThat(om.body()).endsWith("# EOF\n");
        }
    }

    /**
     * A batch worker's main returned but the JVM never exited: the JDK server's dispatcher thread, non-daemon, kept it
     * alive, and the shutdown hook closing Vigil never ran.
     */
    @Test
    void theServerDoesNotKeepTheJvmAlive() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
            assertThat(Thread.currentThread().isDaemon()).isFalse();
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            List<Thread> started = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> !before.contains(t))
                    .filter(t -> t.getName().equals("HTTP-Dispatcher"))
                    .toList();
            assertThat(started)
                    .isNotEmpty()
                    .allSatisfy(t -> assertThat(t.isDaemon())
                            .as("%s is a daemon", t.getName())
                            .isTrue());
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    /**
     * Under Spring Boot 3.5's Prometheus client every scrape threw NoSuchMethodError in OpenTelemetry's exporter: the
     * scraper got an empty reply and stderr a stack trace per scrape. A failing collection is a 500 problem+json, and
     * the next scrape that works is a 200 again.
     */
    @Test
    void aScrapeThatFailsIsAnswered500AndTheServerServesOn() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (MetricsServer server = MetricsServer.start(
                accept -> {
                    if (broken.get()) {
                        throw new NoSuchMethodError("MetricMetadata.builder()");
                    }
                    return new MetricsScrape("text/plain; version=0.0.4", "up 1\n".getBytes(StandardCharsets.UTF_8));
                },
                "127.0.0.1",
                0,
                "/metrics",
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                MetricsServer.MAX_READING,
                MetricsServer.MAX_EXCHANGES)) {
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> failed =
                        client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(failed.statusCode()).isEqualTo(500);
                assertThat(failed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            }
            broken.set(false);
            HttpResponse<String> ok =
                    client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("up 1\n");
        }
    }

    @Test
    void headAnswersTheHeadersOfAGetWithoutTheBody() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
            for (String accept : new String[] {"text/plain", "application/openmetrics-text; version=1.0.0"}) {
                HttpResponse<String> get = client.send(
                        HttpRequest.newBuilder(uri).header("Accept", accept).build(),
                        HttpResponse.BodyHandlers.ofString());
                HttpResponse<String> head = client.send(
                        HttpRequest.newBuilder(uri)
                                .header("Accept", accept)
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(head.statusCode()).isEqualTo(200);
                assertThat(head.headers().firstValue("Content-Type"))
                        .as(accept)
                        .isEqualTo(get.headers().firstValue("Content-Type"))
                        .hasValueSatisfying(t -> assertThat(t).contains("version="));
                // The length of the body a GET would get now (a later scrape may differ by a few bytes).
                assertThat(head.headers().firstValueAsLong("Content-Length").orElse(-1))
                        .as(accept)
                        .isGreaterThan(100);
                assertThat(head.body()).isEmpty();
            }
        }
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            String base = "http://127.0.0.1:" + server.port();
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create(base + "/other"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(404);
            assertThat(client.send(
                                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                            .POST(HttpRequest.BodyPublishers.ofString("x"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode())
                    .isEqualTo(405);
        }
    }

    @Test
    void aClientThatNeverFinishesItsRequestDoesNotStopTheScrapes() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build();
                MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
                Socket stalled = new Socket("127.0.0.1", server.port())) {
            // Half a request: the server reads its headers, and would wait for the rest for ever.
            OutputStream out = stalled.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
            HttpResponse<String> scrape = client.send(
                    HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("app_info{");
        }
    }

    /**
     * A client that sends half a request and stalls has its connection closed once the request-read deadline passes
     * (it held a thread and a socket for ever), and a scrape meanwhile is served at once.
     */
    @Test
    void aStalledRequestIsClosedAtTheReadDeadlineWhileScrapesAreServed() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build();
                MetricsServer server = MetricsServer.start(
                        vigil.metricsEndpoint(),
                        "127.0.0.1",
                        0,
                        "/metrics",
                        Duration.ofMillis(500),
                        Duration.ofSeconds(60),
                        MetricsServer.MAX_READING,
                        MetricsServer.MAX_EXCHANGES);
                Socket stalled = new Socket("127.0.0.1", server.port())) {
            stalled.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();
            long start = System.nanoTime();
            HttpResponse<String> scrape = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);

            stalled.setSoTimeout(20_000); // a bound for the test, far above the server's 500 ms
            assertThat(closedByServer(stalled))
                    .as("the stalled connection closed by the server")
                    .isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        }
    }

    /**
     * Many clients stalled half-way through their requests (more than the server keeps) neither keep a scrape out
     * nor stay open: each new request closes the oldest stalled one, long before any read deadline.
     */
    @Test
    void manyStalledClientsDoNotKeepAScrapeOutAndTheOldestAreClosed() throws Exception {
        int maxReading = 4;
        List<Socket> stalled = new ArrayList<>();
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build();
                MetricsServer server = MetricsServer.start(
                        vigil.metricsEndpoint(),
                        "127.0.0.1",
                        0,
                        "/metrics",
                        Duration.ofMinutes(5), // the deadline plays no part here
                        Duration.ofMinutes(5),
                        maxReading,
                        MetricsServer.MAX_EXCHANGES)) {
            for (int i = 0; i < 3 * maxReading; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                stalled.add(s);
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            HttpResponse<String> scrape = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("app_info{");

            // All but the newest few were closed (which ones exactly depends on when the server read each).
            int closed = 0;
            for (Socket s : stalled) {
                s.setSoTimeout(500);
                if (closedByServer(s)) {
                    closed++;
                }
            }
            assertThat(closed).isGreaterThanOrEqualTo(stalled.size() - maxReading);
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    /** Whether the server closed {@code socket} (end of stream or reset) before its read timeout. */
    private static boolean closedByServer(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    @Test
    void refusalsAreProblemDocuments() throws Exception {
        try (Vigil vigil = Vigil.builder().environment(Map.of()).build()) {
            MetricsServer server = vigil.startMetricsServer("127.0.0.1", 0);
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> notFound = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/other")).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> notAllowed = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(notFound.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(notFound.body()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404}");
            assertThat(notAllowed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(notAllowed.headers().firstValue("Allow")).hasValue("GET, HEAD");
            assertThat(notAllowed.body())
                    .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405}");
        }
    }
}
