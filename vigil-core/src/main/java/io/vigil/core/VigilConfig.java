package io.vigil.core;

import io.vigil.core.internal.EnvironmentConfigReader;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The effective telemetry configuration: immutable, validated, built by {@link #builder()} or read
 * from environment variables by {@link #fromEnvironment(Map)} exactly as section 1 of the telemetry
 * contract lists them.
 *
 * <p>Reading never fails: a bad value is replaced by its default and described in {@link
 * #warnings()}, because observability must never stop a service from starting.
 */
public record VigilConfig(
        boolean enabled,
        String serviceName,
        String serviceVersion,
        String environment,
        boolean tracingEnabled,
        Optional<URI> otlpEndpoint,
        OtlpProtocol otlpProtocol,
        double traceSampleRate,
        boolean traceConsoleExport,
        boolean metricsEnabled,
        String metricsPath,
        boolean httpMetricsEnabled,
        boolean businessMetricsEnabled,
        boolean databaseMetricsEnabled,
        Duration metricsCollectionInterval,
        String logLevel,
        LogFormat logFormat,
        boolean structuredLoggingEnabled,
        boolean lokiEnabled,
        URI lokiUrl,
        Map<String, String> lokiLabels,
        Duration lokiBatchInterval,
        Duration lokiTimeout,
        String minLogLevelForLoki,
        boolean profilingEnabled,
        URI pyroscopeServerAddress,
        Map<String, String> otelProperties,
        List<String> warnings) {

    /** Default {@code service.name}, as the contract states. */
    public static final String DEFAULT_SERVICE_NAME = "identity-service";

    public VigilConfig {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(serviceVersion, "serviceVersion");
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(otlpEndpoint, "otlpEndpoint");
        Objects.requireNonNull(otlpProtocol, "otlpProtocol");
        Objects.requireNonNull(metricsPath, "metricsPath");
        Objects.requireNonNull(metricsCollectionInterval, "metricsCollectionInterval");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(logFormat, "logFormat");
        Objects.requireNonNull(lokiUrl, "lokiUrl");
        Objects.requireNonNull(lokiBatchInterval, "lokiBatchInterval");
        Objects.requireNonNull(lokiTimeout, "lokiTimeout");
        Objects.requireNonNull(minLogLevelForLoki, "minLogLevelForLoki");
        Objects.requireNonNull(pyroscopeServerAddress, "pyroscopeServerAddress");
        if (!(traceSampleRate >= 0.0 && traceSampleRate <= 1.0)) {
            throw new IllegalArgumentException("traceSampleRate must be within 0.0–1.0: " + traceSampleRate);
        }
        if (!metricsPath.startsWith("/")) {
            throw new IllegalArgumentException("metricsPath must start with '/': " + metricsPath);
        }
        requirePositive(metricsCollectionInterval, "metricsCollectionInterval");
        requirePositive(lokiBatchInterval, "lokiBatchInterval");
        requirePositive(lokiTimeout, "lokiTimeout");
        lokiLabels = Collections.unmodifiableMap(new LinkedHashMap<>(lokiLabels)); // keeps the given order
        otelProperties = Collections.unmodifiableMap(new LinkedHashMap<>(otelProperties));
        warnings = List.copyOf(warnings);
    }

    /**
     * Reads the configuration from environment variables (seed names, their aliases and standard
     * {@code OTEL_*} names, which win when both are set).
     *
     * @param env usually {@link System#getenv()}
     */
    public static VigilConfig fromEnvironment(Map<String, String> env) {
        return EnvironmentConfigReader.read(env, builder());
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

    /** Whether anything is exported over OTLP. */
    public boolean otlpExportEnabled() {
        return enabled && otlpEndpoint.isPresent();
    }

    /** One readable line describing the effective configuration, for the start-up log. */
    public String summary() {
        if (!enabled) {
            return "Vigil telemetry disabled (ENABLE_OBSERVABILITY=false): no-op, nothing exported";
        }
        String otlp = otlpEndpoint
                .map(e -> "otlp " + otlpProtocol.otelName() + " " + e)
                .orElse("no otlp export");
        String traces = tracingEnabled
                ? "traces[" + otlp + ", sample " + traceSampleRate + (traceConsoleExport ? ", console" : "") + "]"
                : "traces[off]";
        String metrics = metricsEnabled
                ? "metrics[prometheus " + metricsPath
                        + otlpEndpoint
                                .map(e -> ", otlp every " + seconds(metricsCollectionInterval))
                                .orElse("")
                        + "]"
                : "metrics[off]";
        String logs = "logs[" + logFormat.name().toLowerCase(java.util.Locale.ROOT) + " " + logLevel
                + (lokiEnabled ? ", loki " + lokiUrl + " >= " + minLogLevelForLoki : "")
                + "]";
        String profiles = profilingEnabled ? "profiling[" + pyroscopeServerAddress + "]" : "profiling[off]";
        return "Vigil telemetry: service=" + serviceName + " version=" + serviceVersion + " environment=" + environment
                + " " + traces + " " + metrics + " " + logs + " " + profiles;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static void requirePositive(Duration d, String name) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /** Builds a {@link VigilConfig}; every setter validates its argument. */
    public static final class Builder {
        private boolean enabled = true;
        private String serviceName = DEFAULT_SERVICE_NAME;
        private String serviceVersion = VigilVersion.VERSION;
        private String environment = "development";
        private boolean tracingEnabled = true;
        private URI otlpEndpoint;
        private OtlpProtocol otlpProtocol;
        private double traceSampleRate = 1.0;
        private boolean traceConsoleExport;
        private boolean metricsEnabled = true;
        private String metricsPath = "/metrics";
        private boolean httpMetricsEnabled = true;
        private boolean businessMetricsEnabled = true;
        private boolean databaseMetricsEnabled = true;
        private Duration metricsCollectionInterval = Duration.ofSeconds(60);
        private String logLevel = "INFO";
        private LogFormat logFormat = LogFormat.JSON;
        private boolean structuredLoggingEnabled = true;
        private boolean lokiEnabled;
        private URI lokiUrl = URI.create("http://localhost:3100");
        private Map<String, String> lokiLabels = new LinkedHashMap<>();
        private Duration lokiBatchInterval = Duration.ofSeconds(60);
        private Duration lokiTimeout = Duration.ofSeconds(10);
        private String minLogLevelForLoki = "INFO";
        private boolean profilingEnabled;
        private URI pyroscopeServerAddress = URI.create("http://localhost:4040");
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

        /** Master switch; {@code false} gives no-op telemetry with zero export traffic. */
        public Builder enabled(boolean enabled) {
            this.enabled = enabled;
            return this;
        }

        public Builder serviceName(String serviceName) {
            this.serviceName = requireText(serviceName, "serviceName");
            return this;
        }

        public Builder serviceVersion(String serviceVersion) {
            this.serviceVersion = requireText(serviceVersion, "serviceVersion");
            return this;
        }

        public Builder environment(String environment) {
            this.environment = requireText(environment, "environment");
            return this;
        }

        public Builder tracingEnabled(boolean tracingEnabled) {
            this.tracingEnabled = tracingEnabled;
            return this;
        }

        /** OTLP endpoint; {@code null} disables OTLP export. */
        public Builder otlpEndpoint(URI otlpEndpoint) {
            this.otlpEndpoint = otlpEndpoint;
            return this;
        }

        /** OTLP protocol; {@code null} chooses by port (4317 gRPC, else HTTP/protobuf). */
        public Builder otlpProtocol(OtlpProtocol otlpProtocol) {
            this.otlpProtocol = otlpProtocol;
            return this;
        }

        public Builder traceSampleRate(double traceSampleRate) {
            this.traceSampleRate = traceSampleRate;
            return this;
        }

        public Builder traceConsoleExport(boolean traceConsoleExport) {
            this.traceConsoleExport = traceConsoleExport;
            return this;
        }

        public Builder metricsEnabled(boolean metricsEnabled) {
            this.metricsEnabled = metricsEnabled;
            return this;
        }

        public Builder metricsPath(String metricsPath) {
            this.metricsPath = requireText(metricsPath, "metricsPath");
            return this;
        }

        public Builder httpMetricsEnabled(boolean v) {
            this.httpMetricsEnabled = v;
            return this;
        }

        public Builder businessMetricsEnabled(boolean v) {
            this.businessMetricsEnabled = v;
            return this;
        }

        public Builder databaseMetricsEnabled(boolean v) {
            this.databaseMetricsEnabled = v;
            return this;
        }

        public Builder metricsCollectionInterval(Duration v) {
            this.metricsCollectionInterval = Objects.requireNonNull(v);
            return this;
        }

        public Builder logLevel(String v) {
            this.logLevel = requireText(v, "logLevel");
            return this;
        }

        public Builder logFormat(LogFormat v) {
            this.logFormat = Objects.requireNonNull(v);
            return this;
        }

        public Builder structuredLoggingEnabled(boolean v) {
            this.structuredLoggingEnabled = v;
            return this;
        }

        public Builder lokiEnabled(boolean v) {
            this.lokiEnabled = v;
            return this;
        }

        public Builder lokiUrl(URI v) {
            this.lokiUrl = Objects.requireNonNull(v);
            return this;
        }

        /** Extra static Loki stream labels (on top of service, environment and level). */
        public Builder lokiLabels(Map<String, String> v) {
            this.lokiLabels = new LinkedHashMap<>(v);
            return this;
        }

        public Builder lokiBatchInterval(Duration v) {
            this.lokiBatchInterval = Objects.requireNonNull(v);
            return this;
        }

        public Builder lokiTimeout(Duration v) {
            this.lokiTimeout = Objects.requireNonNull(v);
            return this;
        }

        public Builder minLogLevelForLoki(String v) {
            this.minLogLevelForLoki = requireText(v, "minLogLevelForLoki");
            return this;
        }

        public Builder profilingEnabled(boolean v) {
            this.profilingEnabled = v;
            return this;
        }

        public Builder pyroscopeServerAddress(URI v) {
            this.pyroscopeServerAddress = Objects.requireNonNull(v);
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
         * Reads environment variables on top of the values set so far (which act as defaults) and
         * builds the configuration.
         */
        public VigilConfig buildFromEnvironment(Map<String, String> env) {
            return EnvironmentConfigReader.read(env, this);
        }

        public VigilConfig build() {
            OtlpProtocol protocol = otlpProtocol != null
                    ? otlpProtocol
                    : (otlpEndpoint != null && otlpEndpoint.getPort() == 4317
                            ? OtlpProtocol.GRPC
                            : OtlpProtocol.HTTP_PROTOBUF);
            return new VigilConfig(
                    enabled,
                    serviceName,
                    serviceVersion,
                    environment,
                    tracingEnabled,
                    Optional.ofNullable(otlpEndpoint),
                    protocol,
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

        private static String requireText(String v, String name) {
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return v.strip();
        }
    }
}
