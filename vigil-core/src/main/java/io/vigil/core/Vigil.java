package io.vigil.core;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.instrumentation.runtimetelemetry.RuntimeTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vigil.core.internal.ExportHealth;
import io.vigil.core.internal.SdkFactory;
import io.vigil.core.internal.StderrFallback;
import io.vigil.core.internal.UntracedOpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry runtime of one service: an OpenTelemetry SDK for traces, metrics and logs built from
 * a {@link VigilConfig}, Prometheus exposition of all metrics, {@code app_info} and JVM runtime
 * metrics, and a bounded, flushing shutdown.
 *
 * <pre>{@code
 * try (Vigil vigil = Vigil.start()) {          // reads the environment
 *     OpenTelemetry otel = vigil.openTelemetry();
 *     ...
 * }
 * }</pre>
 *
 * <p>With {@code ENABLE_OBSERVABILITY=false} the runtime is a true no-op: no SDK, no threads, no
 * sockets. Telemetry failures never reach the caller: exporters run on background threads with
 * bounded queues, and an unreachable collector is logged once, not per span.
 */
public final class Vigil implements AutoCloseable {
    private static final Logger log = StderrFallback.logger(Vigil.class);
    private static final String INSTRUMENTATION_SCOPE = "io.vigil.core";

    private final VigilConfig config;
    private final OpenTelemetrySdk sdk; // null when disabled
    private final OpenTelemetry openTelemetry;
    private final MetricsEndpoint metricsEndpoint;
    private final Operations operations;
    private final ILoggerFactory loggerFactory;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<ExportHealth> exportHealth;
    private final Duration shutdownTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Vigil(
            VigilConfig config,
            boolean registerGlobal,
            boolean runtimeMetrics,
            Duration shutdownTimeout,
            Scrubber scrubber,
            SdkFactory.InProcess inProcess,
            java.util.function.Consumer<io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder>
                    sdkCustomizer,
            ILoggerFactory loggerFactory) {
        this.config = config;
        this.loggerFactory = loggerFactory;
        this.shutdownTimeout = shutdownTimeout;
        config.warnings().forEach(w -> log.warn("Telemetry configuration: {}", w));
        if (!config.enabled()) {
            this.sdk = null;
            this.openTelemetry = OpenTelemetry.noop();
            this.metricsEndpoint = new MetricsEndpoint(null, Map.of());
            this.exportHealth = List.of();
            this.operations = new Operations(openTelemetry, config, scrubber, false, loggerFactory);
            log.info(config.summary());
            return;
        }
        SdkFactory.Built built = SdkFactory.build(config, inProcess, sdkCustomizer, scrubber);
        this.sdk = built.sdk();
        // Tracing off: no spans at all, so no ids of unrecorded spans on log lines (see UntracedOpenTelemetry).
        this.openTelemetry = config.tracingEnabled() ? sdk : new UntracedOpenTelemetry(sdk);
        this.metricsEndpoint = new MetricsEndpoint(built.prometheus(), appInfoLabels(config));
        this.exportHealth = built.exportHealth();
        this.operations = new Operations(openTelemetry, config, scrubber, true, loggerFactory);
        if (registerGlobal) {
            registerGlobal(openTelemetry);
        }
        if (config.metricsEnabled()) {
            registerProcessMetrics(sdk.getMeter(INSTRUMENTATION_SCOPE));
            if (runtimeMetrics) {
                closeables.add(RuntimeTelemetry.create(sdk));
            }
        }
        // With in-process exporters the OTLP endpoint in the summary is never dialled: say where the data goes.
        log.info(
                inProcess == null
                        ? config.summary()
                        : config.summary()
                                + "; OTLP exporters replaced in-process (the embedded receiver gets the data directly)");
    }

    /**
     * Starts the runtime from this process's environment and registers it as the global
     * OpenTelemetry instance, so that instrumentation libraries find it.
     */
    public static Vigil start() {
        return builder().environment(System.getenv()).registerGlobal(true).build();
    }

    /** A builder for a runtime with explicit configuration. */
    public static Builder builder() {
        return new Builder();
    }

    /** The effective configuration. */
    public VigilConfig config() {
        return config;
    }

    /** Whether telemetry is on ({@code false} means everything is a no-op). */
    public boolean enabled() {
        return sdk != null;
    }

