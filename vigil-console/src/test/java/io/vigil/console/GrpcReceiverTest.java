package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.vigil.console.internal.GrpcReceiver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** OTLP/gRPC: a malformed message is the sender's error, answered INVALID_ARGUMENT and logged in one short line. */
class GrpcReceiverTest {
    @Test
    void spansWithInvalidIdsAreAPartialSuccess() throws Exception {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(0).start()) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(
                            console.grpcEndpoint().replace("http://", ""))
                    .usePlaintext()
                    .build();
            try {
                ExportTraceServiceRequest.Builder request =
                        OtlpHttpReceiverTest.protobufTrace("grpc-ids", "0af7651916cd43dd8448eb211c80319e", "valid")
                                .toBuilder();
                request.getResourceSpansBuilder(0)
                        .getScopeSpansBuilder(0)
                        .addSpans(request.getResourceSpans(0).getScopeSpans(0).getSpans(0).toBuilder()
                                .setName("eight-byte trace id")
                                .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));

                ExportTraceServiceResponse response = ClientCalls.blockingUnaryCall(
                        channel, TraceServiceGrpc.getExportMethod(), CallOptions.DEFAULT, request.build());

                assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
                assertThat(response.getPartialSuccess().getErrorMessage()).contains("1 span(s) rejected");
                ExportTraceServiceResponse valid = ClientCalls.blockingUnaryCall(
                        channel,
                        TraceServiceGrpc.getExportMethod(),
                        CallOptions.DEFAULT,
                        OtlpHttpReceiverTest.protobufTrace("grpc-ids", "0af7651916cd43dd8448eb211c80319f", "valid"));
                assertThat(valid.hasPartialSuccess()).isFalse();
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aMalformedRequestIsInvalidArgumentWithOneBoundedLogLineAndNoStackTrace() throws Exception {
        Logger receiverLog = (Logger) LoggerFactory.getLogger("io.vigil.console.internal.GrpcReceiver");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        receiverLog.addAppender(lines);
        List<LogRecord> grpcLog = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    grpcLog.add(record);
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Logger grpc = java.util.logging.Logger.getLogger("io.grpc");
        grpc.addHandler(handler);
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(0).start()) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(
                            console.grpcEndpoint().replace("http://", ""))
                    .usePlaintext()
                    .build();
            try {
                MethodDescriptor<byte[], byte[]> export = TraceServiceGrpc.getExportMethod().toBuilder(
                                GrpcReceiver.BYTES, GrpcReceiver.BYTES)
                        .build();
                StatusRuntimeException e = catchThrowableOfType(
                        StatusRuntimeException.class,
                        () -> ClientCalls.blockingUnaryCall(
                                channel, export, CallOptions.DEFAULT, new byte[] {0x0a, (byte) 0xff, 0x01, 0x02}));

                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).startsWith("Malformed OTLP traces request");
                assertThat(lines.list).hasSize(1);
                assertThat(lines.list.get(0).getFormattedMessage())
                        .contains("malformed OTLP/gRPC TRACES request")
                        .hasSizeLessThan(400)
                        .doesNotContain("\n");
                assertThat(lines.list.get(0).getThrowableProxy()).isNull();
                assertThat(grpcLog).isEmpty();
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            receiverLog.detachAppender(lines);
            grpc.removeHandler(handler);
        }
    }
}
