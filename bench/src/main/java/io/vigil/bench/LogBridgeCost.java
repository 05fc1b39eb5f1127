package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.vigil.core.Scrubber;
import io.vigil.logback.internal.OtlpLogAppender;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * What the OTLP logs bridge costs per event on the thread that runs it (in a service, the log hand-off's thread):
 * identity-service's access-log line — six MDC entries plus the trace ids, five key-value pairs — through {@link
 * OtlpLogAppender} into the SDK's batch processor (its exporter discards). Thread CPU time and allocation per event,
 * median of rounds, so it holds on a loaded machine; run it under a profiler to attribute.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.vigil.bench.LogBridgeCost [rounds=20] [events-per-round=200000]</pre>
 */
public final class LogBridgeCost {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private LogBridgeCost() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int events = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        SdkLoggerProvider loggerProvider = SdkLoggerProvider.builder()
                .addLogRecordProcessor(BatchLogRecordProcessor.builder(BenchSupport.discardingLogExporter())
                        .setMaxQueueSize(1 << 16)
                        .build())
                .build();
        OpenTelemetrySdk sdk =
                OpenTelemetrySdk.builder().setLoggerProvider(loggerProvider).build();
        LoggerContext context = new LoggerContext();
        OtlpLogAppender appender = new OtlpLogAppender(sdk, Scrubber.defaults());
        appender.setContext(context);
        appender.start();
        ch.qos.logback.classic.Logger logger = context.getLogger("vigil.http.access");

        // Built before timing (formatting the ids would cost a third of what is measured); appending does not change
        // an event, so they are reused.
        LoggingEvent[] prebuilt = new LoggingEvent[4096];
        for (int i = 0; i < prebuilt.length; i++) {
            prebuilt[i] = accessLog(logger, i);
        }
        List<Double> cpu = new ArrayList<>();
        List<Double> alloc = new ArrayList<>();
        for (int r = -5; r < rounds; r++) {
            long t0 = THREADS.getCurrentThreadCpuTime();
            long a0 = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < events; i++) {
                appender.doAppend(prebuilt[i & (prebuilt.length - 1)]);
            }
            long t1 = THREADS.getCurrentThreadCpuTime();
            long a1 = THREADS.getCurrentThreadAllocatedBytes();
            if (r >= 0) {
                cpu.add((t1 - t0) / (double) events);
                alloc.add((a1 - a0) / (double) events);
            }
        }
        Collections.sort(cpu);
        Collections.sort(alloc);
        System.out.printf(
                Locale.ROOT,
                "OTLP log bridge, %d rounds of %d events: thread CPU %.0f ns/event (quartiles %.0f–%.0f),"
                        + " %.0f B/event%n",
                rounds,
                events,
                cpu.get(cpu.size() / 2),
                cpu.get(cpu.size() / 4),
                cpu.get(3 * cpu.size() / 4),
                alloc.get(alloc.size() / 2));
        appender.stop();
        sdk.close();
    }

    private static final String[] USERS = {
        "3f2b0c1e-8d4a-4e6f-9a1b-2c3d4e5f6a7b", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    };

    /** An access-log event as identity-service's HTTP adapter makes it; request and trace ids differ per event. */
    static LoggingEvent accessLog(ch.qos.logback.classic.Logger logger, int i) {
        LoggingEvent e = new LoggingEvent();
        e.setLoggerName(logger.getName());
        e.setLoggerContext(logger.getLoggerContext());
        e.setLevel(Level.INFO);
        e.setThreadName("jetty-worker-1");
        e.setTimeStamp(System.currentTimeMillis());
        e.setMessage("GET /api/v1/users/me 200");
        String traceId =
                String.format(Locale.ROOT, "%016x%016x", 0x1234_5678_9abc_def0L, (long) i * 0x9E3779B97F4A7C15L);
        e.setMDCPropertyMap(Map.of(
                "trace_id", traceId,
                "span_id", String.format(Locale.ROOT, "%016x", (long) i * 31 + 7),
                "trace_flags", "01",
                "request_id", "req-" + Integer.toHexString(i) + "-5f3a9c",
                "method", "GET",
                "path", "/api/v1/users/me",
                "endpoint", "/api/v1/users/me",
                "ip_address", "127.0.0.1",
                "user_id", USERS[i & 1]));
        e.addKeyValuePair(new KeyValuePair("event_type", "http_request"));
        e.addKeyValuePair(new KeyValuePair("status_code", 200));
        e.addKeyValuePair(new KeyValuePair("duration_seconds", 0.000_734));
        e.addKeyValuePair(new KeyValuePair("response_size_bytes", 187L));
        e.addKeyValuePair(new KeyValuePair("user_agent", "wrk"));
        return e;
    }
}
