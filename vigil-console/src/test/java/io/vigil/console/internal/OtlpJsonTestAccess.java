package io.vigil.console.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.nio.charset.StandardCharsets;

/** Test access to the OTLP/JSON parser: the same request as protobuf. */
public final class OtlpJsonTestAccess {
    private OtlpJsonTestAccess() {}

    public static ExportTraceServiceRequest traces(String json) throws InvalidProtocolBufferException {
        return (ExportTraceServiceRequest)
                OtlpJson.parse(new ObjectMapper(), Signal.TRACES, json.getBytes(StandardCharsets.UTF_8));
    }
}