    /**
     * The OpenTelemetry API entry point: the SDK, or the no-op when disabled. With tracing off ({@code
     * TRACING_ENABLED=false}) its tracers are no-ops, so no span, and no trace or span id, is made.
     */
    public OpenTelemetry openTelemetry() {
        return openTelemetry;
    }

    /** The one instrumentation point for domain operations: span, metrics and log event together. */
    public Operations operations() {
        return operations;
    }

    /**
     * Where this runtime's telemetry log events go — the operations' events, and those of modules
     * built on this runtime (vigil-http's access log): SLF4J's factory unless {@link
     * Builder#loggerFactory(ILoggerFactory)} bound the runtime to another one.
     */
    public ILoggerFactory loggerFactory() {
        return loggerFactory;
    }

    /** The Prometheus/OpenMetrics exposition of every metric, to mount on any HTTP server. */
    public MetricsEndpoint metricsEndpoint() {
        return metricsEndpoint;
    }

    /**
     * Starts a standalone metrics server on {@code host:port} serving {@link
     * VigilConfig#metricsPath()}; it is closed with this runtime.
     */
    public MetricsServer startMetricsServer(String host, int port) {
        MetricsServer server = MetricsServer.start(metricsEndpoint, host, port, config.metricsPath());
        synchronized (closeables) {
            closeables.add(server);
        }
        return server;
    }

