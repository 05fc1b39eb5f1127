package io.vigil.core.internal;

import io.vigil.core.LogFormat;
import io.vigil.core.OtlpProtocol;
import io.vigil.core.VigilConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@link VigilConfig} from environment variables, as section 1 of the telemetry contract
 * lists them. Every bad value becomes one warning and the default; nothing here throws.
 */
public final class EnvironmentConfigReader {
    private static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern METRICS_PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");
    private static final int MAX_ECHOED_VALUE = 80;

    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();

    private EnvironmentConfigReader(Map<String, String> env) {
        this.env = env;
    }

    /** Reads {@code env} into {@code builder} and builds the configuration. */
    public static VigilConfig read(Map<String, String> env, VigilConfig.Builder builder) {
        return new EnvironmentConfigReader(env).readInto(builder);
    }

    private VigilConfig readInto(VigilConfig.Builder b) {
        Map<String, String> otelProperties = otelProperties();
        Map<String, String> resourceAttributes = resourceAttributes(get("OTEL_RESOURCE_ATTRIBUTES"));

        boolean enabled = bool("ENABLE_OBSERVABILITY", true);
        if (bool("OTEL_SDK_DISABLED", false)) {
            enabled = false;
        }
        b.enabled(enabled);
        text(b::serviceName, "OTEL_SERVICE_NAME", "SERVICE_NAME");
        if (resourceAttributes.containsKey("service.name") && get("OTEL_SERVICE_NAME") == null) {
            b.serviceName(resourceAttributes.get("service.name"));
        }
        text(b::serviceVersion, "SERVICE_VERSION");
        if (resourceAttributes.containsKey("service.version")) {
            b.serviceVersion(resourceAttributes.get("service.version"));
        }
        text(b::environment, "DEPLOYMENT_ENVIRONMENT", "ENVIRONMENT");
        if (resourceAttributes.containsKey("deployment.environment.name")) {
            b.environment(resourceAttributes.get("deployment.environment.name"));
        }

        b.tracingEnabled(bool("TRACING_ENABLED", true));
        String endpointVar = first("OTEL_EXPORTER_OTLP_ENDPOINT", "TEMPO_ENDPOINT");
        if (endpointVar != null) {
            b.otlpEndpoint(httpUri(endpointVar, null, "no OTLP export"));
        }
        String protocol = get("OTEL_EXPORTER_OTLP_PROTOCOL");
        if (protocol != null) {
            switch (protocol.strip().toLowerCase(Locale.ROOT)) {
                case "grpc" -> b.otlpProtocol(OtlpProtocol.GRPC);
                case "http/protobuf" -> b.otlpProtocol(OtlpProtocol.HTTP_PROTOBUF);
                default ->
                    warn(
                            "OTEL_EXPORTER_OTLP_PROTOCOL",
                            protocol,
                            "is not a supported protocol (grpc, http/protobuf)",
                            "chosen by port");
            }
        }
        String sampler = get("OTEL_TRACES_SAMPLER");
        boolean ratioSampler = sampler == null || sampler.strip().endsWith("traceidratio");
        String rateVar = ratioSampler
                ? first("OTEL_TRACES_SAMPLER_ARG", "TRACE_SAMPLE_RATE", "TRACING_SAMPLE_RATE")
                : first("TRACE_SAMPLE_RATE", "TRACING_SAMPLE_RATE");
        if (rateVar != null) {
            b.traceSampleRate(ratio(rateVar, 1.0));
        }
        b.traceConsoleExport(bool("ENABLE_TRACE_CONSOLE_EXPORT", false));

        b.metricsEnabled(bool("METRICS_ENABLED", true));
        String path = get("METRICS_ENDPOINT");
        if (path != null) {
            if (METRICS_PATH.matcher(path.strip()).matches()) {
                b.metricsPath(path.strip());
            } else {
                warn("METRICS_ENDPOINT", path, "is not a URL path starting with '/'", "/metrics");
            }
        }
        b.httpMetricsEnabled(bool("ENABLE_HTTP_METRICS", true));
        b.businessMetricsEnabled(bool("ENABLE_BUSINESS_METRICS", true));
        b.databaseMetricsEnabled(bool("ENABLE_DATABASE_METRICS", true));
        if (get("OTEL_METRIC_EXPORT_INTERVAL") != null) {
            b.metricsCollectionInterval(millis("OTEL_METRIC_EXPORT_INTERVAL", Duration.ofSeconds(60)));
        } else {
            b.metricsCollectionInterval(seconds("METRICS_COLLECTION_INTERVAL", Duration.ofSeconds(60)));
        }

        b.logLevel(level("LOG_LEVEL", "INFO"));
        String format = get("LOG_FORMAT");
        if (format != null) {
            switch (format.strip().toLowerCase(Locale.ROOT)) {
                case "json" -> b.logFormat(LogFormat.JSON);
                case "text" -> b.logFormat(LogFormat.TEXT);
                default -> warn("LOG_FORMAT", format, "is neither json nor text", "json");
            }
        }
        b.structuredLoggingEnabled(bool("STRUCTURED_LOGGING_ENABLED", true));

        b.lokiEnabled(bool("LOKI_ENABLED", false));
        String lokiUrl = get("LOKI_URL");
        if (lokiUrl != null) {
            URI uri = httpUri("LOKI_URL", URI.create("http://localhost:3100"), "http://localhost:3100");
            b.lokiUrl(uri);
        }
        b.lokiLabels(labels(get("LOKI_LABELS")));
        b.lokiBatchInterval(seconds("LOKI_BATCH_INTERVAL", Duration.ofSeconds(60)));
        b.lokiTimeout(seconds("LOKI_TIMEOUT", Duration.ofSeconds(10)));
        b.minLogLevelForLoki(level("MIN_LOG_LEVEL_FOR_LOKI", "INFO"));

        b.profilingEnabled(bool("PROFILING_ENABLED", false));
        String pyroscope = get("PYROSCOPE_SERVER_ADDRESS");
        if (pyroscope != null) {
            // file:<dir> means "no server: write profiles as JFR files there" (vigil-profiling).
            URI dir = fileUri(pyroscope);
            b.pyroscopeServerAddress(
                    dir != null
                            ? dir
                            : httpUri(
                                    "PYROSCOPE_SERVER_ADDRESS",
                                    URI.create("http://localhost:4040"),
                                    "http://localhost:4040"));
        }

        b.otelProperties(otelProperties);
        b.warnings(warnings);
        return b.build();
    }

