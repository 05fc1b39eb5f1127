package io.vigil.console.internal;

import com.google.protobuf.Message;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** OTLP/gRPC: the three collector services on one port, handing requests to {@link Ingest}. */
public final class GrpcReceiver implements AutoCloseable {
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final Server server;

    public GrpcReceiver(String host, int port, Ingest ingest) throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(
                            ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
                        answer(
                                ingest,
                                Signal.TRACES,
                                request,
                                response,
                                ExportTraceServiceResponse.getDefaultInstance());
                    }
                })
                .addService(new LogsServiceGrpc.LogsServiceImplBase() {
                    @Override
                    public void export(
                            ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
                        answer(ingest, Signal.LOGS, request, response, ExportLogsServiceResponse.getDefaultInstance());
                    }
                })
                .addService(new MetricsServiceGrpc.MetricsServiceImplBase() {
                    @Override
                    public void export(
                            ExportMetricsServiceRequest request,
                            StreamObserver<ExportMetricsServiceResponse> response) {
                        answer(
                                ingest,
                                Signal.METRICS,
                                request,
                                response,
                                ExportMetricsServiceResponse.getDefaultInstance());
                    }
                })
                .build()
                .start();
    }

    private static <R> void answer(Ingest ingest, Signal signal, Message request, StreamObserver<R> response, R ok) {
        if (ingest.offer(signal, request)) {
            response.onNext(ok);
            response.onCompleted();
        } else {
            // UNAVAILABLE is retryable for every OTLP exporter: the sender backs off and tries again.
            response.onError(Status.UNAVAILABLE
                    .withDescription("vigil-console ingest queue is full; retry later")
                    .asRuntimeException());
        }
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
