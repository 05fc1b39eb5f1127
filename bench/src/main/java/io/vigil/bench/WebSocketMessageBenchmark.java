package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.websocket.Handshake;
import io.vigil.http.websocket.JsonMessageClassifier;
import io.vigil.http.websocket.WebSocketConnection;
import io.vigil.http.websocket.WebSocketTelemetry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * The per-message cost of the WebSocket instrumentation's shared core ({@link WebSocketConnection},
 * which both the Javalin and the Jakarta adapter call once per message) against the same handler
 * uninstrumented: {@code instrumented} = JSON type classification ({@link JsonMessageClassifier}),
 * {@code ws_messages_received_total} and the size histogram, the message span linked to the
 * handshake, MDC ids bound and restored, the processing-duration histogram; {@code plain} = the
 * handler alone. The adapters add one lambda (Jakarta: the wrapped {@code MessageHandler}; Javalin:
 * the connection looked up in the context's attribute map) on top. {@code mode} as in {@code
 * OperationBenchmark}: {@code unsampled} messages make a non-recording span.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class WebSocketMessageBenchmark {
    static final String MESSAGE =
            "{\"type\":\"subscribe\",\"topic\":\"security-events\",\"filter\":{\"severity\":\"high\"}}";

    @Param({"sampled", "unsampled", "off"})
    public String mode;

    private Vigil vigil;
    private WebSocketConnection connection;
    private String reply;
    private final WebSocketConnection.Handler handler = this::handle;

    @Setup(org.openjdk.jmh.annotations.Level.Trial)
    public void setUp() {
        ((LoggerContext) LoggerFactory.getILoggerFactory())
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                .setLevel(Level.WARN);
        vigil = Vigil.builder()
                .config(VigilConfig.builder()
                        .enabled(!mode.equals("off"))
                        .traceSampleRate(mode.equals("sampled") ? 1.0 : 0.0)
                        .build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (t, cfg) -> t.addSpanProcessor(BatchSpanProcessor.builder(BenchSupport.discardingExporter())
                                .build())))
                .build();
        Set<String> types = Set.of("subscribe", "ping");
        WebSocketTelemetry telemetry = WebSocketTelemetry.builder(vigil)
                .handlers(types)
                .classifier(JsonMessageClassifier.of("type", types))
                .build();
        SpanContext handshake = SpanContext.create(
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "00f067aa0ba902b7",
                TraceFlags.getSampled(),
                TraceState.getDefault());
        connection = telemetry.connection(
                new Handshake("/ws/feed", "req-1", "127.0.0.1", "alice", handshake), (code, reason) -> {});
        connection.admit();
        connection.connect(null, e -> false);
    }

    @TearDown(org.openjdk.jmh.annotations.Level.Trial)
    public void tearDown() {
        connection.closed(1000);
        vigil.close();
    }

    /** What an application's handler does with the message: a small reply. */
    private void handle() {
        reply = "{\"type\":\"ack\",\"of\":" + MESSAGE.length() + "}";
    }

    @Benchmark
    public String plain() {
        handle();
        return reply;
    }

    @Benchmark
    public String instrumented() {
        connection.text(MESSAGE, handler);
        return reply;
    }
}