    /**
     * Flushes what is buffered and stops all exporters and threads, waiting at most {@code timeout}.
     *
     * @return whether everything was flushed and stopped in time
     */
    public boolean shutdown(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return true;
        }
        synchronized (closeables) {
            for (AutoCloseable c : closeables.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    // Once per shutdown; the rest still closes. (Was DEBUG: a part that cannot stop is worth seeing.)
                    log.warn("Telemetry shutdown: closing {} failed: {}", c, e.toString());
                }
            }
        }
        if (sdk == null) {
            return true;
        }
        // shutdown() flushes every batch processor first, then stops the exporters. Parts of it run
        // on the calling thread (the final metric export, with the exporter's retries against a
        // dead collector), so it runs on its own daemon thread and the caller waits only the bound.
        CompletableResultCode result = new CompletableResultCode();
        Thread.ofPlatform().daemon().name("vigil-shutdown").start(() -> {
            try {
                CompletableResultCode done = sdk.shutdown();
                done.whenComplete(() -> {
                    if (done.isSuccess()) {
                        result.succeed();
                    } else {
                        result.fail();
                    }
                });
            } catch (RuntimeException e) {
                log.warn("Telemetry shutdown failed: {}; unsent telemetry is dropped", e.toString());
                result.fail();
            }
        });
        result.join(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!result.isDone()) {
            log.warn("Telemetry shutdown did not finish within {} ms; unsent telemetry is dropped", timeout.toMillis());
            return false;
        }
        return result.isSuccess();
    }

    /** {@link #shutdown(Duration)} with the configured bound (default 5 s). */
    @Override
    public void close() {
        shutdown(shutdownTimeout);
    }

    private static Map<String, String> appInfoLabels(VigilConfig config) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("version", config.serviceVersion());
        labels.put("java_version", Runtime.version().toString());
        labels.put("environment", config.environment());
        return labels;
    }

    private void registerProcessMetrics(Meter meter) {
        AttributesBuilder infoBuilder = Attributes.builder();
        appInfoLabels(config).forEach(infoBuilder::put);
        Attributes info = infoBuilder.build();
        meter.gaugeBuilder("app_info")
                .setDescription("Always 1; labels describe the running service")
                .ofLongs()
                .buildWithCallback(m -> m.record(1, info));
        AttributeKey<String> signal = AttributeKey.stringKey("signal");
        for (ExportHealth h : exportHealth) {
            Attributes attrs = Attributes.of(signal, h.signal());
            meter.counterBuilder("vigil_export_failures_total")
                    .setDescription("OTLP export batches that failed, by signal")
                    .buildWithCallback(m -> m.record(h.failedExports(), attrs));
        }
    }

    private static void registerGlobal(OpenTelemetry openTelemetry) {
        try {
            GlobalOpenTelemetry.set(openTelemetry);
        } catch (IllegalStateException e) {
            log.warn("A global OpenTelemetry instance was already set; this Vigil runtime is not global");
        }
    }

    /** Builds a {@link Vigil} runtime. */
    public static final class Builder {
        private VigilConfig config;
        private boolean registerGlobal;
        private boolean runtimeMetrics = true;
        private Duration shutdownTimeout = Duration.ofSeconds(5);
        private Scrubber scrubber = Scrubber.defaults();
        private java.util.function.Consumer<io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder>
                sdkCustomizer = b -> {};
        private SdkFactory.InProcess inProcess;
        private ILoggerFactory loggerFactory;

        Builder() {}

        /**
         * Exports to these exporters in this process instead of over OTLP — for a viewer embedded in the service (as
         * identity-service embeds vigil-console), which then costs no OTLP encoding, loopback HTTP or decoding. They
         * take the OTLP exporters' place only: an OTLP endpoint must still be configured (it decides that telemetry is
         * exported), and batching, queue bounds and the metric interval stay as configured. {@code metrics} is given
         * the temporality and default aggregation the OTLP metric exporter would have used.
         */
        public Builder exportInProcess(
                SpanExporter spans,
                BiFunction<AggregationTemporalitySelector, DefaultAggregationSelector, MetricExporter> metrics,
                LogRecordExporter logs) {
            return exportInProcess(spans, metrics, logs, UnaryOperator.identity());
        }

        /**
         * {@link #exportInProcess(SpanExporter, BiFunction, LogRecordExporter)}, with {@code spanFilter} applied to the
         * batch span processor that feeds {@code spans} (and to no other processor): a receiver that samples puts its
         * filter ahead of the batch processor there, so that the spans it would drop are never queued or batched
         * (vigil-console's {@code console::filterSpans}). It returns the processor to use in its place.
         */
        public Builder exportInProcess(
                SpanExporter spans,
                BiFunction<AggregationTemporalitySelector, DefaultAggregationSelector, MetricExporter> metrics,
                LogRecordExporter logs,
                UnaryOperator<SpanProcessor> spanFilter) {
            this.inProcess = new SdkFactory.InProcess(
                    Objects.requireNonNull(spans, "spans"),
                    Objects.requireNonNull(metrics, "metrics"),
                    Objects.requireNonNull(logs, "logs"),
                    Objects.requireNonNull(spanFilter, "spanFilter"));
            return this;
        }

        /**
         * Binds the runtime's telemetry log events (see {@link Vigil#loggerFactory()}) to this
         * factory instead of SLF4J's — e.g. a logger context of a test's own, so tests running in
         * parallel each see only their own events (default: {@link LoggerFactory#getILoggerFactory()}).
         */
        public Builder loggerFactory(ILoggerFactory loggerFactory) {
            this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
            return this;
        }

        /** Privacy rules for every signal (default {@link Scrubber#defaults()}). */
        public Builder scrubber(Scrubber scrubber) {
            this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
            return this;
        }

        /**
         * Adjusts the OpenTelemetry SDK before it is built — extra processors, readers or exporters
         * (the test kit adds in-memory ones here). Runs after Vigil's own settings.
         */
        public Builder customizeSdk(
                java.util.function.Consumer<io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder>
                        customizer) {
            this.sdkCustomizer = this.sdkCustomizer.andThen(Objects.requireNonNull(customizer, "customizer"));
            return this;
        }

        /** Uses this configuration. */
        public Builder config(VigilConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Reads the configuration from these environment variables. */
        public Builder environment(Map<String, String> env) {
            return config(VigilConfig.fromEnvironment(env));
        }

        /** Registers the SDK as {@code GlobalOpenTelemetry} (default {@code false}). */
        public Builder registerGlobal(boolean registerGlobal) {
            this.registerGlobal = registerGlobal;
            return this;
        }

        /** Whether to record JVM runtime metrics (default {@code true}). */
        public Builder runtimeMetrics(boolean runtimeMetrics) {
            this.runtimeMetrics = runtimeMetrics;
            return this;
        }

        /** Upper bound for {@link Vigil#close()} to flush and stop (default 5 s). */
        public Builder shutdownTimeout(Duration shutdownTimeout) {
            Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
            if (shutdownTimeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative");
            }
            this.shutdownTimeout = shutdownTimeout;
            return this;
        }

        /** Builds and starts the runtime. */
        public Vigil build() {
            return new Vigil(
                    config != null ? config : VigilConfig.fromEnvironment(),
                    registerGlobal,
                    runtimeMetrics,
                    shutdownTimeout,
                    scrubber,
                    inProcess,
                    sdkCustomizer,
                    loggerFactory != null ? loggerFactory : LoggerFactory.getILoggerFactory());
        }
    }
}
