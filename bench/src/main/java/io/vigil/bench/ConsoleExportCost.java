package io.vigil.bench;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vigil.console.VigilConsole;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What the embedded console costs its host per request, in CPU time of the whole process (every thread: the SDK's
 * export threads, the OTLP client, the console's receiver and ingest threads, GC), so the figure holds on a loaded
 * machine where req/s does not. Each "request" is identity-service's {@code GET /users/me}: a server span, an
 * operation span and a database span, and two log records (access log, operation event), through the SDK's batch
 * processors. Modes, alternating in rounds: {@code none} (the same pipeline, exporters discard), {@code otlp} (OTLP/HTTP
 * protobuf to the console over loopback, as before) and {@code direct} (the console's in-process exporters).
 *
 * <pre>java -cp bench/target/benchmarks.jar io.vigil.bench.ConsoleExportCost [rounds=5] [requests=20000]</pre>
 *
 * {@code -Dmodes=none,otlp} runs only those modes (to profile one path).
 */
public final class ConsoleExportCost {
    private static final Resource RESOURCE = Resource.getDefault()
            .merge(Resource.create(Attributes.of(
                    AttributeKey.stringKey("service.name"), "identity-service",
                    AttributeKey.stringKey("service.version"), "0.1.0")));

    private ConsoleExportCost() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .maxBytes(64L << 20)
                .start()) {
            String endpoint = console.httpEndpoint();
            // -Dmodes=none,otlp runs a subset (e.g. to profile one path); "none" must come first.
            List<String> modes =
                    List.of(System.getProperty("modes", "none,otlp,direct").split(","));
            double[][] cpu = new double[modes.size()][rounds + 1];
            double[][] own = new double[modes.size()][rounds + 1];
            for (int r = 0; r <= rounds; r++) { // round 0 warms up
                for (int m = 0; m < modes.size(); m++) {
                    String mode = modes.get(m);
                    SpanExporter spans;
                    LogRecordExporter logs;
                    switch (mode) {
                        case "otlp" -> {
                            spans = OtlpHttpSpanExporter.builder()
                                    .setEndpoint(endpoint + "/v1/traces")
                                    .build();
                            logs = OtlpHttpLogRecordExporter.builder()
                                    .setEndpoint(endpoint + "/v1/logs")
                                    .build();
                        }
                        case "direct" -> {
                            spans = console.spanExporter();
                            logs = console.logRecordExporter();
                        }
                        default -> {
                            spans = BenchSupport.discardingExporter();
                            logs = BenchSupport.discardingLogExporter();
                        }
                    }
                    long ownBefore = console.cpuTime().toNanos();
                    cpu[m][r] = run(spans, logs, console, requests);
                    own[m][r] = (console.cpuTime().toNanos() - ownBefore) / 1e3 / requests;
                    if (r > 0) {
                        System.out.printf(
                                Locale.ROOT,
                                "round %d %-7s %7.1f us CPU/request, console's own threads %6.2f us/request%n",
                                r,
                                mode,
                                cpu[m][r],
                                own[m][r]);
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "%nmedians of %d rounds of %,d requests (3 spans + 2 log records each), load average %.1f%n",
                    rounds,
                    requests,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            double none = median(cpu[0], rounds);
            for (int m = 0; m < modes.size(); m++) {
                double v = median(cpu[m], rounds);
                System.out.printf(
                        Locale.ROOT,
                        "| %-7s | %7.1f us CPU/request | console path %6.1f us/request | console's own threads %6.2f"
                                + " us/request |%n",
                        modes.get(m),
                        v,
                        v - none,
                        median(own[m], rounds));
            }
        }
    }

    private static double median(double[] values, int rounds) {
        double[] v = java.util.Arrays.copyOfRange(values, 1, rounds + 1);
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Process CPU microseconds per request, from the first span until the console has stored everything. */
    private static double run(SpanExporter spanExporter, LogRecordExporter logExporter, VigilConsole console, int n)
            throws Exception {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        // Queues large enough that nothing is dropped: a drop would make a mode look cheaper.
        SdkTracerProvider tp = SdkTracerProvider.builder()
                .setResource(RESOURCE)
                .addSpanProcessor(BatchSpanProcessor.builder(spanExporter)
                        .setMaxQueueSize(4 * n)
                        .build())
                .build();
        SdkLoggerProvider lp = SdkLoggerProvider.builder()
                .setResource(RESOURCE)
                .addLogRecordProcessor(BatchLogRecordProcessor.builder(logExporter)
                        .setMaxQueueSize(3 * n)
                        .build())
                .build();
        Tracer tracer = tp.get("io.vigil.http");
        Logger logger = lp.get("io.vigil.identity");
        long before = os.getProcessCpuTime();
        for (int i = 0; i < n; i++) {
            request(tracer, logger, i);
        }
        tp.forceFlush().join(60, TimeUnit.SECONDS);
        lp.forceFlush().join(60, TimeUnit.SECONDS);
        console.flush(Duration.ofSeconds(60));
        long after = os.getProcessCpuTime();
        tp.shutdown().join(10, TimeUnit.SECONDS);
        lp.shutdown().join(10, TimeUnit.SECONDS);
        return (after - before) / 1e3 / n;
    }

    private static void request(Tracer tracer, Logger logger, int i) {
        Span server = tracer.spanBuilder("GET /api/v1/users/me")
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", "GET")
                .setAttribute("http.route", "/api/v1/users/me")
                .setAttribute("url.path", "/api/v1/users/me")
                .setAttribute("url.scheme", "http")
                .setAttribute("server.address", "127.0.0.1")
                .setAttribute("network.protocol.version", "1.1")
                .setAttribute("http.response.status_code", 200L)
                .setAttribute("request.id", "req-" + i)
                .startSpan();
        Context ctx = Context.current().with(server);
        Span op = tracer.spanBuilder("user.get.me")
                .setParent(ctx)
                .setAttribute("operation.kind", "user")
                .setAttribute("user.id", "93831872-862a-4960-8c3a-07cf29ee1543")
                .setAttribute("outcome", "success")
                .startSpan();
        Span db = tracer.spanBuilder("SELECT identity.users")
                .setParent(ctx.with(op))
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute("db.system.name", "h2")
                .setAttribute("db.operation.name", "SELECT")
                .setAttribute("db.collection.name", "users")
                .setAttribute("db.query.text", "select * from users where id = ?")
                .startSpan();
        db.end();
        logger.logRecordBuilder()
                .setContext(ctx.with(op))
                .setSeverity(Severity.INFO)
                .setSeverityText("INFO")
                .setBody("user.get me success")
                .setAttribute(AttributeKey.stringKey("operation"), "user.get")
                .setAttribute(AttributeKey.stringKey("outcome"), "success")
                .setAttribute(AttributeKey.doubleKey("duration_ms"), 0.42)
                .setAttribute(AttributeKey.stringKey("request_id"), "req-" + i)
                .emit();
        op.end();
        logger.logRecordBuilder()
                .setContext(ctx)
                .setSeverity(Severity.INFO)
                .setSeverityText("INFO")
                .setBody("GET /api/v1/users/me 200")
                .setAttribute(AttributeKey.stringKey("http.request.method"), "GET")
                .setAttribute(AttributeKey.longKey("http.response.status_code"), 200L)
                .setAttribute(AttributeKey.doubleKey("duration_ms"), 0.9)
                .setAttribute(AttributeKey.stringKey("request_id"), "req-" + i)
                .setAttribute(AttributeKey.stringKey("client.address"), "127.0.0.1")
                .emit();
        server.end();
    }
}
