package io.vigil.bench;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import zipkin2.Endpoint;
import zipkin2.codec.SpanBytesEncoder;

/**
 * The same spans for both sides of the console-vs-Zipkin comparison: batches of 100 spans (10 login traces of 10
 * spans, five attributes each) as an OTLP export request and as a Zipkin proto3 span list.
 */
final class ConsoleSpans {
    static final int SPANS_PER_BATCH = 100;
    private static final HexFormat HEX = HexFormat.of();

    private ConsoleSpans() {}

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build();
    }

    private static byte[] id(long hi, long lo, int bytes) {
        byte[] b = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
        byte[] out = new byte[bytes];
        System.arraycopy(b, 16 - bytes, out, 0, bytes);
        return out;
    }

    private record SpanData(
            byte[] traceId,
            byte[] spanId,
            byte[] parentId,
            String name,
            boolean server,
            long startNanos,
            long durationNanos,
            List<String[]> tags) {}

    private static List<SpanData> batch(long batch) {
        List<SpanData> spans = new ArrayList<>(SPANS_PER_BATCH);
        for (int i = 0; i < SPANS_PER_BATCH; i++) {
            long trace = batch * 10 + i / 10;
            boolean root = i % 10 == 0;
            long start = 1_700_000_000_000_000_000L + batch * 1_000_000_000L + i * 1_000_000L;
            spans.add(new SpanData(
                    id(0x5b8efff798038103L, trace, 16),
                    id(0, batch * SPANS_PER_BATCH + i + 1, 8),
                    root ? null : id(0, batch * SPANS_PER_BATCH + (i / 10) * 10 + 1, 8),
                    root ? "POST /api/v1/auth/login" : (i % 10 == 1 ? "auth.login.authenticate_user" : "SELECT users"),
                    root,
                    start,
                    2_500_000L + i * 1000L,
                    List.of(
                            new String[] {"request.id", "req-" + batch + "-" + i / 10},
                            new String[] {"auth.type", "login"},
                            new String[] {"auth.status", i % 7 == 0 ? "failure" : "success"},
                            new String[] {"user.id", "user-" + (trace % 1000)},
                            new String[] {"db.system.name", "postgresql"})));
        }
        return spans;
    }

    /** An OTLP/protobuf ExportTraceServiceRequest, as an SDK sends it. */
    static byte[] otlp(long batchIndex) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder()
                .setScope(io.opentelemetry.proto.common.v1.InstrumentationScope.newBuilder()
                        .setName("io.vigil.identity"));
        for (SpanData s : batch(batchIndex)) {
            Span.Builder b = Span.newBuilder()
                    .setTraceId(ByteString.copyFrom(s.traceId()))
                    .setSpanId(ByteString.copyFrom(s.spanId()))
                    .setName(s.name())
                    .setKind(s.server() ? Span.SpanKind.SPAN_KIND_SERVER : Span.SpanKind.SPAN_KIND_INTERNAL)
                    .setStartTimeUnixNano(s.startNanos())
                    .setEndTimeUnixNano(s.startNanos() + s.durationNanos());
            if (s.parentId() != null) {
                b.setParentSpanId(ByteString.copyFrom(s.parentId()));
            }
            for (String[] t : s.tags()) {
                b.addAttributes(kv(t[0], t[1]));
            }
            scope.addSpans(b);
        }
        Resource resource = Resource.newBuilder()
                .addAttributes(kv("service.name", "identity-service"))
                .addAttributes(kv("service.version", "1.4.2"))
                .addAttributes(kv("deployment.environment.name", "development"))
                .addAttributes(kv("host.name", "dev-laptop"))
                .build();
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(
                        ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope))
                .build()
                .toByteArray();
    }

    /** The same spans as a Zipkin proto3 ListOfSpans, as a Zipkin reporter sends them. */
    static byte[] zipkin(long batchIndex) {
        Endpoint local = Endpoint.newBuilder().serviceName("identity-service").build();
        List<zipkin2.Span> out = new ArrayList<>(SPANS_PER_BATCH);
        for (SpanData s : batch(batchIndex)) {
            zipkin2.Span.Builder b = zipkin2.Span.newBuilder()
                    .traceId(HEX.formatHex(s.traceId()))
                    .id(HEX.formatHex(s.spanId()))
                    .name(s.name())
                    .timestamp(s.startNanos() / 1000)
                    .duration(s.durationNanos() / 1000)
                    .localEndpoint(local)
                    .putTag("service.version", "1.4.2")
                    .putTag("host.name", "dev-laptop");
            if (s.parentId() != null) {
                b.parentId(HEX.formatHex(s.parentId()));
            }
            if (s.server()) {
                b.kind(zipkin2.Span.Kind.SERVER);
            }
            for (String[] t : s.tags()) {
                b.putTag(t[0], t[1]);
            }
            out.add(b.build());
        }
        return SpanBytesEncoder.PROTO3.encodeList(out);
    }
}
