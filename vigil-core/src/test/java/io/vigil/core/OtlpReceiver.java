package io.vigil.core;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
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
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real OTLP receiver on loopback for tests: gRPC (the collector services) or HTTP/protobuf
 * ({@code /v1/traces}, {@code /v1/metrics}, {@code /v1/logs}). It decodes what arrives and keeps it.
 */
final class OtlpReceiver implements AutoCloseable {
    /** A received span with the resource attributes it came with. */
    record ReceivedSpan(Map<String, String> resource, Span span) {
        String attribute(String key) {
            return OtlpReceiver.attributes(span.getAttributesList()).get(key);
        }
    }

    private final ConcurrentLinkedQueue<ReceivedSpan> spans = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Metric> metrics = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<LogRecord> logs = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Map<String, String>> metricResources = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Map<String, String>> logResources = new ConcurrentLinkedQueue<>();
    private final Server grpc;
    private final HttpServer http;
    private final ExecutorService httpExecutor;

    private OtlpReceiver(boolean useGrpc) throws IOException {
        if (useGrpc) {
            grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                        @Override
                        public void export(
                                ExportTraceServiceRequest request,
                                StreamObserver<ExportTraceServiceResponse> response) {
                            accept(request);
                            response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                            response.onCompleted();
                        }
                    })
                    .addService(new MetricsServiceGrpc.MetricsServiceImplBase() {
                        @Override
                        public void export(
                                ExportMetricsServiceRequest request,
                                StreamObserver<ExportMetricsServiceResponse> response) {
                            accept(request);
                            response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
                            response.onCompleted();
                        }
                    })
                    .addService(new LogsServiceGrpc.LogsServiceImplBase() {
                        @Override
                        public void export(
                                ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
                            accept(request);
                            response.onNext(ExportLogsServiceResponse.getDefaultInstance());
                            response.onCompleted();
                        }
                    })
                    .build()
                    .start();
            http = null;
            httpExecutor = null;
        } else {
            grpc = null;
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            httpExecutor = Executors.newFixedThreadPool(2);
            http.setExecutor(httpExecutor);
            http.createContext("/v1/traces", ex -> {
                try (ex;
                        InputStream in = ex.getRequestBody()) {
                    accept(ExportTraceServiceRequest.parseFrom(in));
                    respond(ex, ExportTraceServiceResponse.getDefaultInstance().toByteArray());
                }
            });
            http.createContext("/v1/metrics", ex -> {
                try (ex;
                        InputStream in = ex.getRequestBody()) {
                    accept(ExportMetricsServiceRequest.parseFrom(in));
                    respond(
                            ex,
                            ExportMetricsServiceResponse.getDefaultInstance().toByteArray());
                }
            });
            http.createContext("/v1/logs", ex -> {
                try (ex;
                        InputStream in = ex.getRequestBody()) {
                    accept(ExportLogsServiceRequest.parseFrom(in));
                    respond(ex, ExportLogsServiceResponse.getDefaultInstance().toByteArray());
                }
            });
            http.start();
        }
    }

    static OtlpReceiver grpc() throws IOException {
        return new OtlpReceiver(true);
    }

    static OtlpReceiver http() throws IOException {
        return new OtlpReceiver(false);
    }

    /** The endpoint to give an exporter. */
    URI endpoint() {
        int port = grpc != null ? grpc.getPort() : http.getAddress().getPort();
        return URI.create("http://127.0.0.1:" + port);
    }

    List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    List<Metric> metrics() {
        return List.copyOf(metrics);
    }

    List<LogRecord> logs() {
        return List.copyOf(logs);
    }

    /** The resource attributes of every metrics batch received. */
    List<Map<String, String>> metricResources() {
        return List.copyOf(metricResources);
    }

    /** The resource attributes of every logs batch received. */
    List<Map<String, String>> logResources() {
        return List.copyOf(logResources);
    }

    private void accept(ExportTraceServiceRequest request) {
        request.getResourceSpansList().forEach(rs -> {
            Map<String, String> resource = attributes(rs.getResource().getAttributesList());
            rs.getScopeSpansList()
                    .forEach(ss -> ss.getSpansList().forEach(s -> spans.add(new ReceivedSpan(resource, s))));
        });
    }

    private void accept(ExportMetricsServiceRequest request) {
        request.getResourceMetricsList().forEach(rm -> {
            metricResources.add(attributes(rm.getResource().getAttributesList()));
            rm.getScopeMetricsList().forEach(sm -> metrics.addAll(sm.getMetricsList()));
        });
    }

    private void accept(ExportLogsServiceRequest request) {
        request.getResourceLogsList().forEach(rl -> {
            logResources.add(attributes(rl.getResource().getAttributesList()));
            rl.getScopeLogsList().forEach(sl -> logs.addAll(sl.getLogRecordsList()));
        });
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    static Map<String, String> attributes(List<KeyValue> kvs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (KeyValue kv : kvs) {
            var v = kv.getValue();
            String s = switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                case INT_VALUE -> Long.toString(v.getIntValue());
                case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                default -> v.toString();
            };
            map.put(kv.getKey(), s);
        }
        return map;
    }

    @Override
    public void close() {
        if (grpc != null) {
            grpc.shutdownNow();
        }
        if (http != null) {
            http.stop(0);
            httpExecutor.shutdownNow();
        }
    }
}
