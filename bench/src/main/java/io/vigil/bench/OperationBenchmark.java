package io.vigil.bench;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.conventions.identity.Authentication;
import io.vigil.core.Operation;
import io.vigil.core.Operations;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
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
 * One domain operation (a successful login) through Vigil's single instrumentation point, against
 * the hand-stacked equivalent the source documents write — a metrics decorator (own timer, counter,
 * histogram), a logging decorator (own timer, JSON log line) and a tracing decorator (span) — on
 * the same SDK, the same span pipeline and the same JSON log appender.
 *
 * <p>{@code mode}: {@code sampled} (every trace recorded), {@code unsampled} (TRACE_SAMPLE_RATE=0)
 * and {@code off} (ENABLE_OBSERVABILITY=false; the baseline then runs against the no-op API).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class OperationBenchmark {
    private static final Operation LOGIN = Authentication.login("authenticate_user");
    private static final AttributeKey<String> AUTH_TYPE = AttributeKey.stringKey("auth_type");
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("status");

    @Param({"sampled", "unsampled", "off"})
    public String mode;

    /** {@code off} sets the SDK's exemplar filter to always_off, to see what exemplars cost. */
    @Param({"on"})
    public String exemplars;

    /**
     * The JSON encoder behind both sides' log lines: {@code logstash} (logstash-logback-encoder for both: the
     * instrumentation compared like for like), {@code vigil} (Vigil's encoder for both), {@code shipped} (each as a
     * team would run it: Vigil's operation lines through Vigil's encoder, the decorators' through logstash's).
     */
    @Param({"logstash"})
    public String encoder = "logstash";

    private Vigil vigil;
    private Operations operations;
    private Tracer tracer;
    private LongCounter attempts;
    private DoubleHistogram duration;
    private final org.slf4j.Logger handLog = LoggerFactory.getLogger("handstacked.authentication");
    private final String userId = "7f1c2d9e-4b1a-4c55-9d0e-2f6f1b0c8a11";

    @Setup(org.openjdk.jmh.annotations.Level.Trial)
    public void setUp() {
        ch.qos.logback.classic.LoggerContext logs = BenchSupport.jsonLogsToNowhere(
                ch.qos.logback.classic.Level.INFO,
                encoder.equals("vigil") ? vigilEncoder() : new net.logstash.logback.encoder.LogstashEncoder());
        if (encoder.equals("shipped")) {
            BenchSupport.toNowhere(logs, "vigil.operation", vigilEncoder());
        } else if (!encoder.equals("logstash") && !encoder.equals("vigil")) {
            throw new IllegalArgumentException("encoder: logstash, vigil or shipped, not " + encoder);
        }
        VigilConfig config = VigilConfig.builder()
                .enabled(!mode.equals("off"))
                .traceSampleRate(mode.equals("sampled") ? 1.0 : 0.0)
                .otelProperties(
                        exemplars.equals("off")
                                ? java.util.Map.of("otel.metrics.exemplar.filter", "always_off")
                                : java.util.Map.of())
                .build();
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                // A real batch pipeline with an exporter that discards: export cost is not measured.
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (t, cfg) -> t.addSpanProcessor(BatchSpanProcessor.builder(BenchSupport.discardingExporter())
                                .build())))
                .build();
        operations = vigil.operations();
        tracer = vigil.openTelemetry().getTracer("handstacked");
        Meter meter = vigil.openTelemetry().getMeter("handstacked");
        attempts = meter.counterBuilder("hand_authentication_attempts_total").build();
        duration = meter.histogramBuilder("hand_authentication_duration")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(
                        List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
                .build();
    }

    private static io.vigil.logback.VigilJsonEncoder vigilEncoder() {
        io.vigil.logback.VigilJsonEncoder e = new io.vigil.logback.VigilJsonEncoder();
        e.setService("identity-service");
        e.setEnvironment("production");
        e.setHostname("pod-1");
        return e;
    }

    @TearDown(org.openjdk.jmh.annotations.Level.Trial)
    public void tearDown() {
        vigil.close();
    }

    @Benchmark
    public String vigil() {
        return operations.observe(LOGIN, op -> {
            op.userId(userId);
            return userId;
        });
    }

    @Benchmark
    public String handStacked() {
        return metricsDecorator();
    }

    /** {@code @track_authentication(auth_type='login')}: its own timer, counter and histogram. */
    private String metricsDecorator() {
        long start = System.nanoTime();
        String status = "success";
        try {
            return loggingDecorator();
        } catch (RuntimeException e) {
            status = "error";
            throw e;
        } finally {
            double seconds = (System.nanoTime() - start) / 1e9;
            attempts.add(1, Attributes.of(AUTH_TYPE, "login", STATUS, status));
            duration.record(seconds, Attributes.of(AUTH_TYPE, "login"));
        }
    }

    /** {@code @log_authentication(auth_type='login')}: its own timer and a JSON log line. */
    private String loggingDecorator() {
        long start = System.nanoTime();
        String result = tracingDecorator();
        handLog.atInfo()
                .addKeyValue("event_type", "authentication")
                .addKeyValue("auth_type", "login")
                .addKeyValue("status", "success")
                .addKeyValue("user_id", result)
                .addKeyValue("duration_seconds", (System.nanoTime() - start) / 1e9)
                .log("authentication login success");
        return result;
    }

    /** {@code @trace_authentication(auth_type='login')}: the span. */
    private String tracingDecorator() {
        Span span = tracer.spanBuilder("auth.login.authenticate_user")
                .setAttribute("auth.type", "login")
                .startSpan();
        long start = System.nanoTime();
        try (Scope ignored = span.makeCurrent()) {
            span.setAttribute("user.id", userId);
            span.setAttribute("auth.status", "success");
            span.setAttribute("auth.duration_seconds", (System.nanoTime() - start) / 1e9);
            span.setStatus(StatusCode.OK);
            return userId;
        } finally {
            span.end();
        }
    }
}
