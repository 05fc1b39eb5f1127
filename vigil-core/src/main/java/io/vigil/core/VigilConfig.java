package io.vigil.core;

import io.vigil.core.internal.ConfigSource;
import io.vigil.core.internal.CoreVariables;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The effective telemetry configuration: immutable, validated, built by {@link #builder()} or read
 * from environment variables by {@link #fromEnvironment(Map)} exactly as section 1 of the telemetry
 * contract lists them.
 *
 * <p>One way to configure: values set on a {@link Builder} are defaults, and {@link
 * Builder#buildFromEnvironment(Map)} lets every variable that is set override them (one that is
 * unset, or bad, leaves them). Reading never fails: a bad value is replaced by its default and
 * described in {@link #warnings()}, because observability must never stop a service from starting.
 * The variables, their types and defaults are declared once, in {@code internal.CoreVariables}.
 *
 * <p>A final class rather than a record, so that a new variable is a new accessor, not a breaking
 * change. Instances are immutable and thread-safe.
 */
public final class VigilConfig {

    /**
     * OpenTelemetry's service name when nothing names the service ({@code unknown_service:java}); the
     * default is the started jar's {@code Implementation-Title} when it has one.
     */
    public static final String DEFAULT_SERVICE_NAME = io.vigil.core.internal.ApplicationManifest.UNKNOWN_SERVICE;

    private final boolean enabled;
    private final String serviceName;
    private final String serviceVersion;
    private final String environment;
    private final boolean tracingEnabled;
    private final Optional<URI> otlpEndpoint;
    private final OtlpProtocol otlpProtocol;
    private final double traceSampleRate;
    private final boolean traceConsoleExport;
    private final boolean metricsEnabled;
    private final String metricsPath;
    private final boolean httpMetricsEnabled;
    private final boolean businessMetricsEnabled;
    private final boolean databaseMetricsEnabled;
    private final Duration metricsCollectionInterval;
    private final LogLevel logLevel;
    private final LogFormat logFormat;
    private final boolean structuredLoggingEnabled;
    private final boolean lokiEnabled;
    private final URI lokiUrl;
    private final Map<String, String> lokiLabels;
    private final Duration lokiBatchInterval;
    private final Duration lokiTimeout;
    private final LogLevel minLogLevelForLoki;
    private final boolean profilingEnabled;
    private final URI pyroscopeServerAddress;
    private final Map<String, String> otelProperties;
    private final List<String> warnings;

    private VigilConfig(Builder b) {
        this.enabled = b.enabled;
        this.serviceName = b.serviceName;
        this.serviceVersion = b.serviceVersion;
        this.environment = b.environment;
        this.tracingEnabled = b.tracingEnabled;
        this.otlpEndpoint = Optional.ofNullable(b.otlpEndpoint);
        this.otlpProtocol = b.otlpProtocol != null
                ? b.otlpProtocol
                : (b.otlpEndpoint != null && b.otlpEndpoint.getPort() == 4317
                        ? OtlpProtocol.GRPC
                        : OtlpProtocol.HTTP_PROTOBUF);
        this.traceSampleRate = b.traceSampleRate;
        this.traceConsoleExport = b.traceConsoleExport;
        this.metricsEnabled = b.metricsEnabled;
        this.metricsPath = b.metricsPath;
        this.httpMetricsEnabled = b.httpMetricsEnabled;
        this.businessMetricsEnabled = b.businessMetricsEnabled;
        this.databaseMetricsEnabled = b.databaseMetricsEnabled;
        this.metricsCollectionInterval = b.metricsCollectionInterval;
        this.logLevel = b.logLevel;
        this.logFormat = b.logFormat;
        this.structuredLoggingEnabled = b.structuredLoggingEnabled;
        this.lokiEnabled = b.lokiEnabled;
        this.lokiUrl = b.lokiUrl;
        this.lokiLabels = Collections.unmodifiableMap(new LinkedHashMap<>(b.lokiLabels)); // keeps the given order
        this.lokiBatchInterval = b.lokiBatchInterval;
        this.lokiTimeout = b.lokiTimeout;
        this.minLogLevelForLoki = b.minLogLevelForLoki;
        this.profilingEnabled = b.profilingEnabled;
        this.pyroscopeServerAddress = b.pyroscopeServerAddress;
        this.otelProperties = Collections.unmodifiableMap(new LinkedHashMap<>(b.otelProperties));
        this.warnings = List.copyOf(b.warnings);
    }

    /** Master switch: {@code false} gives no-op telemetry with zero export traffic ({@code ENABLE_OBSERVABILITY}, {@code OTEL_SDK_DISABLED}); default true. */
    public boolean enabled() {
        return enabled;
    }

    /** {@code service.name} ({@code OTEL_SERVICE_NAME}, {@code SERVICE_NAME}); default the started jar's {@code Implementation-Title}, else {@code unknown_service:java}. */
    public String serviceName() {
        return serviceName;
    }

    /** {@code service.version} ({@code SERVICE_VERSION}); default the started jar's {@code Implementation-Version}, else Vigil's version. */
    public String serviceVersion() {
        return serviceVersion;
    }

    /** {@code deployment.environment.name} ({@code DEPLOYMENT_ENVIRONMENT}, {@code ENVIRONMENT}); default {@code development}. */
    public String environment() {
        return environment;
    }

    /** Whether spans are recorded ({@code TRACING_ENABLED}); default true. */
    public boolean tracingEnabled() {
        return tracingEnabled;
    }

    /** The OTLP endpoint ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code TEMPO_ENDPOINT}); empty: no OTLP export (the default). */
    public Optional<URI> otlpEndpoint() {
        return otlpEndpoint;
    }

    /**
     * Where {@code signal} is exported over OTLP: its own endpoint ({@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, {@code
     * …_METRICS_…}, {@code …_LOGS_…}, used as given, as OpenTelemetry defines it), else {@link #otlpEndpoint()}; empty:
     * that signal is not exported over OTLP. A signal's own endpoint exports it even without the general one (traces to
     * Tempo, metrics scraped, say).
     */
    public Optional<URI> otlpEndpoint(OtlpSignal signal) {
        String own = otelProperties.get(signal.endpointProperty());
        if (own != null && !own.isBlank()) {
            try {
                return Optional.of(new URI(own.strip()));
            } catch (java.net.URISyntaxException e) {
                return otlpEndpoint; // the SDK refuses it too, and Vigil's own settings apply then
            }
        }
        return otlpEndpoint;
    }

    /** The OTLP protocol ({@code OTEL_EXPORTER_OTLP_PROTOCOL}); unless set, gRPC on port 4317, else HTTP/protobuf. */
    public OtlpProtocol otlpProtocol() {
        return otlpProtocol;
    }

    /** Share of root traces sampled, 0.0–1.0 ({@code TRACE_SAMPLE_RATE}, {@code OTEL_TRACES_SAMPLER_ARG}); default 1.0. */
    public double traceSampleRate() {
        return traceSampleRate;
    }

    /** Whether spans are also logged ({@code ENABLE_TRACE_CONSOLE_EXPORT}); default false. */
    public boolean traceConsoleExport() {
        return traceConsoleExport;
    }

    /** Whether metrics are recorded and exposed ({@code METRICS_ENABLED}); default true. */
    public boolean metricsEnabled() {
        return metricsEnabled;
    }

    /** The Prometheus scrape path ({@code METRICS_ENDPOINT}); default {@code /metrics}. */
    public String metricsPath() {
        return metricsPath;
    }

    /** Whether the HTTP metrics are recorded ({@code ENABLE_HTTP_METRICS}); default true. */
    public boolean httpMetricsEnabled() {
        return httpMetricsEnabled;
    }

    /** Whether business operation metrics are recorded ({@code ENABLE_BUSINESS_METRICS}); default true. */
    public boolean businessMetricsEnabled() {
        return businessMetricsEnabled;
    }

    /** Whether database operation metrics are recorded ({@code ENABLE_DATABASE_METRICS}); default true. */
    public boolean databaseMetricsEnabled() {
        return databaseMetricsEnabled;
    }

    /** How often metrics are pushed over OTLP ({@code METRICS_COLLECTION_INTERVAL} seconds, {@code OTEL_METRIC_EXPORT_INTERVAL} ms); default 60 s. */
    public Duration metricsCollectionInterval() {
        return metricsCollectionInterval;
    }

    /** Root log level ({@code LOG_LEVEL}); default INFO. */
    public LogLevel logLevel() {
        return logLevel;
    }

    /** Format of the lines on stdout ({@code LOG_FORMAT}); default JSON. */
    public LogFormat logFormat() {
        return logFormat;
    }

    /** {@code false} forces text lines ({@code STRUCTURED_LOGGING_ENABLED}); default true. */
    public boolean structuredLoggingEnabled() {
        return structuredLoggingEnabled;
    }

    /** Whether logs are shipped to Loki ({@code LOKI_ENABLED}); default false. */
    public boolean lokiEnabled() {
        return lokiEnabled;
    }

    /** Loki's base URL ({@code LOKI_URL}); default {@code http://localhost:3100}. */
    public URI lokiUrl() {
        return lokiUrl;
    }

    /** Extra static Loki stream labels, in order ({@code LOKI_LABELS}); default none. */
    public Map<String, String> lokiLabels() {
        return lokiLabels;
    }

    /** Longest wait before a Loki push ({@code LOKI_BATCH_INTERVAL} seconds); default 60 s. */
    public Duration lokiBatchInterval() {
        return lokiBatchInterval;
    }

    /** Timeout of one Loki push ({@code LOKI_TIMEOUT} seconds); default 10 s. */
    public Duration lokiTimeout() {
        return lokiTimeout;
    }

    /** Lowest level shipped to Loki ({@code MIN_LOG_LEVEL_FOR_LOKI}); default INFO. */
    public LogLevel minLogLevelForLoki() {
        return minLogLevelForLoki;
    }

    /** Whether continuous profiling runs ({@code PROFILING_ENABLED}); default false. */
    public boolean profilingEnabled() {
        return profilingEnabled;
    }

    /** Pyroscope server, or {@code file:<dir>} for JFR files ({@code PYROSCOPE_SERVER_ADDRESS}); default {@code http://localhost:4040}. */
    public URI pyroscopeServerAddress() {
        return pyroscopeServerAddress;
    }

    /** Standard SDK properties ({@code otel.*}) from {@code OTEL_*} variables, passed to the SDK as they are; they win over what Vigil derives. */
    public Map<String, String> otelProperties() {
        return otelProperties;
    }

    /** Problems found while reading the configuration, reported once at start-up. */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof VigilConfig c)) {
            return false;
        }
        return enabled == c.enabled
                && serviceName.equals(c.serviceName)
                && serviceVersion.equals(c.serviceVersion)
                && environment.equals(c.environment)
                && tracingEnabled == c.tracingEnabled
                && otlpEndpoint.equals(c.otlpEndpoint)
                && otlpProtocol.equals(c.otlpProtocol)
                && Double.compare(traceSampleRate, c.traceSampleRate) == 0
                && traceConsoleExport == c.traceConsoleExport
                && metricsEnabled == c.metricsEnabled
                && metricsPath.equals(c.metricsPath)
                && httpMetricsEnabled == c.httpMetricsEnabled
                && businessMetricsEnabled == c.businessMetricsEnabled
                && databaseMetricsEnabled == c.databaseMetricsEnabled
                && metricsCollectionInterval.equals(c.metricsCollectionInterval)
                && logLevel.equals(c.logLevel)
                && logFormat.equals(c.logFormat)
                && structuredLoggingEnabled == c.structuredLoggingEnabled
                && lokiEnabled == c.lokiEnabled
                && lokiUrl.equals(c.lokiUrl)
                && lokiLabels.equals(c.lokiLabels)
                && lokiBatchInterval.equals(c.lokiBatchInterval)
                && lokiTimeout.equals(c.lokiTimeout)
                && minLogLevelForLoki.equals(c.minLogLevelForLoki)
                && profilingEnabled == c.profilingEnabled
                && pyroscopeServerAddress.equals(c.pyroscopeServerAddress)
                && otelProperties.equals(c.otelProperties)
                && warnings.equals(c.warnings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                enabled,
                serviceName,
                serviceVersion,
                environment,
                tracingEnabled,
                otlpEndpoint,
                otlpProtocol,
                traceSampleRate,
                traceConsoleExport,
                metricsEnabled,
                metricsPath,
                httpMetricsEnabled,
                businessMetricsEnabled,
                databaseMetricsEnabled,
                metricsCollectionInterval,
                logLevel,
                logFormat,
                structuredLoggingEnabled,
                lokiEnabled,
                lokiUrl,
                lokiLabels,
                lokiBatchInterval,
                lokiTimeout,
                minLogLevelForLoki,
                profilingEnabled,
                pyroscopeServerAddress,
                otelProperties,
                warnings);
    }

    /** Every value, for debugging; the same shape a record's would have. */
    @Override
    public String toString() {
        return "VigilConfig["
                + "enabled=" + enabled
                + ", serviceName=" + serviceName
                + ", serviceVersion=" + serviceVersion
                + ", environment=" + environment
                + ", tracingEnabled=" + tracingEnabled
                + ", otlpEndpoint=" + otlpEndpoint
                + ", otlpProtocol=" + otlpProtocol
                + ", traceSampleRate=" + traceSampleRate
                + ", traceConsoleExport=" + traceConsoleExport
                + ", metricsEnabled=" + metricsEnabled
                + ", metricsPath=" + metricsPath
                + ", httpMetricsEnabled=" + httpMetricsEnabled
                + ", businessMetricsEnabled=" + businessMetricsEnabled
                + ", databaseMetricsEnabled=" + databaseMetricsEnabled
                + ", metricsCollectionInterval=" + metricsCollectionInterval
                + ", logLevel=" + logLevel
                + ", logFormat=" + logFormat
                + ", structuredLoggingEnabled=" + structuredLoggingEnabled
                + ", lokiEnabled=" + lokiEnabled
                + ", lokiUrl=" + lokiUrl
                + ", lokiLabels=" + lokiLabels
                + ", lokiBatchInterval=" + lokiBatchInterval
                + ", lokiTimeout=" + lokiTimeout
                + ", minLogLevelForLoki=" + minLogLevelForLoki
                + ", profilingEnabled=" + profilingEnabled
                + ", pyroscopeServerAddress=" + pyroscopeServerAddress
                + ", otelProperties=" + otelProperties
                + ", warnings=" + warnings
                + "]";
    }

    /**
     * Reads the configuration from environment variables (seed names, their aliases and standard
     * {@code OTEL_*} names, which win when both are set) on top of the defaults.
     *
     * @param env usually {@link System#getenv()}
     */
    public static VigilConfig fromEnvironment(Map<String, String> env) {
        return builder().buildFromEnvironment(env);
    }

    /** Reads the configuration from this process's environment. */
    public static VigilConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** A builder holding the contract's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Whether anything is exported over OTLP: an endpoint, the general one or a signal's own, is configured. */
    public boolean otlpExportEnabled() {
        for (OtlpSignal signal : OtlpSignal.values()) {
            if (otlpExportEnabled(signal)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code signal} is exported over OTLP: {@link #otlpEndpoint(OtlpSignal)} is set. */
    public boolean otlpExportEnabled(OtlpSignal signal) {
        return enabled && otlpEndpoint(signal).isPresent();
    }

    /** One readable line describing the effective configuration, for the start-up log. */
    public String summary() {
        if (!enabled) {
            return "Vigil telemetry disabled (ENABLE_OBSERVABILITY=false): no-op, nothing exported";
        }
        String otlp = otlpEndpoint(OtlpSignal.TRACES)
                .map(e -> "otlp " + otlpProtocol.otelName() + " " + e)
                .orElse("no otlp export");
        // OTEL_TRACES_SAMPLER other than a trace-id ratio replaces Vigil's ratio sampler (always_off, …): name it, not
        // the ratio that is not used.
        String sampler = otelProperties.getOrDefault("otel.traces.sampler", "parentbased_traceidratio");
        String sampling = sampler.endsWith("traceidratio") ? "sample " + traceSampleRate : "sampler " + sampler;
        String traces = tracingEnabled
                ? "traces[" + otlp + ", " + sampling + (traceConsoleExport ? ", console" : "") + "]"
                : "traces[off]";
        String metrics = metricsEnabled
                ? "metrics[prometheus " + metricsPath
                        + otlpEndpoint(OtlpSignal.METRICS)
                                .map(e -> ", otlp every " + seconds(metricsCollectionInterval)
                                        + (e.equals(otlpEndpoint.orElse(null)) ? "" : " to " + e))
                                .orElse("")
                        + "]"
                : "metrics[off]";
        // STRUCTURED_LOGGING_ENABLED=false means text lines whatever LOG_FORMAT says (VigilLogging): the line said
        // json.
        String format = structuredLoggingEnabled ? logFormat.name().toLowerCase(Locale.ROOT) : "text";
        // Only what vigil-core itself sets up. Loki shipping and profiling are installed by vigil-logback and
        // vigil-profiling, which report them when they do: named here from LOKI_ENABLED / PROFILING_ENABLED alone, a
        // service without those modules (examples' HelloService) claimed a Loki push and a profiler it never had.
        String logs = "logs[" + format + " " + logLevel + "]";
        return "Vigil telemetry: service=" + serviceName + " version=" + serviceVersion + " environment=" + environment
                + " " + traces + " " + metrics + " " + logs;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Builds a {@link VigilConfig}; every setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private boolean enabled = CoreVariables.ENABLED.defaultValue();
        private String serviceName = CoreVariables.SERVICE_NAME.defaultValue();
        private String serviceVersion = CoreVariables.SERVICE_VERSION.defaultValue();
        private String environment = CoreVariables.ENVIRONMENT.defaultValue();
        private boolean tracingEnabled = CoreVariables.TRACING_ENABLED.defaultValue();
        private URI otlpEndpoint = CoreVariables.OTLP_ENDPOINT.defaultValue();
        private OtlpProtocol otlpProtocol = CoreVariables.OTLP_PROTOCOL.defaultValue();
        private double traceSampleRate = CoreVariables.TRACE_SAMPLE_RATE.defaultValue();
        private boolean traceConsoleExport = CoreVariables.TRACE_CONSOLE_EXPORT.defaultValue();
        private boolean metricsEnabled = CoreVariables.METRICS_ENABLED.defaultValue();
        private String metricsPath = CoreVariables.METRICS_PATH.defaultValue();
        private boolean httpMetricsEnabled = CoreVariables.HTTP_METRICS.defaultValue();
        private boolean businessMetricsEnabled = CoreVariables.BUSINESS_METRICS.defaultValue();
        private boolean databaseMetricsEnabled = CoreVariables.DATABASE_METRICS.defaultValue();
        private Duration metricsCollectionInterval = CoreVariables.METRICS_INTERVAL.defaultValue();
        private LogLevel logLevel = CoreVariables.LOG_LEVEL.defaultValue();
        private LogFormat logFormat = CoreVariables.LOG_FORMAT.defaultValue();
        private boolean structuredLoggingEnabled = CoreVariables.STRUCTURED_LOGGING.defaultValue();
        private boolean lokiEnabled = CoreVariables.LOKI_ENABLED.defaultValue();
        private URI lokiUrl = CoreVariables.LOKI_URL.defaultValue();
        private Map<String, String> lokiLabels = new LinkedHashMap<>(CoreVariables.LOKI_LABELS.defaultValue());
        private Duration lokiBatchInterval = CoreVariables.LOKI_BATCH_INTERVAL.defaultValue();
        private Duration lokiTimeout = CoreVariables.LOKI_TIMEOUT.defaultValue();
        private LogLevel minLogLevelForLoki = CoreVariables.MIN_LOG_LEVEL_FOR_LOKI.defaultValue();
        private boolean profilingEnabled = CoreVariables.PROFILING_ENABLED.defaultValue();
        private URI pyroscopeServerAddress = CoreVariables.PYROSCOPE_SERVER_ADDRESS.defaultValue();
        private Map<String, String> otelProperties = new LinkedHashMap<>();
        private List<String> warnings = List.of();

        Builder() {}

        Builder(VigilConfig c) {
            enabled = c.enabled;
            serviceName = c.serviceName;
            serviceVersion = c.serviceVersion;
            environment = c.environment;
            tracingEnabled = c.tracingEnabled;
            otlpEndpoint = c.otlpEndpoint.orElse(null);
            otlpProtocol = c.otlpProtocol;
            traceSampleRate = c.traceSampleRate;
            traceConsoleExport = c.traceConsoleExport;
            metricsEnabled = c.metricsEnabled;
            metricsPath = c.metricsPath;
            httpMetricsEnabled = c.httpMetricsEnabled;
            businessMetricsEnabled = c.businessMetricsEnabled;
            databaseMetricsEnabled = c.databaseMetricsEnabled;
            metricsCollectionInterval = c.metricsCollectionInterval;
            logLevel = c.logLevel;
            logFormat = c.logFormat;
            structuredLoggingEnabled = c.structuredLoggingEnabled;
            lokiEnabled = c.lokiEnabled;
            lokiUrl = c.lokiUrl;
            lokiLabels = new LinkedHashMap<>(c.lokiLabels);
            lokiBatchInterval = c.lokiBatchInterval;
            lokiTimeout = c.lokiTimeout;
            minLogLevelForLoki = c.minLogLevelForLoki;
            profilingEnabled = c.profilingEnabled;
            pyroscopeServerAddress = c.pyroscopeServerAddress;
            otelProperties = new LinkedHashMap<>(c.otelProperties);
            warnings = c.warnings;
        }

        /** Master switch; {@code false} gives no-op telemetry with zero export traffic. Default true. */
        public Builder enabled(boolean enabled) {
            this.enabled = enabled;
            return this;
        }

        /** {@code service.name}; not blank. */
        public Builder serviceName(String serviceName) {
            this.serviceName = requireText(serviceName, "serviceName");
            return this;
        }

        /** {@code service.version}; not blank. */
        public Builder serviceVersion(String serviceVersion) {
            this.serviceVersion = requireText(serviceVersion, "serviceVersion");
            return this;
        }

        /** {@code deployment.environment.name}; not blank. Default {@code development}. */
        public Builder environment(String environment) {
            this.environment = requireText(environment, "environment");
            return this;
        }

        /** Whether spans are recorded. Default true. */
        public Builder tracingEnabled(boolean tracingEnabled) {
            this.tracingEnabled = tracingEnabled;
            return this;
        }

        /** OTLP endpoint; {@code null} disables OTLP export (the default). */
        public Builder otlpEndpoint(URI otlpEndpoint) {
            this.otlpEndpoint = otlpEndpoint;
            return this;
        }

        /** OTLP protocol; {@code null} chooses by port (4317 gRPC, else HTTP/protobuf). */
        public Builder otlpProtocol(OtlpProtocol otlpProtocol) {
            this.otlpProtocol = otlpProtocol;
            return this;
        }

        /** Share of root traces sampled, within 0.0–1.0. Default 1.0. */
        public Builder traceSampleRate(double traceSampleRate) {
            if (!(traceSampleRate >= 0.0 && traceSampleRate <= 1.0)) {
                throw new IllegalArgumentException("traceSampleRate must be within 0.0–1.0: " + traceSampleRate);
            }
            this.traceSampleRate = traceSampleRate;
            return this;
        }

        /** Whether spans are also logged. Default false. */
        public Builder traceConsoleExport(boolean traceConsoleExport) {
            this.traceConsoleExport = traceConsoleExport;
            return this;
        }

        /** Whether metrics are recorded and exposed. Default true. */
        public Builder metricsEnabled(boolean metricsEnabled) {
            this.metricsEnabled = metricsEnabled;
            return this;
        }

        /** The Prometheus scrape path, starting with {@code /}. Default {@code /metrics}. */
        public Builder metricsPath(String metricsPath) {
            String p = requireText(metricsPath, "metricsPath");
            if (!p.startsWith("/")) {
                throw new IllegalArgumentException("metricsPath must start with '/': " + p);
            }
            this.metricsPath = p;
            return this;
        }

        /** Whether the HTTP metrics are recorded. Default true. */
        public Builder httpMetricsEnabled(boolean v) {
            this.httpMetricsEnabled = v;
            return this;
        }

        /** Whether business operation metrics are recorded. Default true. */
        public Builder businessMetricsEnabled(boolean v) {
            this.businessMetricsEnabled = v;
            return this;
        }

        /** Whether database operation metrics are recorded. Default true. */
        public Builder databaseMetricsEnabled(boolean v) {
            this.databaseMetricsEnabled = v;
            return this;
        }

        /** How often metrics are pushed over OTLP; positive. Default 60 s. */
        public Builder metricsCollectionInterval(Duration v) {
            this.metricsCollectionInterval = requirePositive(v, "metricsCollectionInterval");
            return this;
        }

        /** Root log level. Default INFO. */
        public Builder logLevel(LogLevel v) {
            this.logLevel = Objects.requireNonNull(v, "logLevel");
            return this;
        }

        /** Root log level by name ({@link LogLevel#parse}); an unknown name is an {@link IllegalArgumentException}. */
        public Builder logLevel(String v) {
            return logLevel(level(v, "logLevel"));
        }

        /** Format of the lines on stdout. Default JSON. */
        public Builder logFormat(LogFormat v) {
            this.logFormat = Objects.requireNonNull(v, "logFormat");
            return this;
        }

        /** {@code false} forces text lines. Default true. */
        public Builder structuredLoggingEnabled(boolean v) {
            this.structuredLoggingEnabled = v;
            return this;
        }

        /** Whether logs are shipped to Loki. Default false. */
        public Builder lokiEnabled(boolean v) {
            this.lokiEnabled = v;
            return this;
        }

        /** Loki's base URL. Default {@code http://localhost:3100}. */
        public Builder lokiUrl(URI v) {
            this.lokiUrl = Objects.requireNonNull(v, "lokiUrl");
            return this;
        }

        /**
         * Extra static Loki stream labels (on top of service, environment and level), in order. The
         * entries of {@code LOKI_LABELS} are put over these, label by label.
         */
        public Builder lokiLabels(Map<String, String> v) {
            this.lokiLabels = new LinkedHashMap<>(v);
            return this;
        }

        /** Longest wait before a Loki push; positive. Default 60 s. */
        public Builder lokiBatchInterval(Duration v) {
            this.lokiBatchInterval = requirePositive(v, "lokiBatchInterval");
            return this;
        }

        /** Timeout of one Loki push; positive. Default 10 s. */
        public Builder lokiTimeout(Duration v) {
            this.lokiTimeout = requirePositive(v, "lokiTimeout");
            return this;
        }

        /** Lowest level shipped to Loki. Default INFO. */
        public Builder minLogLevelForLoki(LogLevel v) {
            this.minLogLevelForLoki = Objects.requireNonNull(v, "minLogLevelForLoki");
            return this;
        }

        /** Lowest level shipped to Loki, by name ({@link LogLevel#parse}). */
        public Builder minLogLevelForLoki(String v) {
            return minLogLevelForLoki(level(v, "minLogLevelForLoki"));
        }

        /** Whether continuous profiling runs. Default false. */
        public Builder profilingEnabled(boolean v) {
            this.profilingEnabled = v;
            return this;
        }

        /** Pyroscope server, or {@code file:<dir>} for JFR files. Default {@code http://localhost:4040}. */
        public Builder pyroscopeServerAddress(URI v) {
            this.pyroscopeServerAddress = Objects.requireNonNull(v, "pyroscopeServerAddress");
            return this;
        }

        /**
         * Standard OpenTelemetry SDK properties ({@code otel.*}) passed to the SDK as they are; they
         * win over what Vigil derives from its own settings.
         */
        public Builder otelProperties(Map<String, String> v) {
            this.otelProperties = new LinkedHashMap<>(v);
            return this;
        }

        /** Problems found while reading the configuration, reported once at start-up. */
        public Builder warnings(List<String> v) {
            this.warnings = List.copyOf(v);
            return this;
        }

        /**
         * Reads environment variables on top of the values set so far, which are defaults: a variable
         * that is set (and good) overrides its value; one that is unset or bad keeps it (a bad one
         * adds a warning). Then builds the configuration. Never throws for a bad variable.
         */
        public VigilConfig buildFromEnvironment(Map<String, String> env) {
            ConfigSource src = new ConfigSource(env);
            Map<String, String> resource = resourceAttributes(src.get(CoreVariables.OTEL_RESOURCE_ATTRIBUTES));

            enabled = src.get(CoreVariables.ENABLED, enabled);
            if (src.get(CoreVariables.OTEL_SDK_DISABLED)) {
                enabled = false;
            }
            serviceName = src.get(CoreVariables.SERVICE_NAME, serviceName);
            if (resource.containsKey("service.name") && src.raw("OTEL_SERVICE_NAME") == null) {
                serviceName = resource.get("service.name");
            }
            serviceVersion = src.get(CoreVariables.SERVICE_VERSION, serviceVersion);
            if (resource.containsKey("service.version")) {
                serviceVersion = resource.get("service.version");
            }
            environment = src.get(CoreVariables.ENVIRONMENT, environment);
            if (resource.containsKey("deployment.environment.name")) {
                environment = resource.get("deployment.environment.name");
            }

            tracingEnabled = src.get(CoreVariables.TRACING_ENABLED, tracingEnabled);
            otlpEndpoint = src.get(CoreVariables.OTLP_ENDPOINT, otlpEndpoint);
            otlpProtocol = src.get(CoreVariables.OTLP_PROTOCOL, otlpProtocol);
            // A signal's own endpoint reaches the SDK as its otel.* property (below); read here only to be validated,
            // so a bad one is one warning and left out, as the general endpoint's is.
            src.get(CoreVariables.OTLP_TRACES_ENDPOINT);
            src.get(CoreVariables.OTLP_METRICS_ENDPOINT);
            src.get(CoreVariables.OTLP_LOGS_ENDPOINT);
            String sampler = src.get(CoreVariables.TRACES_SAMPLER);
            boolean ratioSampler = sampler == null || sampler.endsWith("traceidratio");
            traceSampleRate = src.get(
                    ratioSampler ? CoreVariables.TRACE_SAMPLE_RATE_WITH_OTEL_ARG : CoreVariables.TRACE_SAMPLE_RATE,
                    traceSampleRate);
            traceConsoleExport = src.get(CoreVariables.TRACE_CONSOLE_EXPORT, traceConsoleExport);

            metricsEnabled = src.get(CoreVariables.METRICS_ENABLED, metricsEnabled);
            metricsPath = src.get(CoreVariables.METRICS_PATH, metricsPath);
            httpMetricsEnabled = src.get(CoreVariables.HTTP_METRICS, httpMetricsEnabled);
            businessMetricsEnabled = src.get(CoreVariables.BUSINESS_METRICS, businessMetricsEnabled);
            databaseMetricsEnabled = src.get(CoreVariables.DATABASE_METRICS, databaseMetricsEnabled);
            metricsCollectionInterval = src.isSet(CoreVariables.OTEL_METRIC_EXPORT_INTERVAL)
                    ? src.get(CoreVariables.OTEL_METRIC_EXPORT_INTERVAL, metricsCollectionInterval)
                    : src.get(CoreVariables.METRICS_INTERVAL, metricsCollectionInterval);

            logLevel = src.get(CoreVariables.LOG_LEVEL, logLevel);
            logFormat = src.get(CoreVariables.LOG_FORMAT, logFormat);
            structuredLoggingEnabled = src.get(CoreVariables.STRUCTURED_LOGGING, structuredLoggingEnabled);

            lokiEnabled = src.get(CoreVariables.LOKI_ENABLED, lokiEnabled);
            lokiUrl = src.get(CoreVariables.LOKI_URL, lokiUrl);
            lokiLabels.putAll(src.get(CoreVariables.LOKI_LABELS, Map.of()));
            lokiBatchInterval = src.get(CoreVariables.LOKI_BATCH_INTERVAL, lokiBatchInterval);
            lokiTimeout = src.get(CoreVariables.LOKI_TIMEOUT, lokiTimeout);
            minLogLevelForLoki = src.get(CoreVariables.MIN_LOG_LEVEL_FOR_LOKI, minLogLevelForLoki);

            profilingEnabled = src.get(CoreVariables.PROFILING_ENABLED, profilingEnabled);
            pyroscopeServerAddress = src.get(CoreVariables.PYROSCOPE_SERVER_ADDRESS, pyroscopeServerAddress);

            Map<String, String> props = new LinkedHashMap<>(otelProperties);
            // Without the OTEL_* values Vigil validated and refused: it uses its fallback for them.
            props.putAll(otelPropertiesOf(env, src.rejected()));
            otelProperties = props;
            List<String> all = new java.util.ArrayList<>(warnings);
            all.addAll(src.warnings());
            warnings = List.copyOf(all);
            return build();
        }

        /** Builds the configuration from the values set. */
        public VigilConfig build() {
            return new VigilConfig(this);
        }

        /** Every {@code OTEL_*} variable but the {@code refused} ones as the SDK property it stands for ({@code otel.foo.bar}). */
        private static Map<String, String> otelPropertiesOf(Map<String, String> env, Set<String> refused) {
            Map<String, String> props = new LinkedHashMap<>();
            env.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("OTEL_")
                            && !refused.contains(e.getKey())
                            && e.getValue() != null
                            && !e.getValue().isBlank())
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> props.put(
                            e.getKey().toLowerCase(Locale.ROOT).replace('_', '.'),
                            e.getValue().strip()));
            return props;
        }

        private static Map<String, String> resourceAttributes(String raw) {
            Map<String, String> attrs = new LinkedHashMap<>();
            if (raw == null) {
                return attrs;
            }
            for (String pair : raw.split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && eq < pair.length() - 1) {
                    attrs.put(
                            pair.substring(0, eq).strip(),
                            pair.substring(eq + 1).strip());
                }
            }
            return attrs;
        }

        private static LogLevel level(String v, String name) {
            return LogLevel.parse(v)
                    .orElseThrow(() -> new IllegalArgumentException(name + " is not a log level: " + v));
        }

        private static Duration requirePositive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
            return d;
        }

        private static String requireText(String v, String name) {
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return v.strip();
        }
    }
}
