package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A console embedded in a service must not stop the service from starting: a taken port falls back to a free one,
 * said in one WARN line. Only a builder told not to (the standalone console) throws, and then the public {@link
 * PortInUseException}, not an internal type.
 */
class PortFallbackTest {
    private final Logger consoleLog = (Logger) LoggerFactory.getLogger(VigilConsole.class);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private ServerSocket taken;

    @BeforeEach
    void takeAPort() throws Exception {
        taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        events.start();
        consoleLog.addAppender(events);
    }

    @AfterEach
    void release() throws Exception {
        consoleLog.detachAppender(events);
        taken.close();
    }

    @Test
    void aTakenHttpPortFallsBackToAFreeOneWithOneWarnLine() throws Exception {
        int port = taken.getLocalPort();
        try (VigilConsole console =
                VigilConsole.builder().httpPort(port).grpcPort(-1).start()) {
            assertThat(console.httpPort()).isPositive().isNotEqualTo(port);
            assertThat(console.uiUrl()).contains(":" + console.httpPort() + "/");
            HttpResponse<String> stats = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(console.httpEndpoint() + "/api/stats"))
                                    .header("Authorization", "Bearer " + console.token())
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(stats.statusCode()).isEqualTo(200);
            List<ILoggingEvent> warnings = events.list;
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0).getLevel()).isEqualTo(Level.WARN);
            assertThat(warnings.get(0).getFormattedMessage())
                    .isEqualTo("Vigil console: HTTP port " + port + " on 127.0.0.1 is in use by another process;"
                            + " listening on port " + console.httpPort() + " instead");
            assertThat(warnings.get(0).getThrowableProxy()).isNull();
        }
    }

    @Test
    void aTakenGrpcPortFallsBackToo() {
        int port = taken.getLocalPort();
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(port).start()) {
            assertThat(console.grpcPort()).isPositive().isNotEqualTo(port);
            assertThat(console.otlpEnvironment())
                    .containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + console.grpcPort());
            assertThat(events.list)
                    .singleElement()
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .isEqualTo("Vigil console: OTLP/gRPC port " + port + " on 127.0.0.1 is in use by another process;"
                            + " listening on port " + console.grpcPort() + " instead");
        }
    }

    @Test
    void withoutFallbackATakenPortIsThePublicPortInUseException() {
        int port = taken.getLocalPort();
        assertThatThrownBy(() -> VigilConsole.builder()
                        .httpPort(port)
                        .grpcPort(-1)
                        .fallBackToFreePort(false)
                        .start())
                .isExactlyInstanceOf(PortInUseException.class)
                .hasMessage("HTTP port " + port + " on 127.0.0.1 is already in use by another process")
                .satisfies(e -> {
                    assertThat(((PortInUseException) e).port()).isEqualTo(port);
                    assertThat(((PortInUseException) e).grpc()).isFalse();
                });
        assertThat(events.list).isEmpty();
        // The failed listener left nothing bound or running: the next start in this process works.
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            assertThat(console.httpPort()).isPositive();
        }
    }
}
