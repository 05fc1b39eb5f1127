package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.vigil.core.Vigil;
import io.vigil.http.javalin.PortInUseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code METRICS_PORT} on its own: every error problem+json, Jetty's refusals included; the scrape as before. */
class MetricsPortTest {
    private static Vigil vigil;
    private static MetricsPort port;

    @BeforeAll
    static void start() {
        vigil = EventPipelineTest.runtime("event-pipeline", InMemorySpanExporter.create());
        port = MetricsPort.start(vigil, "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        port.close();
        vigil.close();
    }

    @Test
    void jettysRefusalsAndOtherPathsAndMethodsAreProblemJson() {
        Map<String, String> refused = Map.of(
                "a bad request line", "GARBAGE\r\n\r\n",
                "a bad escape", "GET /%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "conflicting Content-Length",
                        "POST /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
                                + "Connection: close\r\n\r\nxx",
                "OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "another path", "GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "another method", "DELETE /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        refused.forEach((what, request) -> {
            String response = raw(request);
            assertThat(response).as(what).matches("(?s)HTTP/1\\.1 4\\d\\d .*");
            assertThat(response.toLowerCase(Locale.ROOT))
                    .as(what)
                    .contains("\r\ncontent-type: application/problem+json")
                    .doesNotContain("<html");
        });
        assertThat(raw("DELETE /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 405 ")
                .contains("\r\nAllow: GET, HEAD\r\n");
    }

    @Test
    void theScrapeNegotiatesItsFormatAndHeadHasTheContentType() {
        assertThat(raw("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ")
                .contains("\r\nContent-Type: text/plain; version=0.0.4");
        assertThat(raw("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: application/openmetrics-text;"
                        + " version=1.0.0\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ")
                .contains("\r\nContent-Type: application/openmetrics-text")
                .contains("# EOF\n");
        assertThat(raw("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ")
                .contains("\r\nContent-Type: text/plain; version=0.0.4");
    }

    @Test
    void aPortInUseNamesMetricsPort() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> MetricsPort.start(vigil, "127.0.0.1", taken.getLocalPort()))
                    .isInstanceOf(PortInUseException.class)
                    .hasMessageStartingWith("METRICS_PORT=" + taken.getLocalPort() + ": the port is already in use");
        }
    }

    /** Sends {@code request} as is; the response up to the server's closing the connection. */
    private static String raw(String request) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
