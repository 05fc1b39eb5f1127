package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.vigil.core.internal.ExportHealth;
import io.vigil.test.MetricSamples;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * An unreachable or black-holed collector never throws into the caller, never blocks it, keeps
 * memory bounded (drops are counted) and is reported once.
 */
class DeadEndpointTest {
    private static final int QUEUE = 512;
    private static final int SPANS = 50_000;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger healthLogger = (Logger) LoggerFactory.getLogger(ExportHealth.class);
    private final List<Socket> blackHoleConnections = new CopyOnWriteArrayList<>();
    private ServerSocket blackHole;

    @BeforeEach
    void captureLogs() {
        logs.start();
        healthLogger.addAppender(logs);
        healthLogger.setLevel(Level.INFO);
    }

    @AfterEach
    void release() throws IOException {
        healthLogger.detachAppender(logs);
        if (blackHole != null) {
            blackHole.close();
        }
        for (Socket s : blackHoleConnections) {
            s.close();
        }
    }

    /** Accepts connections and never answers: requests hang until the exporter's timeout. */
    private int startBlackHole() throws IOException {
        blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!blackHole.isClosed()) {
                try {
                    blackHoleConnections.add(blackHole.accept());
                } catch (IOException e) {
                    return;
                }
            }
        });
        return blackHole.getLocalPort();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Warnings about span export to this port (runtimes of earlier cases may still be stopping). */
    private List<ILoggingEvent> warnings(int port) {
        String destination = "OTLP span export to http://127.0.0.1:" + port + " ";
        // The exporters' threads append while this polls: copy under the appender's lock (AppenderBase
        // appends synchronized on itself), or the stream races the writer.
        List<ILoggingEvent> events;
        synchronized (logs) {
            events = List.copyOf(logs.list);
        }
        return events.stream()
                .filter(e ->
                        e.getLevel() == Level.WARN && e.getFormattedMessage().contains(destination))
                .toList();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"unreachable, grpc", "unreachable, http/protobuf", "black-holed, grpc", "black-holed, http/protobuf"})
    void callersStayFastMemoryStaysBoundedAndTheProblemIsLoggedOnce(String kind, String protocol) throws Exception {
        int port = kind.equals("unreachable") ? closedPort() : startBlackHole();
        Vigil vigil = Vigil.builder()
                .environment(Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "http://127.0.0.1:" + port,
                        "OTEL_EXPORTER_OTLP_PROTOCOL",
                        protocol,
                        "OTEL_EXPORTER_OTLP_TIMEOUT",
                        "500",
                        "OTEL_BSP_MAX_QUEUE_SIZE",
                        Integer.toString(QUEUE),
                        "OTEL_BSP_SCHEDULE_DELAY",
                        "10"))
                .runtimeMetrics(false)
                .build();
        try {
            exercise(vigil, kind, protocol, port);
        } finally {
            vigil.shutdown(Duration.ofMillis(1000));
        }
    }

    private void exercise(Vigil vigil, String kind, String protocol, int port) {
        Tracer tracer = vigil.openTelemetry().getTracer("test");

        long worstNanos = 0;
        long start = System.nanoTime();
        for (int i = 0; i < SPANS; i++) {
            long t0 = System.nanoTime();
            Span span = tracer.spanBuilder("work").startSpan();
            span.setAttribute("i", i);
            span.end();
            worstNanos = Math.max(worstNanos, System.nanoTime() - t0);
        }
        long totalNanos = System.nanoTime() - start;
        System.out.printf(
                "dead endpoint (%s, %s): %d spans in %.1f ms, %.2f µs/span on average, worst call %.2f ms%n",
                kind, protocol, SPANS, totalNanos / 1e6, totalNanos / 1e3 / SPANS, worstNanos / 1e6);

        // A blocked caller would wait for the exporter's timeout (2 s) at least once; the bound
        // leaves room for GC pauses on a loaded machine.
        assertThat(Duration.ofNanos(worstNanos)).isLessThan(Duration.ofMillis(1000));

        await().atMost(Duration.ofSeconds(10)).until(() -> !warnings(port).isEmpty());
        MetricSamples metrics =
                MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text());
        double dropped =
                metrics.require("otel_sdk_processor_span_processed_span_total", Map.of("error_type", "queue_full"));
        assertThat(dropped).isGreaterThan(0);
        assertThat(metrics.require("otel_sdk_processor_span_queue_capacity_span", Map.of()))
                .isEqualTo(QUEUE);
        assertThat(metrics.require("otel_sdk_processor_span_queue_size_span", Map.of()))
                .isLessThanOrEqualTo(QUEUE);

        // More failing batches: still the one warning, and the failures are counted.
        for (int i = 0; i < 2_000; i++) {
            tracer.spanBuilder("more").startSpan().end();
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() ->
                        MetricSamples.parse(vigil.metricsEndpoint().scrape(null).text())
                                        .require("vigil_export_failures_total", Map.of("signal", "span"))
                                >= 2);
        assertThat(warnings(port))
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage())
                        .contains("OTLP span export to http://127.0.0.1:" + port + " is failing"));

        long shutdownStart = System.nanoTime();
        vigil.shutdown(Duration.ofMillis(1000));
        // Bound 1 s; a shutdown that waited for the exporters' retries would take about 8 s.
        assertThat(Duration.ofNanos(System.nanoTime() - shutdownStart)).isLessThan(Duration.ofSeconds(4));
    }

    @ParameterizedTest
    @CsvSource({"grpc", "http/protobuf"})
    void shutdownKeepsItsBoundEvenWhenTheFinalExportRetriesADeadCollector(String protocol) throws Exception {
        Vigil vigil = Vigil.builder()
                .environment(Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "http://127.0.0.1:" + closedPort(),
                        "OTEL_EXPORTER_OTLP_PROTOCOL",
                        protocol))
                .runtimeMetrics(false)
                .build();
        vigil.openTelemetry()
                .getMeter("test")
                .counterBuilder("pending_total")
                .build()
                .add(1);
        vigil.openTelemetry()
                .getTracer("test")
                .spanBuilder("pending")
                .startSpan()
                .end();

        long start = System.nanoTime();
        boolean clean = vigil.shutdown(Duration.ofMillis(500));

        // The exporters retry with backoff for about 8 s; the caller is released at the bound (room left for a
        // loaded machine).
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
        assertThat(clean).isFalse();
    }
}
