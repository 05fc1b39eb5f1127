package io.vigil.core.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.internal.AutoConfigureUtil;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import io.opentelemetry.sdk.logs.LogLimits;
import io.opentelemetry.sdk.logs.LogLimitsBuilder;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vigil.core.OtlpSignal;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link VigilConfig} into a running OpenTelemetry SDK through the SDK's own autoconfigure
 * module: Vigil's variables are mapped onto {@code otel.*} properties, and standard {@code OTEL_*}
 * settings pass through and win.
 */
public final class SdkFactory {

    /** The SDK's own default series limit per metric. */
    public static final int DEFAULT_CARDINALITY_LIMIT = 2000;

    private static final String SDK_TELEMETRY_VERSION = "otel.experimental.sdk.telemetry.version";

    // OpenTelemetry's baggage parser logs a WARNING with the whole stack trace for every malformed member of an
    // incoming `baggage` header, then skips the member. That header is the client's: one 8 KB header of bad members
    // made 800 such records, 2.8 MB of log lines (or of stderr, where java.util.logging is not bridged) from a single
    // request. A malformed member is skipped either way; what a peer sends must not drive the log volume. JUL holds
    // loggers weakly: this strong reference keeps the level in force.
    private static final java.util.logging.Logger BAGGAGE_PARSER = quieten("io.opentelemetry.api.baggage.propagation");

