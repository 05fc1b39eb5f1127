package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Malformed OTLP/gRPC requests fill no log: the first is logged, then one line a minute with the count between. */
class GrpcMalformedLogTest {
    @Test
    void aFloodOfMalformedRequestsWritesOneLineAMinuteWithTheCount() throws Exception {
        Logger receiverLog = (Logger) LoggerFactory.getLogger(GrpcReceiver.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        receiverLog.addAppender(lines);
        AtomicLong clock = new AtomicLong(1_000);
        Store store = new Store(1 << 20);
        try (Ingest ingest = new Ingest(store::ingest, null, 1 << 20, 1 << 20);
                GrpcReceiver grpc = new GrpcReceiver("127.0.0.1", 0, ingest, clock::get)) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
                    .usePlaintext()
                    .build();
            try {
                MethodDescriptor<byte[], byte[]> export = TraceServiceGrpc.getExportMethod().toBuilder(
                                GrpcReceiver.BYTES, GrpcReceiver.BYTES)
                        .build();
                byte[] malformed = {0x0a, (byte) 0xff, 0x01, 0x02};
                for (int i = 0; i < 50; i++) {
                    StatusRuntimeException e = catchThrowableOfType(
                            StatusRuntimeException.class,
                            () -> ClientCalls.blockingUnaryCall(channel, export, CallOptions.DEFAULT, malformed));
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                }
                assertThat(lines.list).hasSize(1);
                assertThat(lines.list.get(0).getFormattedMessage())
                        .contains("malformed OTLP/gRPC TRACES request", "others within a minute are refused");

                clock.addAndGet(GrpcReceiver.MalformedLog.EVERY_NANOS);
                catchThrowableOfType(
                        StatusRuntimeException.class,
                        () -> ClientCalls.blockingUnaryCall(channel, export, CallOptions.DEFAULT, malformed));
                assertThat(lines.list).hasSize(2);
                assertThat(lines.list.get(1).getFormattedMessage()).contains("49 more refused since the last line");
            } finally {
                channel.shutdownNow();
            }
        } finally {
            receiverLog.detachAppender(lines);
        }
    }
}
