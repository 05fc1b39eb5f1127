package io.vigil.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.HttpResponse;
import io.vigil.core.Vigil;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The export outage line names why the export failed. The exporters fail a batch the collector answered with an error
 * status with an exception that has neither message nor cause: the line read {@code HttpExportException: null}.
 */
class ExportHealthTest {

    private static List<String> warnings(Runnable failing) {
        Logger logger = (Logger) LoggerFactory.getLogger(ExportHealth.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            failing.run();
            return events.list.stream()
                    .filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        } finally {
            logger.detachAppender(events);
        }
    }

    private static String outageLine(Throwable failure) {
        List<String> lines = warnings(() -> new ExportHealth("span", "http://collector:4318")
                .observe(CompletableResultCode.ofExceptionalFailure(failure)));
        assertThat(lines).hasSize(1);
        return lines.getFirst();
    }

    @Test
    void anErrorStatusFromTheCollectorIsNamed() {
        String line = outageLine(FailedExportException.httpFailedWithResponse(response(503, "Service Unavailable")));
        assertThat(line)
                .contains("OTLP span export to http://collector:4318 is failing (the collector answered HTTP 503 "
                        + "Service Unavailable)")
                .doesNotContain("null");
    }

    @Test
    void aGrpcStatusFromTheCollectorIsNamed() {
        String line = outageLine(FailedExportException.grpcFailedWithResponse(grpcResponse()));
        assertThat(line)
                .contains("(the collector answered gRPC status UNAVAILABLE: upstream connect error)")
                .doesNotContain("null");
    }

    @Test
    void aTransportFailureIsNamedWithTheUnderlyingExceptionOnce() {
        String line = outageLine(FailedExportException.httpFailedExceptionally(
                new ConnectException("Failed to connect to collector/10.0.0.7:4318")));
        assertThat(line)
                .contains("(HttpExportException, caused by java.net.ConnectException: Failed to connect to "
                        + "collector/10.0.0.7:4318)");
    }

    @Test
    void aMultiLineMessageStaysOneLine() {
        String line = outageLine(new IllegalStateException("first\nsecond"));
        assertThat(line).contains("(IllegalStateException: first second)").doesNotContain("\n");
    }

    /** A real exporter against a server that refuses the batch: the line names the status the server answered. */
    @Test
    void theOutageLineOfARealExportNamesTheCollectorsAnswer() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
        });
        server.start();
        try {
            String endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
            Logger logger = (Logger) LoggerFactory.getLogger(ExportHealth.class);
            ListAppender<ILoggingEvent> events = new ListAppender<>();
            events.start();
            logger.addAppender(events);
            try (Vigil vigil = Vigil.builder()
                    .environment(Map.of(
                            "OTEL_EXPORTER_OTLP_ENDPOINT",
                            endpoint,
                            "OTEL_EXPORTER_OTLP_PROTOCOL",
                            "http/protobuf",
                            "OTEL_BSP_SCHEDULE_DELAY",
                            "10"))
                    .runtimeMetrics(false)
                    .build()) {
                vigil.openTelemetry()
                        .getTracer("test")
                        .spanBuilder("x")
                        .startSpan()
                        .end();
                Supplier<List<String>> spanWarnings = () -> events.list.stream()
                        .filter(e -> e.getLevel() == Level.WARN)
                        .map(ILoggingEvent::getFormattedMessage)
                        .filter(m -> m.startsWith("OTLP span export"))
                        .toList();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !spanWarnings.get().isEmpty());
                assertThat(spanWarnings.get().getFirst())
                        .contains("is failing (the collector answered HTTP 401")
                        .doesNotContain("null");
            } finally {
                logger.detachAppender(events);
            }
        } finally {
            server.stop(0);
        }
    }

    private static HttpResponse response(int status, String message) {
        return new HttpResponse() {
            @Override
            public int getStatusCode() {
                return status;
            }

            @Override
            public String getStatusMessage() {
                return message;
            }

            @Override
            public byte[] getResponseBody() {
                return new byte[0];
            }
        };
    }

    private static GrpcResponse grpcResponse() {
        return new GrpcResponse() {
            @Override
            public GrpcStatusCode getStatusCode() {
                return GrpcStatusCode.UNAVAILABLE;
            }

            @Override
            public String getStatusDescription() {
                return "upstream connect error";
            }

            @Override
            public byte[] getResponseMessage() {
                return new byte[0];
            }
        };
    }
}
