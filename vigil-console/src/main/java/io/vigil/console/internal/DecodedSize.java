package io.vigil.console.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;

/**
 * An upper estimate of the heap a request takes once decoded, read from its bytes without decoding them. The body's
 * size says little: every two bytes of a protobuf can be an empty span or attribute, an object of 40 to 150 bytes, so
 * a 16 MiB body decoded into close to a gigabyte and one request exhausted a console's heap. The receivers refuse what
 * decodes beyond {@link Ingest#maxDecodedBytes(long)} and account the rest, decoding and queued, by this estimate.
 */
final class DecodedSize {
    /** An object's header and its slot in the list holding it. */
    private static final long OBJECT = 24;
    /** What a generated message spends per declared field (a reference, a primitive or a list). */
    private static final long PER_FIELD = 8;
    /** A String (or ByteString): its object and its array's header. */
    private static final long STRING = 40;
    /** An unknown field, kept by the parser in the message's field set (a map entry and a list). */
    private static final long UNKNOWN = 64;
    /** OTLP nests messages a handful of levels (AnyValue a few more); protobuf-java's own limit is 100. */
    private static final int MAX_DEPTH = 100;
    /**
     * A JSON token in the trees OTLP/JSON is decoded through (Jackson's, then the protobuf JSON parser's, then the
     * message): an object node with its map, a string node, or an array's slot, in each.
     */
    private static final long JSON_TOKEN = 160;

    private static final JsonFactory JSON = new JsonFactory();

    private DecodedSize() {}

    /** The estimate for an OTLP protobuf export request; a malformed one is refused as the parser would. */
    static long protobuf(Signal signal, byte[] payload) throws InvalidProtocolBufferException {
        Descriptor type = switch (signal) {
            case TRACES -> ExportTraceServiceRequest.getDescriptor();
            case LOGS -> ExportLogsServiceRequest.getDescriptor();
            case METRICS -> ExportMetricsServiceRequest.getDescriptor();
        };
        CodedInputStream in = CodedInputStream.newInstance(payload);
        try {
            return payload.length + message(in, type, 0);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
    }

    private static long message(CodedInputStream in, Descriptor type, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new InvalidProtocolBufferException("Protocol message had too many levels of nesting");
        }
        long heap = OBJECT + PER_FIELD * type.getFields().size();
        while (true) {
            int tag = in.readTag();
            if (tag == 0) {
                return heap;
            }
            FieldDescriptor field = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
            if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                heap += field == null ? UNKNOWN : PER_FIELD;
                if (!in.skipField(tag)) {
                    return heap; // an end-group tag: the parser refuses it
                }
                continue;
            }
            int length = in.readRawVarint32();
            if (length < 0) {
                throw new InvalidProtocolBufferException("CodedInputStream encountered an embedded string or message"
                        + " which claimed to have negative size.");
            }
            if (field != null && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                int limit = in.pushLimit(length);
                heap += message(in, field.getMessageType(), depth + 1);
                in.popLimit(limit);
            } else {
                in.skipRawBytes(length);
                heap += field == null ? UNKNOWN + length : STRING + perByte(field) * length;
            }
        }
    }

    /** What a length-delimited value takes decoded, per byte sent. */
    private static long perByte(FieldDescriptor field) {
        return switch (field.getJavaType()) {
            case STRING -> 2; // UTF-16 at most, a character at least one byte
            case BYTE_STRING -> 1;
            default -> 8; // a packed array: eight bytes an element at most, an element one byte at least
        };
    }

    /**
     * The estimate for an OTLP/JSON request: its tokens counted by a streaming pass (no tree); a body that is not
     * JSON is left to the parser to refuse.
     */
    static long json(byte[] body) {
        long tokens = 0;
        try (JsonParser p = JSON.createParser(body)) {
            for (var t = p.nextToken(); t != null; t = p.nextToken()) {
                if (!t.isStructEnd()) { // the end of an object or array allocates nothing
                    tokens++;
                }
            }
        } catch (IOException e) {
            // Not JSON (or deeper than the parser allows): the parser that follows says so.
        }
        return 3L * body.length + JSON_TOKEN * tokens;
    }
}
