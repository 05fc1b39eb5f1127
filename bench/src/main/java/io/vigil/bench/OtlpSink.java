package io.vigil.bench;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.GZIPInputStream;

/**
 * A local OTLP/HTTP receiver that accepts and discards: {@code POST /v1/traces}, {@code /v1/metrics}
 * and {@code /v1/logs} are read to the end and answered 200 with an empty export response (valid
 * protobuf). The services compared in {@code service-overhead.sh} export to it, so each pays its
 * exporter's full cost without a collector's CPU competing for the cores. On exit it prints the
 * requests and bytes received per path.
 *
 * <p>With {@code -Dcount=true} it also parses each protobuf body and counts the items: spans by
 * scope and name, log records by scope and severity, metric points by name — what a service exports
 * per request, compared between variants ({@code bench/README.md}, "what each exports per request").
 * The counts are printed on exit and, on {@code GET /counts}, as text (so a script can read them
 * before and after a measured stretch).
 *
 * <pre>{@code java [-Dcount=true] -cp bench/target/benchmarks.jar io.vigil.bench.OtlpSink PORT}</pre>
 */
public final class OtlpSink {
    private OtlpSink() {}

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 4318;
        boolean count = Boolean.getBoolean("count");
        Map<String, LongAdder[]> received = new ConcurrentHashMap<>();
        Map<String, LongAdder> items = new ConcurrentHashMap<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/counts", exchange -> {
            byte[] body = counts(items).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/", exchange -> {
            long bytes = 0;
            ByteArrayOutputStream copy = count ? new ByteArrayOutputStream() : null;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] buf = new byte[16 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    bytes += n;
                    if (copy != null) {
                        copy.write(buf, 0, n);
                    }
                }
            }
            String path = exchange.getRequestURI().getPath();
            LongAdder[] c = received.computeIfAbsent(path, p -> new LongAdder[] {new LongAdder(), new LongAdder()});
            c[0].increment();
            c[1].add(bytes);
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (copy != null && (type == null || !type.contains("json"))) {
                byte[] raw = copy.toByteArray();
                if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    raw = new GZIPInputStream(new java.io.ByteArrayInputStream(raw)).readAllBytes();
                }
                count(path, raw, items);
            }
            exchange.getResponseHeaders()
                    .add(
                            "Content-Type",
                            type != null && type.contains("json") ? "application/json" : "application/x-protobuf");
            byte[] body = type != null && type.contains("json") ? "{}".getBytes() : new byte[0];
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
        Runnable report = () -> {
            received.forEach((path, c) -> System.out.printf("%s requests=%d bytes=%d%n", path, c[0].sum(), c[1].sum()));
            if (count) {
                System.out.print(counts(items));
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(report));
        System.out.println("OTLP sink on 127.0.0.1:" + port);
    }

    private static void add(Map<String, LongAdder> items, String key, long n) {
        items.computeIfAbsent(key, k -> new LongAdder()).add(n);
    }

    private static void count(String path, byte[] body, Map<String, LongAdder> items) throws IOException {
        switch (path) {
            case "/v1/traces" ->
                ExportTraceServiceRequest.parseFrom(body)
                        .getResourceSpansList()
                        .forEach(r -> r.getScopeSpansList()
                                .forEach(s -> s.getSpansList().forEach(span -> {
                                    add(items, "spans", 1);
                                    add(items, "span " + s.getScope().getName() + " | " + span.getName(), 1);
                                })));
            case "/v1/logs" ->
                ExportLogsServiceRequest.parseFrom(body)
                        .getResourceLogsList()
                        .forEach(r -> r.getScopeLogsList()
                                .forEach(s -> s.getLogRecordsList().forEach(log -> {
                                    add(items, "logs", 1);
                                    add(items, "log " + s.getScope().getName() + " | " + log.getSeverityText(), 1);
                                })));
            case "/v1/metrics" ->
                ExportMetricsServiceRequest.parseFrom(body)
                        .getResourceMetricsList()
                        .forEach(r -> r.getScopeMetricsList()
                                .forEach(s -> s.getMetricsList().forEach(m -> {
                                    long n = points(m);
                                    add(items, "metric points", n);
                                    add(items, "metric " + m.getName(), n);
                                })));
            default -> {}
        }
    }

    private static long points(Metric m) {
        return switch (m.getDataCase()) {
            case GAUGE -> m.getGauge().getDataPointsCount();
            case SUM -> m.getSum().getDataPointsCount();
            case HISTOGRAM -> m.getHistogram().getDataPointsCount();
            case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
            case SUMMARY -> m.getSummary().getDataPointsCount();
            default -> 0;
        };
    }

    private static String counts(Map<String, LongAdder> items) {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(items)
                .forEach((k, v) -> out.append(v.sum()).append('\t').append(k).append('\n'));
        return out.toString();
    }
}
