package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.rpc.Status;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** Overload: when the hand-over queue is full, senders get OTLP's retryable status at once, and drops are counted. */
class IngestTest {
    @Test
    void aFullQueueAnswersHttp503WithRetryAfterAndCountsTheDrop() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(1);
        BiConsumer<Signal, Message> stuck = (s, m) -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (Ingest ingest = new Ingest(stuck, null, 1 << 20, 1);
                HttpApi http = new HttpApi(
                        "127.0.0.1",
                        0,
                        ingest,
                        new Queries(new Store(1 << 20)),
                        null,
                        Map::of,
                        Duration.ofSeconds(10))) {
            try {
                refusesWhileStuck(http.port(), ingest, busy);
            } finally {
                release.countDown();
            }
        }
    }

    private static void refusesWhileStuck(int port, Ingest ingest, CountDownLatch busy) throws Exception {
        {
            byte[] body = StoreTest.spans(1).toByteArray();
            HttpClient client = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/traces"))
                    .header("Content-Type", "application/x-protobuf")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            assertThat(client.send(request, HttpResponse.BodyHandlers.ofByteArray())
                            .statusCode())
                    .isEqualTo(200);
            assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();

            // The first batch still holds the queue's whole budget until it is stored.
            HttpResponse<byte[]> refused = client.send(request, HttpResponse.BodyHandlers.ofByteArray());

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).contains("1");
            assertThat(Status.parseFrom(refused.body()).getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE.value());
            assertThat(ingest.droppedRequests()).isEqualTo(1);
        }
    }

    @Test
    void aFullQueueAnswersGrpcUnavailable() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(1);
        BiConsumer<Signal, Message> stuck = (s, m) -> {
            busy.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (Ingest ingest = new Ingest(stuck, null, 1 << 20, 1);
                GrpcReceiver grpc = new GrpcReceiver("127.0.0.1", 0, ingest)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
                    .usePlaintext()
                    .build();
            try {
                TraceServiceGrpc.TraceServiceBlockingStub stub = TraceServiceGrpc.newBlockingStub(channel);
                stub.export(StoreTest.spans(1));
                assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();

                StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                        StatusRuntimeException.class, () -> stub.export(StoreTest.spans(2)));

                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
                assertThat(ingest.droppedRequests()).isEqualTo(1);
            } finally {
                channel.shutdownNow();
                release.countDown();
            }
        }
    }
}
