package io.vigil.core;

/** Wire protocol of the OTLP exporters. */
public enum OtlpProtocol {
    /** OTLP over gRPC, conventionally port 4317. */
    GRPC("grpc"),
    /** OTLP protobuf over HTTP, conventionally port 4318. */
    HTTP_PROTOBUF("http/protobuf");

    private final String otelName;

    OtlpProtocol(String otelName) {
        this.otelName = otelName;
    }

    /** The value OpenTelemetry's {@code OTEL_EXPORTER_OTLP_PROTOCOL} uses for this protocol. */
    public String otelName() {
        return otelName;
    }
}
