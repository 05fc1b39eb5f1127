package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.HttpServerAccessor;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import java.util.List;
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
 * The per-request work of {@link HttpServerTelemetry} alone, without a server: correlation id,
 * client address, server span (W3C extraction, semantic-convention attributes, route), the six HTTP
 * metrics, MDC binding and release. The access log is off here (its cost is the log encoder's,
 * measured in the load run); {@code mode} as in {@code OperationBenchmark}.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class HttpServerBenchmark {
    @Param({"sampled", "unsampled", "off"})
    public String mode;

    private Vigil vigil;
    private HttpServerTelemetry http;
    private FakeExchange exchange;

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
        http = HttpServerTelemetry.builder(vigil).accessLog(false).build();
        // The caller's sampling decision travels in the traceparent flags, and the sampler follows it.
        exchange = new FakeExchange(mode.equals("unsampled") ? "00" : "01");
    }

    @TearDown(org.openjdk.jmh.annotations.Level.Trial)
    public void tearDown() {
        vigil.close();
    }

    @Benchmark
    public String request() {
        RequestContext r = http.start(exchange, exchange, exchange);
        try (Scope ignored = r.attach()) {
            r.route("/api/v1/users/{id}");
        }
        r.end();
        return r.requestId();
    }

    /** A GET with a traceparent, answered 200 with 20 bytes. */
    static final class FakeExchange implements HttpServerAccessor<FakeExchange, FakeExchange> {
        private final List<String> traceparent;

        FakeExchange(String flags) {
            traceparent = List.of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + flags);
        }

        @Override
        public String method(FakeExchange r) {
            return "GET";
        }

        @Override
        public String scheme(FakeExchange r) {
            return "http";
        }

        @Override
        public String path(FakeExchange r) {
            return "/api/v1/users/42";
        }

        @Override
        public String query(FakeExchange r) {
            return null;
        }

        @Override
        public List<String> requestHeader(FakeExchange r, String name) {
            return name.equals("traceparent") ? traceparent : List.of();
        }

        @Override
        public String peerAddress(FakeExchange r) {
            return "127.0.0.1";
        }

        @Override
        public Integer peerPort(FakeExchange r) {
            return 50000;
        }

        @Override
        public String protocolVersion(FakeExchange r) {
            return "1.1";
        }

        @Override
        public long requestBodySize(FakeExchange r) {
            return -1;
        }

        @Override
        public int status(FakeExchange r) {
            return 200;
        }

        @Override
        public long responseBodySize(FakeExchange r) {
            return 20;
        }

        @Override
        public List<String> responseHeader(FakeExchange r, String name) {
            return List.of();
        }

        @Override
        public void setResponseHeader(FakeExchange r, String name, String value) {}
    }
}
