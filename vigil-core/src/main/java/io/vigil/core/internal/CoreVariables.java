package io.vigil.core.internal;

import static io.vigil.core.internal.ConfigParsers.bool;
import static io.vigil.core.internal.ConfigParsers.httpOrFileUri;
import static io.vigil.core.internal.ConfigParsers.httpUri;
import static io.vigil.core.internal.ConfigParsers.labels;
import static io.vigil.core.internal.ConfigParsers.matching;
import static io.vigil.core.internal.ConfigParsers.millis;
import static io.vigil.core.internal.ConfigParsers.oneOf;
import static io.vigil.core.internal.ConfigParsers.ratio;
import static io.vigil.core.internal.ConfigParsers.seconds;
import static io.vigil.core.internal.ConfigParsers.text;

import io.vigil.core.LogFormat;
import io.vigil.core.LogLevel;
import io.vigil.core.OtlpProtocol;
import io.vigil.core.VigilVersion;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * vigil-core's environment variables (section 1 of the telemetry contract), each declared once:
 * name, aliases, type, default, validation. {@code VigilConfig.Builder} starts from these defaults
 * and reads them through {@link ConfigSource}.
 */
public final class CoreVariables {
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern URL_PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");
    private static final ConfigVariable.Parser<LogLevel> LEVEL = (raw, entry) -> LogLevel.parse(raw)
            .orElseThrow(() -> new ConfigVariable.Invalid("is not a log level (TRACE, DEBUG, INFO, WARN, ERROR, OFF)"));

    private CoreVariables() {}

    public static final ConfigVariable<Boolean> ENABLED = ConfigVariable.of("ENABLE_OBSERVABILITY", bool(), true);
    /** The standard switch; {@code true} turns everything off whatever {@link #ENABLED} says. */
    public static final ConfigVariable<Boolean> OTEL_SDK_DISABLED =
            ConfigVariable.of("OTEL_SDK_DISABLED", bool(), false);

    public static final ConfigVariable<String> SERVICE_NAME =
            ConfigVariable.of("OTEL_SERVICE_NAME", text(), ApplicationManifest.serviceName(), "SERVICE_NAME");
    public static final ConfigVariable<String> SERVICE_VERSION = ConfigVariable.of(
            "SERVICE_VERSION", text(), ApplicationManifest.version().orElse(VigilVersion.VERSION));
    public static final ConfigVariable<String> ENVIRONMENT =
            ConfigVariable.of("DEPLOYMENT_ENVIRONMENT", text(), "development", "ENVIRONMENT");
    /** {@code k=v,k=v}: {@code service.name}, {@code service.version}, {@code deployment.environment.name} are used. */
    public static final ConfigVariable<String> OTEL_RESOURCE_ATTRIBUTES =
            ConfigVariable.of("OTEL_RESOURCE_ATTRIBUTES", text(), null);

    public static final ConfigVariable<Boolean> TRACING_ENABLED = ConfigVariable.of("TRACING_ENABLED", bool(), true);
    /** {@code null}: no OTLP export. */
    public static final ConfigVariable<URI> OTLP_ENDPOINT = ConfigVariable.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", httpUri(), (URI) null, "TEMPO_ENDPOINT")
            .shownAs(v -> v == null ? "no OTLP export" : v.toString());
    /**
     * A signal's own endpoint, used as given (with its path, e.g. {@code http://tempo:4318/v1/traces}), as OpenTelemetry
     * defines it; it exports that signal over OTLP with or without the general endpoint. {@code null}: the general one.
     */
    public static final ConfigVariable<URI> OTLP_TRACES_ENDPOINT = signalEndpoint("TRACES");

    public static final ConfigVariable<URI> OTLP_METRICS_ENDPOINT = signalEndpoint("METRICS");
    public static final ConfigVariable<URI> OTLP_LOGS_ENDPOINT = signalEndpoint("LOGS");

    private static ConfigVariable<URI> signalEndpoint(String signal) {
        return ConfigVariable.of("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT", httpUri(), (URI) null)
                .shownAs(v -> v == null ? "OTEL_EXPORTER_OTLP_ENDPOINT's" : v.toString());
    }

    /** {@code null}: chosen by the endpoint's port (4317 gRPC, else HTTP/protobuf). */
    public static final ConfigVariable<OtlpProtocol> OTLP_PROTOCOL = ConfigVariable.of(
                    "OTEL_EXPORTER_OTLP_PROTOCOL",
                    oneOf(
                            Map.of("grpc", OtlpProtocol.GRPC, "http/protobuf", OtlpProtocol.HTTP_PROTOBUF),
                            "is not a supported protocol (grpc, http/protobuf)"),
                    (OtlpProtocol) null)
            .shownAs(v -> v == null
                    ? "the one the endpoint's port implies (grpc on 4317, else http/protobuf)"
                    : v.otelName());