    private static java.util.logging.Logger quieten(String name) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.OFF);
        return logger;
    }

    private SdkFactory() {}

    /**
     * Exporters in this process that take the OTLP exporters' place (an embedded viewer): no OTLP encoding, no
     * loopback HTTP. {@code metrics} gets the OTLP metric exporter's temporality and default aggregation; {@code
     * spanFilter} is given the batch span processor that feeds {@code spans}, and returns the processor to use instead.
     */
    public record InProcess(
            SpanExporter spans,
            BiFunction<AggregationTemporalitySelector, DefaultAggregationSelector, MetricExporter> metrics,
            LogRecordExporter logs,
            UnaryOperator<SpanProcessor> spanFilter) {}

    /** The resource attribute that tells replicas of one service apart (OpenTelemetry semantic conventions). */
    public static final String SERVICE_INSTANCE_ID = "service.instance.id";

    /**
     * This process's {@code service.instance.id} unless the resource sets one ({@code OTEL_RESOURCE_ATTRIBUTES}, a
     * detector, an application's resource customizer): a random UUID, as the semantic conventions recommend when a
     * service has no inherent unique id. Without it, two replicas pushing OTLP metrics with the same attributes are
     * one series to the backend, each push looking like a reset of the other's. Prometheus scrapes are unchanged but
     * for one more {@code target_info} label: the scraper's own {@code instance} label tells targets apart, and
     * resource attributes are not copied onto the series.
     */
    static final String INSTANCE_ID = UUID.randomUUID().toString();

    /** What was built: the SDK, the Prometheus reader (if metrics are on) and the export monitors. */
    public record Built(OpenTelemetrySdk sdk, PrometheusMetricReader prometheus, List<ExportHealth> exportHealth) {}

    /** The {@code otel.*} properties that configure the SDK for {@code config}. */
    public static Map<String, String> properties(VigilConfig config) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("otel.service.name", config.serviceName());
        // Each signal by its own endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, passed through below) or the general
        // one.
        StringJoiner traces = new StringJoiner(",");
        if (config.tracingEnabled() && config.otlpExportEnabled(OtlpSignal.TRACES)) {
            traces.add("otlp");
        }
        if (config.tracingEnabled() && config.traceConsoleExport()) {
            traces.add("console");
        }
        p.put("otel.traces.exporter", traces.length() == 0 ? "none" : traces.toString());
        p.put(
                "otel.metrics.exporter",
                config.metricsEnabled() && config.otlpExportEnabled(OtlpSignal.METRICS) ? "otlp" : "none");
        p.put("otel.logs.exporter", config.otlpExportEnabled(OtlpSignal.LOGS) ? "otlp" : "none");
        config.otlpEndpoint().ifPresent(endpoint -> p.put("otel.exporter.otlp.endpoint", endpoint.toString()));
        if (config.otlpExportEnabled()) {
            p.put("otel.exporter.otlp.protocol", config.otlpProtocol().otelName());
        }
        if (config.tracingEnabled()) {
            p.put("otel.traces.sampler", "parentbased_traceidratio");
            p.put("otel.traces.sampler.arg", Double.toString(config.traceSampleRate()));
        } else {
            p.put("otel.traces.sampler", "always_off");
        }
        p.put("otel.propagators", "tracecontext,baggage");
        p.put(
                "otel.metric.export.interval",
                Long.toString(config.metricsCollectionInterval().toMillis()));
        // The SDK's own health metrics in their semantic-convention form: queue sizes, processed and
        // dropped spans and log records (error.type=queue_full), exported items by outcome. (The tracer's and
        // logger provider's per-span and per-record counters that come with them stay off unless the environment
        // asks for this version itself: see build.)
        p.put(SDK_TELEMETRY_VERSION, "latest");
        p.putAll(config.otelProperties());
        return p;
    }

    /** Where {@code signal} goes, for the export-outage lines: its endpoint, or {@code -}. */
    private static String destination(VigilConfig config, OtlpSignal signal) {
        return config.otlpEndpoint(signal).map(Object::toString).orElse("-");
    }

    /** {@link #properties} without the {@code OTEL_*} variables passed through: only what Vigil set. */
    private static Map<String, String> ownProperties(VigilConfig config) {
        return properties(config.toBuilder().otelProperties(Map.of()).build());
    }

    /**
     * Builds and starts the SDK; the caller owns it and must shut it down. With {@code inProcess} (may be null), its
     * exporters replace the OTLP ones the configuration asks for. An {@code OTEL_*} variable the SDK refuses is
     * reported once and the SDK is built without the passed-through variables; an OTLP exporter that cannot be made
     * (no HTTP or gRPC sender on the class path) is reported once and the SDK is built without OTLP export: telemetry
     * must never stop a service from starting.
     */
    public static Built build(
            VigilConfig config,
            InProcess inProcess,
            java.util.function.Consumer<AutoConfiguredOpenTelemetrySdkBuilder> customizer,
            Scrubber scrubber) {
        boolean onlyOwn = false; // the OTEL_* variables left out: the SDK refused one
        boolean noOtlp = false; // the OTLP exporters left out: the SDK found no sender for them
        while (true) {
            Map<String, String> properties = onlyOwn ? ownProperties(config) : properties(config);
            if (noOtlp) {
                properties = withoutOtlp(properties);
            }
            try {
                return build(
                        config, properties, inProcess, onlyOwn ? only(customizer, properties) : customizer, scrubber);
            } catch (ConfigurationException e) {
                String sender = missingSender(e);
                if (sender != null && !noOtlp) {
                    // The OTLP exporters need a sender (opentelemetry-exporter-otlp brings OkHttp's at run time; an
                    // application that excludes it, or shades the jars without their service files, has none):
                    // without one autoconfigure refuses the whole SDK, Prometheus and the log bridge with it.
                    StderrFallback.logger(Vigil.class)
                            .warn(
                                    "Telemetry export: OTLP export to {} is off, the SDK found no sender for it ({});"
                                            + " add io.opentelemetry:opentelemetry-exporter-sender-okhttp to the class"
                                            + " path (or opentelemetry-exporter-sender-jdk, http/protobuf only); nothing"
                                            + " is pushed over OTLP, /metrics and the logs on stdout work",
                                    config.otlpEndpoint().map(Object::toString).orElse("the configured endpoints"),
                                    sender);
                    noOtlp = true;
                } else if (sender == null && !onlyOwn) {
                    StderrFallback.logger(Vigil.class)
                            .warn(
                                    "Telemetry configuration: {}; the OTEL_* variables are ignored, Vigil's own"
                                            + " settings apply",
                                    reasons(e));
                    onlyOwn = true;
                } else {
                    throw e;
                }
            }
        }
    }

    private static java.util.function.Consumer<AutoConfiguredOpenTelemetrySdkBuilder> only(
            java.util.function.Consumer<AutoConfiguredOpenTelemetrySdkBuilder> customizer,
            Map<String, String> properties) {
        return customizer.andThen(builder -> onlyThese(builder, properties));
    }

    /**
     * The SDK's reason when it refused to build because no sender for an OTLP exporter is on the class path ({@code No
     * HttpSenderProvider found on classpath…}, {@code No GrpcSenderProvider…}), or null when it refused for another
     * reason.
     */
    static String missingSender(Throwable e) {
        int depth = 0;
        for (Throwable c = e; c != null && depth < 6; c = c.getCause(), depth++) {
            String message = c.getMessage();
            if (c instanceof IllegalStateException
                    && message != null
                    && message.contains("SenderProvider")
                    && message.startsWith("No ")) {
                return message;
            }
        }
        return null;
    }

    /** {@code properties} with the OTLP exporters taken out of every signal's list (the console exporter stays). */
    static Map<String, String> withoutOtlp(Map<String, String> properties) {
        Map<String, String> out = new LinkedHashMap<>(properties);
        for (String key : List.of("otel.traces.exporter", "otel.metrics.exporter", "otel.logs.exporter")) {
            String exporters = out.getOrDefault(key, "otlp");
            StringJoiner kept = new StringJoiner(",");
            for (String exporter : exporters.split(",")) {
                String name = exporter.strip();
                if (!name.isEmpty() && !name.equals("otlp") && !name.equals("none")) {
                    kept.add(name);
                }
            }
            out.put(key, kept.length() == 0 ? "none" : kept.toString());
        }
        return out;
    }

    /**
     * The refusal's message with its causes': autoconfigure wraps what a component's builder threw in "Unexpected
     * configuration error" ({@code OTEL_BSP_MAX_QUEUE_SIZE=-5} said only that), the cause names the setting.
     */
    static String reasons(Throwable e) {
        StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
        int depth = 0;
        for (Throwable c = e.getCause(); c != null && c != e && depth < 5; c = c.getCause(), depth++) {
            if (c.getMessage() != null && !out.toString().contains(c.getMessage())) {
                out.append(": ").append(c.getMessage());
            }
        }
        return out.toString();
    }

    private static final AttributeKey<List<String>> COMMAND_ARGS = AttributeKey.stringArrayKey("process.command_args");
    private static final AttributeKey<String> COMMAND_LINE = AttributeKey.stringKey("process.command_line");

    /**
     * The process resource's command line through the privacy rules. OpenTelemetry's process detector puts the whole
     * command line into the resource — on every exported span, metric point and log record, and on /metrics as a
     * {@code target_info} label — and services pass secrets there: {@code --spring.datasource.password=…},
     * {@code -Djavax.net.ssl.keyStorePassword=…}, {@code --password hunter3}. The detector writes {@code
     * process.command_args} where the JVM can read its own arguments and {@code process.command_line} where it cannot
     * (on Linux, a command line longer than a page: a long class path); both are scrubbed (see {@link CommandLine}).
     */
    static Resource scrubCommandLine(Resource resource, Scrubber scrubber) {
        List<String> args = resource.getAttribute(COMMAND_ARGS);
        String line = resource.getAttribute(COMMAND_LINE);
        if (args == null && line == null) {
            return resource;
        }
        var attributes = resource.getAttributes().toBuilder();
        if (args != null) {
            attributes.put(COMMAND_ARGS, CommandLine.scrubArgs(args, scrubber));
        }
        if (line != null) {
            attributes.put(COMMAND_LINE, CommandLine.scrubLine(line, scrubber));
        }
        return Resource.create(attributes.build(), resource.getSchemaUrl());
    }

    /**
     * Makes autoconfigure read the properties Vigil gives it and nothing else: by itself it also reads the process
     * environment and the system properties, where the refused {@code OTEL_*} variable still is (left out of Vigil's
     * properties, {@code OTEL_EXPORTER_OTLP_HEADERS=garbage} failed the start a second time, with a stack trace).
     */
    private static void onlyThese(AutoConfiguredOpenTelemetrySdkBuilder builder, Map<String, String> properties) {
        AutoConfigureUtil.setConfigPropertiesCustomizer(
                builder, merged -> DefaultConfigProperties.createFromMap(properties));
    }

    private static Built build(
            VigilConfig config,
            Map<String, String> properties,
            InProcess inProcess,
            java.util.function.Consumer<AutoConfiguredOpenTelemetrySdkBuilder> customizer,
            Scrubber scrubber) {
        List<ExportHealth> health = new ArrayList<>();
        ExportHealth spans = new ExportHealth("span", destination(config, OtlpSignal.TRACES));
        ExportHealth metrics = new ExportHealth("metric", destination(config, OtlpSignal.METRICS));
        ExportHealth logs = new ExportHealth("log", destination(config, OtlpSignal.LOGS));
        health.add(spans);
        health.add(metrics);
        health.add(logs);

        PrometheusMetricReader prometheus = config.metricsEnabled()
                ? PrometheusMetricReader.builder()
                        .setOtelScopeLabelsEnabled(false)
                        .setTargetInfoMetricEnabled(true)
                        .build()
                : null;

        Attributes resourceAttributes = Attributes.builder()
                .put("service.version", config.serviceVersion())
                .put("deployment.environment.name", config.environment())
                .put(SERVICE_INSTANCE_ID, INSTANCE_ID)
                .build();

        // In-process metric exporter waiting for its reader, and whether that reader is the shared one (which then
        // takes the Prometheus reader's place in the SDK: the autoconfigured readers are set up before the meter
        // provider customizer runs, with the same cardinality limit).
        boolean perItemSdkMetrics = "latest"
                .equalsIgnoreCase(config.otelProperties()
                        .getOrDefault(SDK_TELEMETRY_VERSION, "")
                        .strip());
        AtomicReference<MetricExporter> sharedFeed = new AtomicReference<>();
        AtomicBoolean sharing = new AtomicBoolean();
        AutoConfiguredOpenTelemetrySdkBuilder builder = AutoConfiguredOpenTelemetrySdk.builder()
                .disableShutdownHook()
                .addPropertiesCustomizer(ignored -> properties)
                // Standard OTEL_RESOURCE_ATTRIBUTES and the detectors win over Vigil's own values.
                .addResourceCustomizer((resource, cfg) ->
                        scrubCommandLine(Resource.create(resourceAttributes).merge(resource), scrubber))
                .addSpanExporterCustomizer((exporter, cfg) -> {
                    if (!(exporter instanceof OtlpGrpcSpanExporter || exporter instanceof OtlpHttpSpanExporter)) {
                        return exporter;
                    }
                    return inProcess == null
                            ? new MonitoredSpanExporter(exporter, spans)
                            : replace(exporter, inProcess.spans());
                })
                // The batch processor around the in-process span exporter (the one that replaced the OTLP exporter:
                // not one the test kit or the application added): the receiver's filter goes ahead of it.
                .addSpanProcessorCustomizer((processor, cfg) -> inProcess != null
                                && processor instanceof BatchSpanProcessor batch
                                && batch.getSpanExporter() == inProcess.spans()
                        ? inProcess.spanFilter().apply(processor)
                        : processor)
                .addMetricExporterCustomizer((exporter, cfg) -> {
                    if (!(exporter instanceof OtlpGrpcMetricExporter || exporter instanceof OtlpHttpMetricExporter)) {
                        return exporter;
                    }
                    if (inProcess == null) {
                        return new MonitoredMetricExporter(exporter, metrics);
                    }
                    MetricExporter local = replace(
                            exporter,
                            inProcess
                                    .metrics()
                                    .apply(exporter::getAggregationTemporality, exporter::getDefaultAggregation));
                    if (prometheus != null
                            && SharedMetricReader.canShare(
                                    prometheus, exporter::getAggregationTemporality, exporter::getDefaultAggregation)) {
                        // The periodic reader the SDK builds around this exporter next is swapped below for one
                        // reader shared with Prometheus: one storage per instrument instead of two.
                        sharedFeed.set(local);
                    }
                    return local;
                })
                .addMetricReaderCustomizer((reader, cfg) -> {
                    MetricExporter local = sharedFeed.getAndSet(null);
                    if (local == null) {
                        return reader;
                    }
                    sharing.set(true);
                    return new SharedMetricReader(
                            prometheus, local, cfg.getDuration("otel.metric.export.interval", Duration.ofMinutes(1)));
                })
                .addLogRecordExporterCustomizer((exporter, cfg) -> {
                    if (!(exporter instanceof OtlpGrpcLogRecordExporter
                            || exporter instanceof OtlpHttpLogRecordExporter)) {
                        return exporter;
                    }
                    return inProcess == null
                            ? new MonitoredLogRecordExporter(exporter, logs)
                            : replace(exporter, inProcess.logs());
                })
                // Autoconfigure hands the logger provider a supplier that reads otel.attribute.* from the
                // configuration again for every log record, twice (≈ 0.4 % of a hello-world request's CPU with the
                // access log exported, bench/README): the configuration cannot change, so the limits are read once.
                .addLoggerProviderCustomizer((loggerProvider, cfg) -> {
                    LogLimits limits = logLimits(cfg);
                    loggerProvider.setLogLimits(() -> limits);
                    return perItemSdkMetrics ? loggerProvider : loggerProvider.setMeterProvider(MeterProvider::noop);
                })
                // The "latest" SDK telemetry Vigil turns on for the processors' and exporters' health also makes the
                // tracer count every span twice as it starts and once as it ends (otel.sdk.span.started,
                // otel.sdk.span.live) and the logger provider every record (otel.sdk.log.created), each measurement
                // offered to an exemplar reservoir on the request thread: ≈ 10 % of Vigil's whole CPU in
                // identity-service (bench/README, ninth session), for counts Vigil's own metrics already give. Kept
                // when the environment sets OTEL_EXPERIMENTAL_SDK_TELEMETRY_VERSION=latest itself.
                .addTracerProviderCustomizer((tracerProvider, cfg) ->
                        perItemSdkMetrics ? tracerProvider : tracerProvider.setMeterProvider(MeterProvider::noop))
                .addMeterProviderCustomizer((meterProvider, cfg) -> {
                    if (prometheus != null && !sharing.get()) {
                        // Every metric keeps at most this many series; measurements past it are
                        // aggregated into one series labelled otel_metric_overflow="true".
                        int limit = cfg.getInt("otel.java.metrics.cardinality.limit", DEFAULT_CARDINALITY_LIMIT);
                        meterProvider.registerMetricReader(prometheus, instrumentType -> limit);
                    }
                    return meterProvider;
                });
        customizer.accept(builder);
        return new Built(builder.build().getOpenTelemetrySdk(), prometheus, List.copyOf(health));
    }

    /** The log record limits autoconfigure derives from {@code config} (the same two properties, the same defaults). */
    static LogLimits logLimits(ConfigProperties config) {
        LogLimitsBuilder limits = LogLimits.builder();
        Integer valueLength = config.getInt("otel.attribute.value.length.limit");
        if (valueLength != null) {
            limits.setMaxAttributeValueLength(valueLength);
        }
        Integer count = config.getInt("otel.attribute.count.limit");
        if (count != null) {
            limits.setMaxNumberOfAttributes(count);
        }
        return limits.build();
    }

    /** The replacement, after releasing the unused OTLP exporter (it has sent nothing, so this returns at once). */
    private static <T> T replace(Closeable otlp, T replacement) {
        try {
            otlp.close();
        } catch (IOException | RuntimeException e) {
            // Nothing was sent through it, so nothing is lost: DEBUG is enough, but not silence.
            LoggerFactory.getLogger(SdkFactory.class).debug("Releasing the unused OTLP exporter: {}", e.toString());
        }
        return replacement;
    }
}
