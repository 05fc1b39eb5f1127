package io.vigil.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * A local OTLP/HTTP receiver that accepts and discards: {@code POST /v1/traces}, {@code /v1/metrics}
 * and {@code /v1/logs} are read to the end and answered 200 with an empty export response (valid
 * protobuf). The services compared in {@code service-overhead.sh} export to it, so each pays its
 * exporter's full cost without a collector's CPU competing for the cores. On exit it prints the
 * requests and bytes received per path.
 *
 * <pre>{@code java -cp bench/target/benchmarks.jar io.vigil.bench.OtlpSink PORT}</pre>
 */
public final class OtlpSink {
    private OtlpSink() {}

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 4318;
        Map<String, LongAdder[]> received = new ConcurrentHashMap<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/", exchange -> {
            long bytes = 0;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] buf = new byte[16 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    bytes += n;
                }
            }
            LongAdder[] c = received.computeIfAbsent(
                    exchange.getRequestURI().getPath(), p -> new LongAdder[] {new LongAdder(), new LongAdder()});
            c[0].increment();
            c[1].add(bytes);
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
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
        Runnable report = () -> received.forEach(
                (path, c) -> System.out.printf("%s requests=%d bytes=%d%n", path, c[0].sum(), c[1].sum()));
        Runtime.getRuntime().addShutdownHook(new Thread(report));
        System.out.println("OTLP sink on 127.0.0.1:" + port);
    }
}
