package io.vigil.console.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** OTLP/gRPC: the three collector services on one port, handing requests to {@link Ingest}. */
public final class GrpcReceiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GrpcReceiver.class);
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final Server server;

    public GrpcReceiver(String host, int port, Ingest ingest) throws IOException {
        try {
            server = start(host, port, ingest);
        } catch (IOException e) {
            if (addressInUse(e)) {
                throw new PortInUseException(true, host, port, e);
            }
            throw e;
        }
    }

    /**
     * Whether the bind failed because the port is taken: a {@link java.net.BindException} with the NIO transport,
     * Netty's own native exception (not a BindException) with epoll, so the operating system's message is what tells.
     */
    private static boolean addressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static Server start(String host, int port, Ingest ingest) throws IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .addService(service(
                        TraceServiceGrpc.SERVICE_NAME, TraceServiceGrpc.getExportMethod(), ingest, Signal.TRACES))
                .addService(
                        service(LogsServiceGrpc.SERVICE_NAME, LogsServiceGrpc.getExportMethod(), ingest, Signal.LOGS))
                .addService(service(
                        MetricsServiceGrpc.SERVICE_NAME, MetricsServiceGrpc.getExportMethod(), ingest, Signal.METRICS))
                .build()
                .start();
    }

    /** Request bytes as they came: parsed by the service, so a malformed message is the sender's error. */
    public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("unreadable request").asRuntimeException();
            }
        }
    };

    /**
     * One collector service. The generated stubs would parse in gRPC's marshaller, where a malformed message becomes
     * {@code UNKNOWN} and a SEVERE stack trace; parsing here answers {@code INVALID_ARGUMENT} (OTLP: not retryable)
     * and logs one short line.
     */
    private static <Q, R> ServerServiceDefinition service(
            String name, MethodDescriptor<Q, R> generated, Ingest ingest, Signal signal) {
        MethodDescriptor<byte[], R> method =
                generated.toBuilder(BYTES, generated.getResponseMarshaller()).build();
        return ServerServiceDefinition.builder(name)
                .addMethod(method, ServerCalls.asyncUnaryCall((byte[] bytes, StreamObserver<R> response) -> {
                    Message request;
                    try {
                        request = Ingest.parse(signal, bytes);
                    } catch (InvalidProtocolBufferException e) {
                        String why = bounded(e.getMessage());
                        log.warn("Refused a malformed OTLP/gRPC {} request ({} bytes): {}", signal, bytes.length, why);
                        response.onError(Status.INVALID_ARGUMENT
                                .withDescription(
                                        "Malformed OTLP " + signal.name().toLowerCase(Locale.ROOT) + " request: " + why)
                                .asRuntimeException());
                        return;
                    }
                    answer(ingest, signal, request, response);
                }))
                .build();
    }

    private static String bounded(String s) {
        String one = String.valueOf(s).replaceAll("\\s+", " ");
        return one.length() <= 200 ? one : one.substring(0, 200) + "…";
    }

    @SuppressWarnings("unchecked") // the response type of the signal's collector service
    private static <R> void answer(Ingest ingest, Signal signal, Message request, StreamObserver<R> response) {
        if (ingest.offer(signal, request)) {
            // Empty when all is accepted, else OTLP's partial success.
            response.onNext((R) OtlpConverter.response(signal, request));
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
