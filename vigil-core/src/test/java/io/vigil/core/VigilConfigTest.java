package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VigilConfigTest {

    @Test
    void defaultsFollowTheContract() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of());
        assertThat(c.enabled()).isTrue();
        // Tests run from classes, not a jar with an Implementation-Title: OpenTelemetry's default.
        assertThat(c.serviceName()).isEqualTo("unknown_service:java");
        assertThat(c.environment()).isEqualTo("development");
        assertThat(c.tracingEnabled()).isTrue();
        assertThat(c.otlpEndpoint()).isEmpty();
        assertThat(c.traceSampleRate()).isEqualTo(1.0);
        assertThat(c.traceConsoleExport()).isFalse();
        assertThat(c.metricsEnabled()).isTrue();
        assertThat(c.metricsPath()).isEqualTo("/metrics");
        assertThat(c.httpMetricsEnabled()).isTrue();
        assertThat(c.businessMetricsEnabled()).isTrue();
        assertThat(c.databaseMetricsEnabled()).isTrue();
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.logLevel()).isEqualTo(LogLevel.INFO);
        assertThat(c.logFormat()).isEqualTo(LogFormat.JSON);
        assertThat(c.structuredLoggingEnabled()).isTrue();
        assertThat(c.lokiEnabled()).isFalse();
        assertThat(c.lokiUrl()).isEqualTo(URI.create("http://localhost:3100"));
        assertThat(c.lokiBatchInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.lokiTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.minLogLevelForLoki()).isEqualTo(LogLevel.INFO);
        assertThat(c.profilingEnabled()).isFalse();
        assertThat(c.pyroscopeServerAddress()).isEqualTo(URI.create("http://localhost:4040"));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void readsEverySeedVariable() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.ofEntries(
                Map.entry("ENABLE_OBSERVABILITY", "true"),
                Map.entry("SERVICE_NAME", "orders"),
                Map.entry("SERVICE_VERSION", "2.3.4"),
                Map.entry("DEPLOYMENT_ENVIRONMENT", "production"),
                Map.entry("TRACING_ENABLED", "false"),
                Map.entry("TEMPO_ENDPOINT", "http://tempo:4317"),
                Map.entry("TRACE_SAMPLE_RATE", "0.25"),
                Map.entry("ENABLE_TRACE_CONSOLE_EXPORT", "true"),
                Map.entry("METRICS_ENABLED", "false"),
                Map.entry("METRICS_ENDPOINT", "/internal/metrics"),
                Map.entry("ENABLE_HTTP_METRICS", "false"),
                Map.entry("ENABLE_BUSINESS_METRICS", "0"),
                Map.entry("ENABLE_DATABASE_METRICS", "no"),
                Map.entry("METRICS_COLLECTION_INTERVAL", "15"),
                Map.entry("LOG_LEVEL", "warning"),
                Map.entry("LOG_FORMAT", "text"),
                Map.entry("STRUCTURED_LOGGING_ENABLED", "false"),
                Map.entry("LOKI_ENABLED", "true"),
                Map.entry("LOKI_URL", "http://loki:3100"),
                Map.entry("LOKI_LABELS", "team=identity,region=eu"),
                Map.entry("LOKI_BATCH_INTERVAL", "5"),
                Map.entry("LOKI_TIMEOUT", "2.5"),
                Map.entry("MIN_LOG_LEVEL_FOR_LOKI", "ERROR"),
                Map.entry("PROFILING_ENABLED", "true"),
                Map.entry("PYROSCOPE_SERVER_ADDRESS", "http://pyroscope:4040")));

        assertThat(c.serviceName()).isEqualTo("orders");
        assertThat(c.serviceVersion()).isEqualTo("2.3.4");
        assertThat(c.environment()).isEqualTo("production");
        assertThat(c.tracingEnabled()).isFalse();
        assertThat(c.otlpEndpoint()).contains(URI.create("http://tempo:4317"));
        assertThat(c.otlpProtocol()).isEqualTo(OtlpProtocol.GRPC);
        assertThat(c.traceSampleRate()).isEqualTo(0.25);
        assertThat(c.traceConsoleExport()).isTrue();
        assertThat(c.metricsEnabled()).isFalse();
        assertThat(c.metricsPath()).isEqualTo("/internal/metrics");
        assertThat(c.httpMetricsEnabled()).isFalse();
        assertThat(c.businessMetricsEnabled()).isFalse();
        assertThat(c.databaseMetricsEnabled()).isFalse();
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.logLevel()).isEqualTo(LogLevel.WARN);
        assertThat(c.logFormat()).isEqualTo(LogFormat.TEXT);
        assertThat(c.structuredLoggingEnabled()).isFalse();
        assertThat(c.lokiEnabled()).isTrue();
        assertThat(c.lokiUrl()).isEqualTo(URI.create("http://loki:3100"));
        assertThat(c.lokiLabels()).containsExactly(Map.entry("team", "identity"), Map.entry("region", "eu"));
        assertThat(c.lokiBatchInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.lokiTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.minLogLevelForLoki()).isEqualTo(LogLevel.ERROR);
        assertThat(c.profilingEnabled()).isTrue();
        assertThat(c.pyroscopeServerAddress()).isEqualTo(URI.create("http://pyroscope:4040"));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void aliasesAreHonoured() {
        VigilConfig c = VigilConfig.fromEnvironment(
                Map.of("ENVIRONMENT", "staging", "TRACING_SAMPLE_RATE", "0.5", "TEMPO_ENDPOINT", "http://tempo:4318"));
        assertThat(c.environment()).isEqualTo("staging");
        assertThat(c.traceSampleRate()).isEqualTo(0.5);
        assertThat(c.otlpEndpoint()).contains(URI.create("http://tempo:4318"));
    }

    @Test
    void standardOtelVariablesWinOverAliases() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of(
                "SERVICE_NAME", "alias-name",
                "OTEL_SERVICE_NAME", "otel-name",
                "TEMPO_ENDPOINT", "http://tempo:4317",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "TRACE_SAMPLE_RATE", "0.5",
                "OTEL_TRACES_SAMPLER_ARG", "0.1",
                "METRICS_COLLECTION_INTERVAL", "30",
                "OTEL_METRIC_EXPORT_INTERVAL", "5000",
                "DEPLOYMENT_ENVIRONMENT", "staging",
                "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod,service.version=9.9"));
        assertThat(c.serviceName()).isEqualTo("otel-name");
        assertThat(c.otlpEndpoint()).contains(URI.create("http://collector:4318"));
        assertThat(c.traceSampleRate()).isEqualTo(0.1);
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.environment()).isEqualTo("prod");
        assertThat(c.serviceVersion()).isEqualTo("9.9");
    }

    @Test
    void explicitProtocolWinsOverThePortRule() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://collector:4317",
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "http/protobuf"));
        assertThat(c.otlpProtocol()).isEqualTo(OtlpProtocol.HTTP_PROTOBUF);
    }

    @Test
    void otelSdkDisabledSwitchesEverythingOff() {
        assertThat(VigilConfig.fromEnvironment(Map.of("OTEL_SDK_DISABLED", "true"))
                        .enabled())
                .isFalse();
        assertThat(VigilConfig.fromEnvironment(Map.of("ENABLE_OBSERVABILITY", "false"))
                        .enabled())
                .isFalse();
    }

    @Test
    void otelVariablesPassThroughAsSdkProperties() {
        VigilConfig c = VigilConfig.fromEnvironment(
                Map.of("OTEL_BSP_MAX_QUEUE_SIZE", "512", "OTEL_EXPORTER_OTLP_HEADERS", "x=y", "PATH", "/bin"));
        assertThat(c.otelProperties())
                .containsEntry("otel.bsp.max.queue.size", "512")
                .containsEntry("otel.exporter.otlp.headers", "x=y")
                .hasSize(2);
    }

    @Test
    void badValuesFallBackToDefaultsWithOneWarningEach() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.ofEntries(
                Map.entry("TRACE_SAMPLE_RATE", "1.7"),
                Map.entry("TRACING_ENABLED", "maybe"),
                Map.entry("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"),
                Map.entry("OTEL_EXPORTER_OTLP_PROTOCOL", "ftp"),
                Map.entry("METRICS_COLLECTION_INTERVAL", "-3"),
                Map.entry("METRICS_ENDPOINT", "metrics"),
                Map.entry("LOG_LEVEL", "LOUD"),
                Map.entry("LOG_FORMAT", "xml"),
                Map.entry("LOKI_URL", "loki:3100"),
                Map.entry("LOKI_LABELS", "ok=1,bad-name=2,novalue"),
                Map.entry("LOKI_TIMEOUT", "soon")));

        assertThat(c.traceSampleRate()).isEqualTo(1.0);
        assertThat(c.tracingEnabled()).isTrue();
        assertThat(c.otlpEndpoint()).isEmpty();
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.metricsPath()).isEqualTo("/metrics");
        assertThat(c.logLevel()).isEqualTo(LogLevel.INFO);
        assertThat(c.logFormat()).isEqualTo(LogFormat.JSON);
        assertThat(c.lokiUrl()).isEqualTo(URI.create("http://localhost:3100"));
        assertThat(c.lokiLabels()).containsExactly(Map.entry("ok", "1"));
        assertThat(c.lokiTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.warnings())
                .hasSize(12)
                .contains(
                        "TRACE_SAMPLE_RATE='1.7' is not a number within 0.0–1.0; using 1.0",
                        "TRACING_ENABLED='maybe' is not a boolean (true/false, 1/0, yes/no, on/off); using true",
                        "OTEL_EXPORTER_OTLP_ENDPOINT='not a url' is not an http(s)://host[:port] URL; using no OTLP export",
                        "OTEL_EXPORTER_OTLP_PROTOCOL='ftp' is not a supported protocol (grpc, http/protobuf); using the one the endpoint's port implies (grpc on 4317, else http/protobuf)",
                        "LOG_LEVEL='LOUD' is not a log level (TRACE, DEBUG, INFO, WARN, ERROR, OFF); using INFO");
    }

    @Test
    void lokiLabelsNamingALabelVigilSetsAreReportedNotDroppedSilently() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of("LOKI_LABELS", "team=id,level=debug,service=x"));
        assertThat(c.lokiLabels()).containsExactly(Map.entry("team", "id"));
        assertThat(c.warnings())
                .hasSize(2)
                .allSatisfy(w -> assertThat(w)
                        .startsWith("LOKI_LABELS")
                        .contains("names a label Vigil sets itself (service, environment, level)"))
                .anySatisfy(w -> assertThat(w).contains("level=debug"))
                .anySatisfy(w -> assertThat(w).contains("service=x"));
    }

    @Test
    void aBadEntryOfALabelListIsOneWarningThatSaysTheOthersApply() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of("LOKI_LABELS", "team=id,=c,d"));
        assertThat(c.lokiLabels()).containsExactly(Map.entry("team", "id"));
        assertThat(c.warnings())
                .containsExactly(
                        "LOKI_LABELS='=c' is not name=value with a Prometheus label name; that entry is ignored, the"
                                + " others apply",
                        "LOKI_LABELS='d' is not name=value with a Prometheus label name; that entry is ignored, the"
                                + " others apply");
    }

    @Test
    void zeroSecondsIsRefusedWithAMessageThatDoesNotIncludeIt() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of("LOKI_BATCH_INTERVAL", "0"));
        assertThat(c.warnings())
                .containsExactly(
                        "LOKI_BATCH_INTERVAL='0' is not a number of seconds above 0 and at most 86400 (a day); using 60s");
    }

    @Test
    void aSignalsOwnOtlpEndpointExportsThatSignalWithOrWithoutTheGeneralOne() {
        VigilConfig alone = VigilConfig.fromEnvironment(
                Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/v1/traces"));
        assertThat(alone.warnings()).isEmpty();
        assertThat(alone.otlpEndpoint()).isEmpty();
        assertThat(alone.otlpEndpoint(OtlpSignal.TRACES)).contains(URI.create("http://tempo:4318/v1/traces"));
        assertThat(alone.otlpEndpoint(OtlpSignal.METRICS)).isEmpty();
        assertThat(alone.otlpExportEnabled()).isTrue();
        assertThat(alone.otlpExportEnabled(OtlpSignal.LOGS)).isFalse();
        assertThat(alone.summary()).contains("traces[otlp http/protobuf http://tempo:4318/v1/traces");
        assertThat(io.vigil.core.internal.SdkFactory.properties(alone))
                .containsEntry("otel.traces.exporter", "otlp")
                .containsEntry("otel.metrics.exporter", "none")
                .containsEntry("otel.logs.exporter", "none")
                .containsEntry("otel.exporter.otlp.traces.endpoint", "http://tempo:4318/v1/traces")
                .doesNotContainKey("otel.exporter.otlp.endpoint");

        VigilConfig refined = VigilConfig.fromEnvironment(Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4318/v1/logs"));
        assertThat(refined.warnings()).isEmpty();
        assertThat(refined.otlpEndpoint(OtlpSignal.LOGS)).contains(URI.create("http://logs:4318/v1/logs"));
        assertThat(refined.otlpEndpoint(OtlpSignal.TRACES)).contains(URI.create("http://collector:4318"));

        VigilConfig bad = VigilConfig.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector:4318"));
        assertThat(bad.warnings())
                .containsExactly("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT='collector:4318' is not an http(s)://host[:port]"
                        + " URL; using OTEL_EXPORTER_OTLP_ENDPOINT's");
        assertThat(bad.otlpExportEnabled()).isFalse();
        assertThat(bad.otelProperties()).doesNotContainKey("otel.exporter.otlp.metrics.endpoint");
    }

    @Test
    void pyroscopeServerAddressAcceptsAFileDirectoryForLocalProfiles() {
        VigilConfig absolute = VigilConfig.fromEnvironment(Map.of("PYROSCOPE_SERVER_ADDRESS", "file:///var/profiles"));
        VigilConfig relative = VigilConfig.fromEnvironment(Map.of("PYROSCOPE_SERVER_ADDRESS", "file:profiles"));
        VigilConfig empty = VigilConfig.fromEnvironment(Map.of("PYROSCOPE_SERVER_ADDRESS", "file:"));

        assertThat(absolute.pyroscopeServerAddress()).isEqualTo(URI.create("file:///var/profiles"));
        assertThat(relative.pyroscopeServerAddress()).isEqualTo(URI.create("file:profiles"));
        assertThat(absolute.warnings()).isEmpty();
        assertThat(empty.pyroscopeServerAddress()).isEqualTo(URI.create("http://localhost:4040"));
        assertThat(empty.warnings()).hasSize(1);
    }

    @Test
    void echoedValuesAreShortenedAndFreeOfControlCharacters() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of("LOG_FORMAT", "x\n".repeat(100)));
        assertThat(c.warnings()).singleElement().satisfies(w -> {
            assertThat(w).doesNotContain("\n");
            assertThat(w.length()).isLessThan(200);
        });
    }

    @Test
    void summaryNamesTheEffectiveSettings() {
        VigilConfig c = VigilConfig.fromEnvironment(Map.of(
                "SERVICE_NAME",
                "orders",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://collector:4317",
                "TRACE_SAMPLE_RATE",
                "0.5"));
        assertThat(c.summary())
                .contains("service=orders")
                .contains("environment=development")
                .contains("otlp grpc http://collector:4317")
                .contains("sample 0.5")
                .contains("prometheus /metrics");
        assertThat(VigilConfig.fromEnvironment(Map.of("ENABLE_OBSERVABILITY", "false"))
                        .summary())
                .contains("disabled");
        assertThat(c.summary()).contains("logs[json INFO]");
        // Loki and the profiler are installed by vigil-logback and vigil-profiling, which report them: set alone, the
        // variables are no reason for vigil-core's summary to claim them.
        assertThat(VigilConfig.fromEnvironment(Map.of("LOKI_ENABLED", "true", "PROFILING_ENABLED", "true"))
                        .summary())
                .contains("logs[json INFO]")
                .doesNotContainIgnoringCase("loki")
                .doesNotContainIgnoringCase("profiling");
        // the lines are text then (VigilLogging), and the summary said json
        assertThat(VigilConfig.fromEnvironment(Map.of("STRUCTURED_LOGGING_ENABLED", "false"))
                        .summary())
                .contains("logs[text INFO]");
        // a sampler of OTEL_TRACES_SAMPLER other than a ratio is what samples: the summary said "sample 1.0"
        assertThat(VigilConfig.fromEnvironment(Map.of("OTEL_TRACES_SAMPLER", "always_off"))
                        .summary())
                .contains("traces[no otlp export, sampler always_off]")
                .doesNotContain("sample 1.0");
        assertThat(VigilConfig.fromEnvironment(
                                Map.of("OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "0.25"))
                        .summary())
                .contains("sample 0.25");
    }

    @Test
    void builderDefaultsYieldToTheEnvironment() {
        VigilConfig c = VigilConfig.builder()
                .serviceName("orders")
                .serviceVersion("1.0.0")
                .buildFromEnvironment(Map.of("SERVICE_VERSION", "1.0.1"));
        assertThat(c.serviceName()).isEqualTo("orders");
        assertThat(c.serviceVersion()).isEqualTo("1.0.1");
    }

    /** A builder with a non-default value for every variable type. */
    private static VigilConfig.Builder customised() {
        return VigilConfig.builder()
                .enabled(false) // boolean
                .serviceName("orders") // string
                .otlpEndpoint(URI.create("http://collector:4318")) // URI
                .logFormat(LogFormat.TEXT) // enum
                .traceSampleRate(0.25) // double rate
                .metricsCollectionInterval(Duration.ofSeconds(5)) // duration
                .lokiLabels(Map.of("team", "payments")) // map/labels
                .logLevel(LogLevel.DEBUG) // level
                .minLogLevelForLoki(LogLevel.WARN)
                .pyroscopeServerAddress(URI.create("file:/var/profiles"));
    }

    @Test
    void builderValuesAreDefaultsTheEnvironmentDoesNotTouchWhenUnset() {
        VigilConfig c = customised().buildFromEnvironment(Map.of("PATH", "/bin"));

        assertThat(c.enabled()).isFalse();
        assertThat(c.serviceName()).isEqualTo("orders");
        assertThat(c.otlpEndpoint()).contains(URI.create("http://collector:4318"));
        assertThat(c.logFormat()).isEqualTo(LogFormat.TEXT);
        assertThat(c.traceSampleRate()).isEqualTo(0.25);
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.lokiLabels()).containsExactly(Map.entry("team", "payments"));
        assertThat(c.logLevel()).isEqualTo(LogLevel.DEBUG);
        assertThat(c.minLogLevelForLoki()).isEqualTo(LogLevel.WARN);
        assertThat(c.pyroscopeServerAddress()).isEqualTo(URI.create("file:/var/profiles"));
        assertThat(c.warnings()).isEmpty();
        assertThat(c).isEqualTo(customised().build());
    }

    @Test
    void theEnvironmentOverridesBuilderValuesOfEveryType() {
        VigilConfig c = customised()
                .buildFromEnvironment(Map.ofEntries(
                        Map.entry("ENABLE_OBSERVABILITY", "true"),
                        Map.entry("SERVICE_NAME", "billing"),
                        Map.entry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4317"),
                        Map.entry("LOG_FORMAT", "json"),
                        Map.entry("TRACE_SAMPLE_RATE", "0.5"),
                        Map.entry("METRICS_COLLECTION_INTERVAL", "30"),
                        Map.entry("LOKI_LABELS", "team=billing,region=eu"),
                        Map.entry("LOG_LEVEL", "error"),
                        Map.entry("MIN_LOG_LEVEL_FOR_LOKI", "info"),
                        Map.entry("PYROSCOPE_SERVER_ADDRESS", "http://pyroscope:4040")));

        assertThat(c.enabled()).isTrue();
        assertThat(c.serviceName()).isEqualTo("billing");
        assertThat(c.otlpEndpoint()).contains(URI.create("http://other:4317"));
        assertThat(c.otlpProtocol()).isEqualTo(OtlpProtocol.GRPC); // the port rule applies to the new endpoint
        assertThat(c.logFormat()).isEqualTo(LogFormat.JSON);
        assertThat(c.traceSampleRate()).isEqualTo(0.5);
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.lokiLabels()).containsExactly(Map.entry("team", "billing"), Map.entry("region", "eu"));
        assertThat(c.logLevel()).isEqualTo(LogLevel.ERROR);
        assertThat(c.minLogLevelForLoki()).isEqualTo(LogLevel.INFO);
        assertThat(c.pyroscopeServerAddress()).isEqualTo(URI.create("http://pyroscope:4040"));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void aBadValueKeepsTheBuilderValueAndSaysSo() {
        VigilConfig c = customised()
                .buildFromEnvironment(Map.of(
                        "ENABLE_OBSERVABILITY", "perhaps",
                        "TRACE_SAMPLE_RATE", "2",
                        "METRICS_COLLECTION_INTERVAL", "never",
                        "LOG_LEVEL", "LOUD",
                        "LOG_FORMAT", "xml",
                        "OTEL_EXPORTER_OTLP_ENDPOINT", "nowhere"));

        assertThat(c.enabled()).isFalse();
        assertThat(c.traceSampleRate()).isEqualTo(0.25);
        assertThat(c.metricsCollectionInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.logLevel()).isEqualTo(LogLevel.DEBUG);
        assertThat(c.logFormat()).isEqualTo(LogFormat.TEXT);
        assertThat(c.otlpEndpoint()).contains(URI.create("http://collector:4318"));
        assertThat(c.warnings())
                .containsExactlyInAnyOrder(
                        "ENABLE_OBSERVABILITY='perhaps' is not a boolean (true/false, 1/0, yes/no, on/off); using false",
                        "TRACE_SAMPLE_RATE='2' is not a number within 0.0–1.0; using 0.25",
                        "METRICS_COLLECTION_INTERVAL='never' is not a number of seconds above 0 and at most 86400 (a day); using 5s",
                        "LOG_LEVEL='LOUD' is not a log level (TRACE, DEBUG, INFO, WARN, ERROR, OFF); using DEBUG",
                        "LOG_FORMAT='xml' is neither json nor text; using text",
                        "OTEL_EXPORTER_OTLP_ENDPOINT='nowhere' is not an http(s)://host[:port] URL; using http://collector:4318");
    }

    @Test
    void aValueObjectWithEqualityAndARoundTripThroughItsBuilder() {
        VigilConfig c = customised().build();
        assertThat(c.toBuilder().build()).isEqualTo(c).hasSameHashCodeAs(c);
        assertThat(c.toBuilder().serviceName("other").build()).isNotEqualTo(c);
        assertThat(c.toString()).contains("serviceName=orders", "logLevel=DEBUG");
    }
}
