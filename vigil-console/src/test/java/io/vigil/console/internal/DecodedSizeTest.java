package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A request's decoded size, not its body's, is what the receivers bound: a 16 MiB body of empty spans decoded into
 * about a gigabyte, and one such request exhausted the heap of a console (or of the service embedding it).
 */
class DecodedSizeTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** An export request of {@code count} empty spans: two bytes each on the wire. */
    static byte[] emptySpans(int count) {
        ByteArrayOutputStream spans = new ByteArrayOutputStream(count * 2);
        for (int i = 0; i < count; i++) {
            spans.write(0x12); // ScopeSpans.spans, length-delimited
            spans.write(0x00); // an empty Span
        }
        return wrap(0x0a, wrap(0x12, spans.toByteArray())); // request.resource_spans, ResourceSpans.scope_spans
    }

    private static byte[] wrap(int tag, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 6);
        out.write(tag);
        for (long n = payload.length; ; n >>>= 7) {
            if (n < 0x80) {
                out.write((int) n);
                break;
            }
            out.write((int) (n & 0x7f) | 0x80);
        }
        out.writeBytes(payload);
        return out.toByteArray();
    }

    @Test
    void theEstimateFollowsTheElementsNotTheBytes() throws Exception {
        byte[] ordinary = StoreTest.spans(1).toByteArray();
        long estimate = DecodedSize.protobuf(Signal.TRACES, ordinary);
        // Spans of short strings: a String or a message decoded is some tens of bytes; sent, a few.
        assertThat(estimate).isBetween(4L * ordinary.length, 10L * ordinary.length);
        assertThat((double) estimate / ordinary.length * HttpApi.MAX_BODY_BYTES)
                .as("a body of such spans at the largest size is taken")
                .isLessThanOrEqualTo(Ingest.MAX_DECODED_BYTES);

        byte[] empty = emptySpans(100_000);
        assertThat(DecodedSize.protobuf(Signal.TRACES, empty))
                .as("an empty span is two bytes sent and an object of a hundred bytes and more decoded")
                .isGreaterThan(50L * empty.length);
        assertThat(DecodedSize.json("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{},{},{}]}]}]}"
                        .getBytes(StandardCharsets.UTF_8)))
                .isGreaterThan(1000);

        assertThatThrownBy(() -> DecodedSize.protobuf(Signal.TRACES, new byte[] {0x0a, (byte) 0xff, 0x01, 0x02}))
                .isInstanceOf(InvalidProtocolBufferException.class);
        byte[] deep = new byte[0];
        for (int i = 0; i < 200; i++) {
            deep = wrap(0x0a, deep); // resource_spans → resource → attributes → key, a string: no deeper
        }
        DecodedSize.protobuf(Signal.TRACES, deep); // unknown fields are skipped, not followed: no stack depth
    }

    @Test
    void theDecodedBoundFollowsTheConsolesByteBound() throws Exception {
        // Half the byte bound, at most 128 MiB: the default (256 MiB) keeps 128 MiB, identity-service's embedded 64 MiB
        // gives 32 MiB, and a console told to hold 8 MiB no longer decodes a request to 128 MiB of heap.
        assertThat(Ingest.maxDecodedBytes(256L << 20)).isEqualTo(Ingest.MAX_DECODED_BYTES);
        assertThat(Ingest.maxDecodedBytes(8L << 30)).isEqualTo(Ingest.MAX_DECODED_BYTES);
        assertThat(Ingest.maxDecodedBytes(64L << 20)).isEqualTo(32L << 20);
        assertThat(Ingest.maxDecodedBytes(8L << 20)).isEqualTo(4L << 20);

        byte[] body = emptySpans(100_000); // 200 KB on the wire
        long estimate = DecodedSize.protobuf(Signal.TRACES, body);
        assertThat(estimate).isBetween(4L << 20, 32L << 20);
        Store small = new Store(8L << 20);
        try (Ingest ingest = new Ingest(small::ingest, null, 8L << 20, 4L << 20)) {
            assertThat(ingest.maxDecodedBytes()).isEqualTo(4L << 20);
            Ingest.Refused refused =
                    catchThrowableOfType(Ingest.Refused.class, () -> ingest.decode(Signal.TRACES, body));
            assertThat(refused.retryable()).isFalse();
            assertThat(refused.getMessage()).contains("over the 4 MiB one request may take");
            assertThat(ingest.queuedBytes()).isZero();
        }
        Store larger = new Store(64L << 20);
        try (Ingest ingest = new Ingest(larger::ingest, null, 64L << 20, 4L << 20)) {
            Ingest.Decoded decoded = ingest.decode(Signal.TRACES, body);
            ingest.offer(decoded);
            assertThat(ingest.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(ingest.storedRequests()).isEqualTo(1);
        }
    }

    @Test
    void aBodyOfEmptyElementsIsRefusedBeforeItIsDecodedOnEveryReceiver() throws Exception {
        byte[] flood = emptySpans(8_000_000); // 16 MB, within the body limit
        assertThat(flood.length).isLessThanOrEqualTo(HttpApi.MAX_BODY_BYTES);
        Store store = new Store(64L << 20);
        try (Ingest ingest = new Ingest(store::ingest, null, 64L << 20, 4L << 20);
                HttpApi http =
                        new HttpApi("127.0.0.1", 0, ingest, new Queries(store), null, Map::of, Duration.ofSeconds(10));
                GrpcReceiver grpc = new GrpcReceiver("127.0.0.1", 0, ingest)) {
            HttpResponse<byte[]> protobuf = post(http.port(), "application/x-protobuf", flood);
            assertThat(protobuf.statusCode()).isEqualTo(413);
            Status status = Status.parseFrom(protobuf.body());
            assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED.value());
            assertThat(status.getMessage()).contains("too many small elements", "send smaller batches");

            StringBuilder json = new StringBuilder("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{}");
            while (json.length() < HttpApi.MAX_BODY_BYTES - 100) {
                json.append(",{}");
            }
            json.append("]}]}]}");
            HttpResponse<byte[]> jsonAnswer =
                    post(http.port(), "application/json", json.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(jsonAnswer.statusCode()).isEqualTo(413);
            assertThat(new String(jsonAnswer.body(), StandardCharsets.UTF_8)).contains("too many small elements");

            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
                    .usePlaintext()
                    .maxInboundMessageSize(GrpcReceiver.MAX_MESSAGE_BYTES)
                    .build();
            try {
                MethodDescriptor<byte[], byte[]> export = TraceServiceGrpc.getExportMethod().toBuilder(
                                GrpcReceiver.BYTES, GrpcReceiver.BYTES)
                        .build();
                StatusRuntimeException e = catchThrowableOfType(
                        StatusRuntimeException.class,
                        () -> ClientCalls.blockingUnaryCall(channel, export, CallOptions.DEFAULT, flood));
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
                assertThat(e.getStatus().getDescription()).contains("too many small elements");
            } finally {
                channel.shutdownNow();
            }

            // Counted as drops; nothing stored; an ordinary batch is still taken.
            assertThat(ingest.droppedRequests()).isEqualTo(3);
            assertThat(post(
                                    http.port(),
                                    "application/x-protobuf",
                                    StoreTest.spans(7).toByteArray())
                            .statusCode())
                    .isEqualTo(200);
            assertThat(ingest.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(ingest.storedRequests()).isEqualTo(1);
            assertThat(ingest.queuedBytes())
                    .as("the reservations are all released")
                    .isZero();
        }
    }

    private static HttpResponse<byte[]> post(int port, String type, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/traces"))
                        .header("Content-Type", type)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}
