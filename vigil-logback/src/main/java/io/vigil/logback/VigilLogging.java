package io.vigil.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.vigil.core.LogFormat;
import io.vigil.core.LogLevel;
import io.vigil.core.OtlpSignal;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.core.internal.ConfigSource;
import io.vigil.logback.internal.LineBatchingOutputStream;
import io.vigil.logback.internal.LoggingVariables;
import io.vigil.logback.internal.OpenTelemetryJulBridge;
import io.vigil.logback.internal.OtlpLogAppender;
import io.vigil.logback.internal.TraceContextAppender;
import io.vigil.logback.internal.TraceLogFilter;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Installs Vigil's logging into Logback programmatically, replacing whatever configuration Logback
 * had:
 *
 * <pre>
 * root (LOG_LEVEL)
 *  ├─ trace context (trace_id/span_id captured on the logging thread, as OpenTelemetry's MDC appender does)
 *  │   ├─ bounded hand-off → stdout, JSON ({@link VigilJsonEncoder}) or text ({@link VigilTextEncoder})
 *  │   └─ bounded hand-off → {@link LokiAppender} (LOKI_ENABLED, level ≥ MIN_LOG_LEVEL_FOR_LOKI)
 *  └─ OTLP bridge, scrubbed (when an OTLP endpoint is configured and an OpenTelemetry is connected)
 * </pre>
 *
 * <pre>{@code
 * VigilLogging logging = VigilLogging.install(VigilConfig.fromEnvironment()); // first thing in main
 * Vigil vigil = Vigil.start();
 * logging.connect(vigil.openTelemetry());                                       // OTLP sink + metrics
 * ...
 * logging.close(); vigil.close();
 * }</pre>
 *
 * With {@code ENABLE_OBSERVABILITY=false} only stdout is configured: nothing leaves the process.
 */
public final class VigilLogging implements AutoCloseable {
    /** Environment variable: spool directory for Loki shipping. */
    public static final String SPOOL_DIR_ENV = LoggingVariables.SPOOL_DIR.name();
    /** Environment variable: spool bound in bytes for Loki shipping. */
    public static final String SPOOL_MAX_BYTES_ENV = LoggingVariables.SPOOL_MAX_BYTES.name();

    private static final String INSTRUMENTATION_SCOPE = "io.vigil.logback";

    private final VigilConfig config;
    private final Scrubber scrubber;
    private final LoggerContext context;
    private final Logger root;
    private final TraceContextAppender traceContext;
    private final VigilAsyncAppender stdout;
    private final VigilAsyncAppender lokiHandoff; // null without Loki
    private final LokiAppender loki; // null without Loki
    private final OpenTelemetryJulBridge julBridge;
    private final List<AutoCloseable> registrations = new ArrayList<>();
    private final int queueSize;
    private final boolean otlpHandoff;
    private final Predicate<String> otlpTraceFilter;
    private OtlpLogAppender otlp;
    private VigilAsyncAppender otlpQueue; // the OTLP bridge's hand-off, when otlpHandoff

    private VigilLogging(Builder b) {
        this.config = b.config;
        this.scrubber = b.scrubber;
        this.queueSize = b.queueSize;
        this.otlpHandoff = b.otlpHandoff;
        this.otlpTraceFilter = b.otlpTraceFilter;
        this.context = b.context != null ? b.context : (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(level(config.logLevel()));

        // What OpenTelemetry's MDC appender did, field for field, without a copy of the MDC per event.
        traceContext = new TraceContextAppender();
        traceContext.setName("VIGIL_TRACE_CONTEXT");
        traceContext.setContext(context);

        // Lines gathered per hand-off batch and written in one system call (flushed by the hand-off after each
        // batch), instead of ConsoleAppender's write and flush per line.
        OutputStreamAppender<ILoggingEvent> out = new RenderedLineAppender();
        out.setOutputStream(
                b.output != null ? LineBatchingOutputStream.of(b.output) : LineBatchingOutputStream.systemOut());
        out.setImmediateFlush(false);
        out.setName("VIGIL_STDOUT_WRITER");
        out.setContext(context);
        out.setEncoder(encoder(config, scrubber));
        out.start();
        stdout = handoff("stdout", b);
        stdout.addAppender(out);
        stdout.start();
        traceContext.addAppender(stdout);

        LokiAppender appender = null;
        String lokiFailure = null;
        ConfigSource settings = new ConfigSource(b.env);
        if (config.enabled() && config.lokiEnabled()) {
            appender = new LokiAppender();
            appender.setName("VIGIL_LOKI");
            appender.setContext(context);
            appender.setUrl(config.lokiUrl().toString());
            appender.setLabelMap(config.lokiLabels());
            appender.setService(config.serviceName());
            appender.setEnvironment(config.environment());
            appender.setBatchIntervalMillis(config.lokiBatchInterval().toMillis());
            appender.setTimeoutMillis(config.lokiTimeout().toMillis());
            appender.setScrubber(scrubber);
            appender.setRetryMaxBackoffMillis(b.lokiRetryMaxBackoff.toMillis());
            Path dir = settings.get(LoggingVariables.SPOOL_DIR, b.spoolDirectory);
            if (dir != null) {
                appender.setSpoolDirectory(dir.toString());
            }
            appender.setSpoolMaxBytes(settings.get(LoggingVariables.SPOOL_MAX_BYTES, b.spoolMaxBytes));
            appender.start();
            if (!appender.isStarted()) {
                lokiFailure = appender.startFailure().orElse("the Loki appender did not start");
                appender = null;
            }
        }
        if (appender != null) {
            lokiHandoff = handoff("loki", b);
            ThresholdFilter threshold = new ThresholdFilter();
            threshold.setLevel(config.minLogLevelForLoki().name());
            threshold.start();
            lokiHandoff.addFilter(threshold);
            lokiHandoff.addAppender(appender);
            lokiHandoff.start();
            traceContext.addAppender(lokiHandoff);
        } else {
            lokiHandoff = null;
        }
        this.loki = appender;
        traceContext.start();
        root.addAppender(traceContext);
        // The SDK's own lines (ENABLE_TRACE_CONSOLE_EXPORT's spans, its warnings) go through java.util.logging: without
        // this they were plain two-line records on stderr, not the service's JSON lines.
        julBridge = OpenTelemetryJulBridge.install(context);
        // Reported once, now that there is somewhere to report it.
        settings.warnings().forEach(w -> context.getLogger(VigilLogging.class).warn("Logging configuration: {}", w));
        if (loki != null) {
            // vigil-core's start-up summary names only what vigil-core sets up: the Loki push is reported here, where
            // it is installed.
            context.getLogger(VigilLogging.class)
                    .info("Vigil logging: loki {} >= {}", config.lokiUrl(), config.minLogLevelForLoki());
        }
        if (lokiFailure != null) {
            // Reported once, now that there is somewhere to report it; stdout (and OTLP) log on.
            context.getLogger(VigilLogging.class)
                    .warn("Loki shipping is off; the service logs on without it: {}", lokiFailure);
        }
    }

    private VigilAsyncAppender handoff(String name, Builder b) {
        VigilAsyncAppender a = new VigilAsyncAppender();
        a.setName(name);
        a.setContext(context);
        a.setQueueSize(b.queueSize);
        a.setMaxBlockMillis(b.maxBlock.toMillis());
        stoppedWithTheContext(a);
        return a;
    }

    /**
     * A {@code LoggerContext.stop()} (what a service calls before it halts, e.g. identity-service when it cannot start)
     * stops the root logger's appenders, but the trace-context appender they hang behind does not stop its own: without
     * this the hand-offs were never drained, and the last lines — the reason the service is exiting — were lost with the
     * daemon thread that was letting them gather. Registered, the context stops them first (its reset), and they drain.
     */
    private void stoppedWithTheContext(VigilAsyncAppender handoff) {
        context.register(handoff);
    }

    /** The Logback level of a configured one. */
    static Level level(LogLevel level) {
        return Level.toLevel(level.name(), Level.INFO);
    }

    static Encoder<ILoggingEvent> encoder(VigilConfig config, Scrubber scrubber) {
        boolean text = config.logFormat() == LogFormat.TEXT || !config.structuredLoggingEnabled();
        ContractEncoder e = text ? new VigilTextEncoder() : new VigilJsonEncoder();
        e.setService(config.serviceName());
        e.setEnvironment(config.environment());
        e.setScrubber(scrubber);
        e.start();
        return e;
    }

    /** Installs logging for {@code config} into Logback's default context. */
    public static VigilLogging install(VigilConfig config) {
        return builder(config).install();
    }

    /** Installs logging for the runtime's configuration and connects its OpenTelemetry. */
    public static VigilLogging install(Vigil vigil) {
        return builder(vigil.config()).install().connect(vigil.openTelemetry());
    }

    /** A builder for {@code config}. */
    public static Builder builder(VigilConfig config) {
        return new Builder(config);
    }

    /**
     * Connects an OpenTelemetry instance: log events also go to its logs pipeline (scrubbed) when an
     * OTLP endpoint is configured, and the logging metrics ({@code vigil_log_spool_dropped_total},
     * {@code vigil_log_spool_size_bytes}, {@code vigil_log_dropped_total}, …) are registered on it.
     */
    public synchronized VigilLogging connect(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        if (otlpLogsExported(config) && otlp == null) {
            otlp = new OtlpLogAppender(openTelemetry, scrubber);
            otlp.setName("VIGIL_OTLP");
            otlp.setContext(context);
            if (otlpTraceFilter != null && !otlpHandoff) {
                // On the logging thread; behind a hand-off the hand-off filters instead (below), once per event.
                otlp.addFilter(TraceLogFilter.of(otlpTraceFilter));
            }
            otlp.start();
            if (otlpHandoff) {
                // Behind the trace-context appender, so each event carries its trace and span ids in the MDC, taken
                // on the logging thread; the bridge re-creates the span context from them on the hand-off's thread.
                // Never waits for room, like the SDK's own log processor: a full queue drops and counts.
                otlpQueue = new VigilAsyncAppender();
                otlpQueue.setName("otlp");
                otlpQueue.setContext(context);
                otlpQueue.setQueueSize(queueSize);
                otlpQueue.setMaxBlockMillis(0);
                stoppedWithTheContext(otlpQueue);
                if (otlpTraceFilter != null) {
                    // Decided on the logging thread before the event is queued: a refused event costs no hand-off.
                    otlpQueue.addFilter(TraceLogFilter.of(otlpTraceFilter));
                }
                otlpQueue.addAppender(otlp);
                otlpQueue.start();
                traceContext.addAppender(otlpQueue);
            } else {
                root.addAppender(otlp);
            }
        }
        registerMetrics(openTelemetry.getMeter(INSTRUMENTATION_SCOPE));
        return this;
    }

    /**
     * Whether log events go to the OpenTelemetry logs pipeline: an OTLP endpoint for logs (the general one or {@code
     * OTEL_EXPORTER_OTLP_LOGS_ENDPOINT}) is configured and the standard
     * {@code OTEL_LOGS_EXPORTER} is not {@code none}. With {@code none} the SDK exports no log records, so the bridge
     * (event mapping, MDC and key-value capture, scrubbing, on every line) is not installed at all: the lines still go
     * to stdout (and Loki) as configured.
     */
    static boolean otlpLogsExported(VigilConfig config) {
        String exporter = config.otelProperties().get("otel.logs.exporter");
        return config.otlpExportEnabled(OtlpSignal.LOGS)
                && (exporter == null || !exporter.strip().equalsIgnoreCase("none"));
    }

    private void registerMetrics(Meter meter) {
        AttributeKey<String> appenderKey = AttributeKey.stringKey("appender");
        AttributeKey<String> reason = AttributeKey.stringKey("reason");
        List<VigilAsyncAppender> handoffs = new ArrayList<>(List.of(stdout));
        if (lokiHandoff != null) {
            handoffs.add(lokiHandoff);
        }
        if (otlpQueue != null) {
            handoffs.add(otlpQueue);
        }
        registrations.add(meter.counterBuilder("vigil_log_dropped_total")
                .setDescription("Log events dropped because a hand-off queue stayed full past its bound")
                .buildWithCallback(m -> {
                    for (VigilAsyncAppender h : handoffs) {
                        m.record(h.droppedCount(), Attributes.of(appenderKey, h.getName()));
                    }
                }));
        if (loki == null) {
            return;
        }
        Attributes full = Attributes.of(reason, "spool_full");
        Attributes rejected = Attributes.of(reason, "rejected_by_loki");
        registrations.add(meter.counterBuilder("vigil_log_spool_dropped_total")
                .setDescription("Log lines not shipped to Loki: spool bound reached, or refused by Loki as invalid")
                .buildWithCallback(m -> {
                    m.record(loki.droppedCount(), full);
                    m.record(loki.rejectedCount(), rejected);
                }));
        registrations.add(meter.upDownCounterBuilder("vigil_log_spool_size_bytes")
                .setUnit("By")
                .setDescription("Bytes the Loki spool occupies on disk")
                .buildWithCallback(m -> m.record(loki.spoolBytes())));
        registrations.add(meter.counterBuilder("vigil_log_loki_sent_total")
                .setDescription("Log lines Loki has accepted")
                .buildWithCallback(m -> m.record(loki.sentCount())));
        registrations.add(meter.counterBuilder("vigil_log_loki_push_failures_total")
                .setDescription("Loki pushes that failed and were retried")
                .buildWithCallback(m -> m.record(loki.failedPushCount())));
    }

    /** The Loki appender, when Loki shipping is on. */
    public Optional<LokiAppender> loki() {
        return Optional.ofNullable(loki);
    }

    /** The OTLP bridge's hand-off, when {@link Builder#otlpHandoff(boolean)} is on and an OTLP endpoint connected. */
    public Optional<VigilAsyncAppender> otlpHandoff() {
        return Optional.ofNullable(otlpQueue);
    }

    /** The stdout hand-off (for its drop count). */
    public VigilAsyncAppender stdoutHandoff() {
        return stdout;
    }

    /**
     * Flushes and stops every appender Vigil installed: stdout is drained within a bound, Loki
     * pushes what it can within {@code LOKI_TIMEOUT} and keeps the rest on disk for the next start.
     */
    @Override
    public synchronized void close() {
        julBridge.close();
        root.detachAppender(traceContext);
        if (otlp != null && otlpQueue == null) {
            root.detachAppender(otlp);
            otlp.stop();
        }
        traceContext.stop(); // stops the hand-offs, which drain, then stop stdout, Loki and the OTLP bridge
        traceContext.detachAndStopAllAppenders();
        for (AutoCloseable r : registrations) {
            try {
                r.close();
            } catch (Exception e) {
                // An instrument that cannot unregister only keeps reporting this (stopped) installation's counts.
                context.getLogger(VigilLogging.class).warn("Unregistering a logging metric failed: {}", e.toString());
            }
        }
        registrations.clear();
    }

    /** Builds a {@link VigilLogging} installation. */
    public static final class Builder {
        private final VigilConfig config;
        private Scrubber scrubber = Scrubber.defaults();
        private OutputStream output;
        private Path spoolDirectory;
        private long spoolMaxBytes = LoggingVariables.SPOOL_MAX_BYTES.defaultValue();
        private int queueSize = 8192;
        private Duration maxBlock = Duration.ofMillis(20);
        private Duration lokiRetryMaxBackoff = Duration.ofSeconds(30);
        private boolean otlpHandoff;
        private Predicate<String> otlpTraceFilter;
        private LoggerContext context;
        private Map<String, String> env = System.getenv();

        Builder(VigilConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Privacy rules for every line and sink (default {@link Scrubber#defaults()}). */
        public Builder scrubber(Scrubber scrubber) {
            this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
            return this;
        }

        /** Writes the formatted lines here instead of stdout. */
        public Builder output(OutputStream output) {
            this.output = Objects.requireNonNull(output, "output");
            return this;
        }

        /**
         * Loki spool directory (default {@code <java.io.tmpdir>/vigil-loki-spool/<service>}); {@code
         * VIGIL_LOG_SPOOL_DIR} overrides it.
         */
        public Builder spoolDirectory(Path spoolDirectory) {
            this.spoolDirectory = Objects.requireNonNull(spoolDirectory, "spoolDirectory");
            return this;
        }

        /** Loki spool bound (default 64 MiB); {@code VIGIL_LOG_SPOOL_MAX_BYTES} overrides it. */
        public Builder spoolMaxBytes(long spoolMaxBytes) {
            if (spoolMaxBytes < 4096) {
                throw new IllegalArgumentException("spoolMaxBytes must be at least 4096");
            }
            this.spoolMaxBytes = spoolMaxBytes;
            return this;
        }

        /** Capacity of each hand-off queue (default 8192 events). */
        public Builder queueSize(int queueSize) {
            if (queueSize < 1) {
                throw new IllegalArgumentException("queueSize must be positive");
            }
            this.queueSize = queueSize;
            return this;
        }

        /** Longest a logging thread waits for room in a hand-off queue (default 20 ms). */
        public Builder maxBlock(Duration maxBlock) {
            this.maxBlock = Objects.requireNonNull(maxBlock, "maxBlock");
            return this;
        }

        /**
         * Whether events reach the OpenTelemetry logs pipeline ({@link #connect}) through a bounded hand-off of their
         * own (queue of {@link #queueSize} events; {@code vigil_log_dropped_total{appender="otlp"}} counts what a full
         * queue refused, the logging thread never waits): the bridge — event mapping, MDC and key-value capture,
         * scrubbing — then runs on a background thread instead of the logging thread, with each record's trace and
         * span ids taken from the logging thread as before. Default {@code false}: the bridge runs on the logging
         * thread, and a record is in the pipeline when the logging call returns. The SDK's batch processor already
         * keeps export off the logging thread; the hand-off moves only the bridge's own work (the same CPU, on another
         * thread) behind a second queue that may drop under overload — worth it where request-thread latency matters
         * more than that guarantee (identity-service turns it on). {@code bench/README.md} has the measurements.
         */
        public Builder otlpHandoff(boolean otlpHandoff) {
            this.otlpHandoff = otlpHandoff;
            return this;
        }

        /**
         * Which traces' routine log events reach the OpenTelemetry logs pipeline ({@link #connect}): an event below WARN
         * whose trace id (its MDC's {@code trace_id}, 32 hex digits) the filter refuses is not bridged at all — never
         * mapped, scrubbed, batched or exported. WARN and above, and events outside any trace, always are; stdout and
         * Loki are not affected. For a destination that keeps a sample of whole traces anyway (the embedded console's
         * {@code VigilConsole.logRetention()}): the records it would drop then cost nothing. Default: none, every event
         * is bridged.
         */
        public Builder otlpTraceFilter(Predicate<String> keepsTrace) {
            this.otlpTraceFilter = keepsTrace;
            return this;
        }

        /** Longest wait between Loki retries during an outage (default 30 s). */
        public Builder lokiRetryMaxBackoff(Duration backoff) {
            this.lokiRetryMaxBackoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /** The Logback context to configure (default: SLF4J's). */
        public Builder loggerContext(LoggerContext context) {
            this.context = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Environment read for {@code VIGIL_LOG_SPOOL_*} (default the process environment). As
         * everywhere in Vigil, values set on this builder are defaults that a set variable overrides.
         */
        public Builder environment(Map<String, String> env) {
            this.env = Map.copyOf(env);
            return this;
        }

        /** Configures Logback and starts the appenders. */
        public VigilLogging install() {
            return new VigilLogging(this);
        }
    }
}
