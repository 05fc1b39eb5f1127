package io.vigil.console.internal;

import com.google.protobuf.InvalidProtocolBufferException;
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
import io.vigil.console.PortInUseException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** OTLP/gRPC: the three collector services on one port, handing requests to {@link Ingest}. */
public final class GrpcReceiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GrpcReceiver.class);
    static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final Server server;

    public GrpcReceiver(String host, int port, Ingest ingest) throws IOException {
        this(host, port, ingest, System::nanoTime);
    }

    GrpcReceiver(String host, int port, Ingest ingest, LongSupplier clock) throws IOException {
        MalformedLog malformed = new MalformedLog(clock);
        try {
            server = start(host, port, ingest, malformed);
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

    private static Server start(String host, int port, Ingest ingest, MalformedLog malformed) throws IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .addService(service(
                        TraceServiceGrpc.SERVICE_NAME,
                        TraceServiceGrpc.getExportMethod(),
                        ingest,
                        malformed,
                        Signal.TRACES))
                .addService(service(
                        LogsServiceGrpc.SERVICE_NAME,
                        LogsServiceGrpc.getExportMethod(),
                        ingest,
                        malformed,
                        Signal.LOGS))
                .addService(service(
                        MetricsServiceGrpc.SERVICE_NAME,
                        MetricsServiceGrpc.getExportMethod(),
                        ingest,
                        malformed,
                        Signal.METRICS))
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
    @SuppressWarnings("unchecked") // the response type of the signal's collector service
    private static <Q, R> ServerServiceDefinition service(
            String name, MethodDescriptor<Q, R> generated, Ingest ingest, MalformedLog malformed, Signal signal) {
        MethodDescriptor<byte[], R> method =
                generated.toBuilder(BYTES, generated.getResponseMarshaller()).build();
        return ServerServiceDefinition.builder(name)
                .addMethod(method, ServerCalls.asyncUnaryCall((byte[] bytes, StreamObserver<R> response) -> {
                    Ingest.Decoded request;
                    try {
                        request = ingest.decode(signal, bytes);
                    } catch (InvalidProtocolBufferException e) {
                        String why = bounded(e.getMessage());
                        malformed.refused(signal, bytes.length, why);
                        response.onError(Status.INVALID_ARGUMENT
                                .withDescription(
                                        "Malformed OTLP " + signal.name().toLowerCase(Locale.ROOT) + " request: " + why)
                                .asRuntimeException());
                        return;
                    } catch (Ingest.Refused e) {
                        // UNAVAILABLE is retryable for every OTLP exporter: the sender backs off and tries again.
                        // RESOURCE_EXHAUSTED without retry info is not: the batch itself is too large decoded.
                        response.onError((e.retryable() ? Status.UNAVAILABLE : Status.RESOURCE_EXHAUSTED)
                                .withDescription(e.getMessage())
                                .asRuntimeException());
                        return;
                    }
                    ingest.offer(request);
                    // Empty when all is accepted, else OTLP's partial success.
                    response.onNext((R) OtlpConverter.response(signal, request.request()));
                    response.onCompleted();
                }))
                .build();
    }

    /**
     * The receiver's log of malformed requests: the first line, then at most one a minute with the number refused in
     * between. A line per request let any local sender write the host's log (an embedding service's, shipped on) as
     * fast as it could send.
     */
    static final class MalformedLog {
        static final long EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
        private final LongSupplier clock;
        /** When the next line may be written: from the start, the first malformed request is logged. */
        private final AtomicLong next;

        private final AtomicLong suppressed = new AtomicLong();

        MalformedLog(LongSupplier clock) {
            this.clock = clock;
            this.next = new AtomicLong(clock.getAsLong());
        }

        void refused(Signal signal, int bytes, String why) {
            long now = clock.getAsLong();
            long due = next.get();
            if (now - due < 0 || !next.compareAndSet(due, now + EVERY_NANOS)) {
                suppressed.incrementAndGet();
                return;
            }
            long more = suppressed.getAndSet(0);
            GrpcReceiver.log.warn(
                    "Refused a malformed OTLP/gRPC {} request ({} bytes): {}{}",
                    signal,
                    bytes,
                    why,
                    more == 0
                            ? "; others within a minute are refused without a line"
                            : "; " + more + " more refused since the last line");
        }
    }

    private static String bounded(String s) {
        String one = String.valueOf(s).replaceAll("\\s+", " ");
        return one.length() <= 200 ? one : one.substring(0, 200) + "…";
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