    /** Every {@code OTEL_*} variable as the SDK property it stands for ({@code otel.foo.bar}). */
    private Map<String, String> otelProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        env.entrySet().stream()
                .filter(e -> e.getKey().startsWith("OTEL_")
                        && e.getValue() != null
                        && !e.getValue().isBlank())
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> props.put(
                        e.getKey().toLowerCase(Locale.ROOT).replace('_', '.'),
                        e.getValue().strip()));
        return props;
    }

    private Map<String, String> resourceAttributes(String raw) {
        Map<String, String> attrs = new LinkedHashMap<>();
        if (raw == null) {
            return attrs;
        }
        for (String pair : raw.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && eq < pair.length() - 1) {
                attrs.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
        }
        return attrs;
    }

    private String get(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    /** The name of the first variable that is set, in order of precedence. */
    private String first(String... names) {
        for (String n : names) {
            if (get(n) != null) {
                return n;
            }
        }
        return null;
    }

    private void text(java.util.function.Consumer<String> setter, String... names) {
        String name = first(names);
        if (name != null) {
            setter.accept(get(name).strip());
        }
    }

    private boolean bool(String name, boolean def) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> {
                return true;
            }
            case "false", "0", "no", "off" -> {
                return false;
            }
            default -> {
                warn(name, v, "is not a boolean (true/false)", String.valueOf(def));
                return def;
            }
        }
    }

    private double ratio(String name, double def) {
        String v = get(name);
        try {
            double d = Double.parseDouble(v.strip());
            if (d >= 0.0 && d <= 1.0) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        warn(name, v, "is not a number within 0.0–1.0", String.valueOf(def));
        return def;
    }

    private Duration seconds(String name, Duration def) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        try {
            double s = Double.parseDouble(v.strip());
            if (s > 0 && s <= 86_400) {
                return Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        warn(name, v, "is not a number of seconds between 0 and 86400", def.toSeconds() + "s");
        return def;
    }

    private Duration millis(String name, Duration def) {
        String v = get(name);
        try {
            long ms = Long.parseLong(v.strip());
            if (ms > 0) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        warn(name, v, "is not a positive number of milliseconds", def.toMillis() + "ms");
        return def;
    }

    private String level(String name, String def) {
        String v = get(name);
        if (v == null) {
            return def;
        }
        String upper = v.strip().toUpperCase(Locale.ROOT);
        String normalized = switch (upper) {
            case "WARNING" -> "WARN";
            case "CRITICAL", "FATAL" -> "ERROR";
            default -> upper;
        };
        if (LOG_LEVELS.contains(normalized)) {
            return normalized;
        }
        warn(name, v, "is not a log level (TRACE, DEBUG, INFO, WARN, ERROR, OFF)", def);
        return def;
    }

    private URI httpUri(String name, URI def, String fallbackText) {
        String v = get(name);
        try {
            URI uri = new URI(v.strip());
            String scheme = uri.getScheme();
            if (("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                    && uri.getHost() != null
                    && uri.getRawQuery() == null
                    && uri.getRawFragment() == null) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        warn(name, v, "is not an http(s)://host[:port] URL", fallbackText);
        return def;
    }

    /** A {@code file:} URI naming a directory ({@code file:///abs/dir} or {@code file:rel/dir}), else null. */
    private static URI fileUri(String raw) {
        try {
            URI uri = new URI(raw.strip());
            String path = uri.isOpaque() ? uri.getSchemeSpecificPart() : uri.getPath();
            return "file".equalsIgnoreCase(uri.getScheme()) && path != null && !path.isBlank() ? uri : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private Map<String, String> labels(String raw) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (raw == null) {
            return labels;
        }
        for (String pair : raw.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq > 0 ? pair.substring(0, eq).strip() : "";
            String value = eq > 0 ? pair.substring(eq + 1).strip() : "";
            if (LABEL_NAME.matcher(key).matches() && !value.isEmpty()) {
                labels.put(key, value);
            } else {
                warn("LOKI_LABELS", pair, "entry is not name=value with a Prometheus label name", "entry ignored");
            }
        }
        return labels;
    }

    private void warn(String name, String value, String problem, String fallback) {
        warnings.add(name + "=" + echo(value) + " " + problem + "; using " + fallback);
    }

    /** Values are echoed for the operator, shortened and stripped of control characters. */
    private static String echo(String value) {
        String clean = value.replaceAll("\\p{Cntrl}", "?");
        if (clean.length() > MAX_ECHOED_VALUE) {
            clean = clean.substring(0, MAX_ECHOED_VALUE) + "…";
        }
        return "'" + clean + "'";
    }
}
