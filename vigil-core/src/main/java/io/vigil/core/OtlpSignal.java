package io.vigil.core;

/** A signal exported over OTLP, each of which may have an endpoint of its own ({@code OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT}). */
public enum OtlpSignal {
    /** Spans. */
    TRACES("traces"),
    /** Metric points. */
    METRICS("metrics"),
    /** Log records. */
    LOGS("logs");

    private final String otelName;

    OtlpSignal(String otelName) {
        this.otelName = otelName;
    }

    /** OpenTelemetry's name for the signal, as in {@code otel.exporter.otlp.traces.endpoint}. */
    public String otelName() {
        return otelName;
    }

    /** The SDK property of this signal's own endpoint, {@code otel.exporter.otlp.<signal>.endpoint}. */
    public String endpointProperty() {
        return "otel.exporter.otlp." + otelName + ".endpoint";
    }
}