    public static final ConfigVariable<String> TRACES_SAMPLER = ConfigVariable.of("OTEL_TRACES_SAMPLER", text(), null);
    public static final ConfigVariable<Double> TRACE_SAMPLE_RATE =
            ConfigVariable.of("TRACE_SAMPLE_RATE", ratio(), 1.0, "TRACING_SAMPLE_RATE");
    /** The rate when the sampler is a ratio sampler: the standard argument wins over Vigil's names. */
    public static final ConfigVariable<Double> TRACE_SAMPLE_RATE_WITH_OTEL_ARG =
            TRACE_SAMPLE_RATE.withNames("OTEL_TRACES_SAMPLER_ARG", "TRACE_SAMPLE_RATE", "TRACING_SAMPLE_RATE");

    public static final ConfigVariable<Boolean> TRACE_CONSOLE_EXPORT =
            ConfigVariable.of("ENABLE_TRACE_CONSOLE_EXPORT", bool(), false);

    public static final ConfigVariable<Boolean> METRICS_ENABLED = ConfigVariable.of("METRICS_ENABLED", bool(), true);
    public static final ConfigVariable<String> METRICS_PATH = ConfigVariable.of(
            "METRICS_ENDPOINT", matching(URL_PATH, "is not a URL path starting with '/'"), "/metrics");
    public static final ConfigVariable<Boolean> HTTP_METRICS = ConfigVariable.of("ENABLE_HTTP_METRICS", bool(), true);
    public static final ConfigVariable<Boolean> BUSINESS_METRICS =
            ConfigVariable.of("ENABLE_BUSINESS_METRICS", bool(), true);
    public static final ConfigVariable<Boolean> DATABASE_METRICS =
            ConfigVariable.of("ENABLE_DATABASE_METRICS", bool(), true);
    public static final ConfigVariable<Duration> METRICS_INTERVAL = ConfigVariable.of(
                    "METRICS_COLLECTION_INTERVAL", seconds(), Duration.ofSeconds(60))
            .shownAs(ConfigParsers::showSeconds);
    /** The standard name, in milliseconds; wins over {@link #METRICS_INTERVAL}. */
    public static final ConfigVariable<Duration> OTEL_METRIC_EXPORT_INTERVAL = ConfigVariable.of(
                    "OTEL_METRIC_EXPORT_INTERVAL", millis(), Duration.ofSeconds(60))
            .shownAs(d -> d.toMillis() + "ms");

    public static final ConfigVariable<LogLevel> LOG_LEVEL = ConfigVariable.of("LOG_LEVEL", LEVEL, LogLevel.INFO);
    public static final ConfigVariable<LogFormat> LOG_FORMAT = ConfigVariable.of(
                    "LOG_FORMAT",
                    oneOf(Map.of("json", LogFormat.JSON, "text", LogFormat.TEXT), "is neither json nor text"),
                    LogFormat.JSON)
            .shownAs(f -> f.name().toLowerCase(java.util.Locale.ROOT));
    public static final ConfigVariable<Boolean> STRUCTURED_LOGGING =
            ConfigVariable.of("STRUCTURED_LOGGING_ENABLED", bool(), true);

    public static final ConfigVariable<Boolean> LOKI_ENABLED = ConfigVariable.of("LOKI_ENABLED", bool(), false);
    public static final ConfigVariable<URI> LOKI_URL =
            ConfigVariable.of("LOKI_URL", httpUri(), URI.create("http://localhost:3100"));
    public static final ConfigVariable<Map<String, String>> LOKI_LABELS = ConfigVariable.of(
            "LOKI_LABELS",
            labels(
                    LABEL_NAME,
                    (k, v) -> !v.isEmpty(),
                    "is not name=value with a Prometheus label name",
                    // The stream labels Vigil sets itself: an entry for one was dropped without a word.
                    k -> k.equals("service") || k.equals("environment") || k.equals("level")
                            ? "names a label Vigil sets itself (service, environment, level)"
                            : null),
            Map.of());
    public static final ConfigVariable<Duration> LOKI_BATCH_INTERVAL = ConfigVariable.of(
                    "LOKI_BATCH_INTERVAL", seconds(), Duration.ofSeconds(60))
            .shownAs(ConfigParsers::showSeconds);
    public static final ConfigVariable<Duration> LOKI_TIMEOUT =
            ConfigVariable.of("LOKI_TIMEOUT", seconds(), Duration.ofSeconds(10)).shownAs(ConfigParsers::showSeconds);
    public static final ConfigVariable<LogLevel> MIN_LOG_LEVEL_FOR_LOKI =
            ConfigVariable.of("MIN_LOG_LEVEL_FOR_LOKI", LEVEL, LogLevel.INFO);

    public static final ConfigVariable<Boolean> PROFILING_ENABLED =
            ConfigVariable.of("PROFILING_ENABLED", bool(), false);
    /** {@code file:<dir>} means "no server: write profiles as JFR files there" (vigil-profiling). */
    public static final ConfigVariable<URI> PYROSCOPE_SERVER_ADDRESS =
            ConfigVariable.of("PYROSCOPE_SERVER_ADDRESS", httpOrFileUri(), URI.create("http://localhost:4040"));
}
