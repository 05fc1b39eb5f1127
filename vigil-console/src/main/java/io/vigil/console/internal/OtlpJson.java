package io.vigil.console.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * OTLP/JSON. It is the protobuf JSON mapping with one exception the generic parser does not know: trace and span ids
 * are hex strings, not base64. Ids are rewritten before handing the document to {@link JsonFormat}.
 */
final class OtlpJson {
    private static final Set<String> ID_FIELDS = Set.of("traceId", "spanId", "parentSpanId");
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private OtlpJson() {}

    static Message parse(ObjectMapper mapper, Signal signal, byte[] body) throws InvalidProtocolBufferException {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (IOException e) {
            throw new InvalidProtocolBufferException("not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidProtocolBufferException("an OTLP/JSON request is a JSON object");
        }
        Message.Builder builder = switch (signal) {
            case TRACES -> ExportTraceServiceRequest.newBuilder();
            case LOGS -> ExportLogsServiceRequest.newBuilder();
            case METRICS -> ExportMetricsServiceRequest.newBuilder();
        };
        try {
            rewriteIds(root);
            PARSER.merge(mapper.writeValueAsString(root), builder);
        } catch (JsonProcessingException e) {
            throw new InvalidProtocolBufferException(e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new InvalidProtocolBufferException(e.getMessage());
        }
        return builder.build();
    }

    private static void rewriteIds(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Map.Entry<String, JsonNode> e : object.properties()) {
                if (ID_FIELDS.contains(e.getKey()) && e.getValue().isTextual()) {
                    e.setValue(new TextNode(hexToBase64(e.getKey(), e.getValue().asText())));
                } else {
                    rewriteIds(e.getValue());
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (JsonNode child : array) {
                rewriteIds(child);
            }
        }
    }

    private static String hexToBase64(String field, String hex) throws IllegalArgumentException {
        if (hex.isEmpty()) {
            return "";
        }
        try {
            return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is not a hex string", e);
        }
    }

    /** The JSON form of an (empty) export response. */
    static String print(Message message) throws InvalidProtocolBufferException {
        return PRINTER.print(message);
    }
}
