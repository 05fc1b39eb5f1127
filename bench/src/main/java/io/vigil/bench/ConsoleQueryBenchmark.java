package io.vigil.bench;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.vigil.console.internal.Queries;
import io.vigil.console.internal.Signal;
import io.vigil.console.internal.Store;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The console's read side: what one UI request costs the store and query logic (no HTTP, no JSON) over a store
 * holding 100,000 spans (10,000 ten-span login traces), 100,000 log records and a histogram of 20 series × 360
 * cumulative points. The trace list (newest 100), a trace search that matches nothing (every span is looked at), a
 * trace by id, the overview (RED and service graph over the last 15 minutes of spans), the first log page and one
 * 50,000 records deep (cursor), and the histogram heatmap.
 *
 * <p>Run with {@code -prof io.vigil.bench.CpuPerOpProfiler} on the shared machine: the CPU time per operation holds
 * under load, the wall-clock score does not.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConsoleQueryBenchmark {
    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final int LOGS = 100_000;
    private static final int SERIES = 20;
    private static final int POINTS = 360;

    private Queries queries;
    private String traceId;
    private String deepCursor;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Store store = new Store(1L << 30);
        for (int b = 0; b < 1_000; b++) {
            store.ingest(Signal.TRACES, ExportTraceServiceRequest.parseFrom(ConsoleSpans.otlp(b)));
        }
        for (int b = 0; b < LOGS / 1_000; b++) {
            store.ingest(Signal.LOGS, logs(b));
        }
        for (int p = 0; p < POINTS; p++) {
            store.ingest(Signal.METRICS, histograms(p));
        }
        queries = new Queries(store);
        traceId = (String) queries.traces(traceQuery(null, Map.of(), 1)).get(0).get("traceId");
        String cursor = null;
        for (int page = 0; page < LOGS / 2 / 1_000; page++) {
            cursor = (String) queries.logs(logQuery(1_000, cursor)).get("nextCursor");
        }
        deepCursor = cursor;
    }

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build();
    }

    private static Resource resource() {
        return Resource.newBuilder()
                .addAttributes(kv("service.name", "identity-service"))
                .build();
    }

    /** A thousand log records, 1 ms apart, every tenth a warning; a batch arrives every second. */
    private static ExportLogsServiceRequest logs(int batch) {
        ScopeLogs.Builder scope = ScopeLogs.newBuilder();
        for (int i = 0; i < 1_000; i++) {
            long n = batch * 1_000L + i;
            scope.addLogRecords(LogRecord.newBuilder()
                    .setTimeUnixNano(T0 + n * 1_000_000L)
                    .setSeverityNumber(
                            i % 10 == 0
                                    ? io.opentelemetry.proto.logs.v1.SeverityNumber.SEVERITY_NUMBER_WARN
                                    : io.opentelemetry.proto.logs.v1.SeverityNumber.SEVERITY_NUMBER_INFO)
                    .setBody(AnyValue.newBuilder().setStringValue("request " + n + " handled"))
                    .addAttributes(kv("event_type", i % 10 == 0 ? "authentication" : "request")));
        }
        return ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(
                        ResourceLogs.newBuilder().setResource(resource()).addScopeLogs(scope))
                .build();
    }

    /** One export of a cumulative latency histogram: 20 series (routes), 12 buckets, every 10 s. */
    private static ExportMetricsServiceRequest histograms(int point) {
        Histogram.Builder h = Histogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        List<Double> bounds = List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5);
        for (int s = 0; s < SERIES; s++) {
            HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder()
                    .addAttributes(kv("http.route", "/api/v1/route" + s))
                    .setStartTimeUnixNano(T0)
                    .setTimeUnixNano(T0 + (point + 1) * 10_000_000_000L)
                    .addAllExplicitBounds(bounds);
            long count = 0;
            for (int b = 0; b <= bounds.size(); b++) {
                long c = (long) (point + 1) * ((b + s) % 5);
                p.addBucketCounts(c);
                count += c;
            }
            h.addDataPoints(p.setCount(count).setSum(count * 0.05));
        }
        return ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(ResourceMetrics.newBuilder()
                        .setResource(resource())
                        .addScopeMetrics(ScopeMetrics.newBuilder()
                                .addMetrics(Metric.newBuilder()
                                        .setName("http_request_duration_seconds")
                                        .setUnit("s")
                                        .setHistogram(h))))
                .build();
    }

    private static Queries.TraceQuery traceQuery(Integer status, Map<String, String> attributes, int limit) {
        return new Queries.TraceQuery(null, null, null, null, status, attributes, null, null, limit);
    }

    private static Queries.LogQuery logQuery(int limit, String cursor) {
        return new Queries.LogQuery(null, null, null, null, Map.of(), null, null, 0, limit, cursor);
    }

    @Benchmark
    public Object newest100Traces() {
        return queries.traces(traceQuery(null, Map.of(), 100));
    }

    @Benchmark
    public Object traceSearchMatchingNothing() {
        return queries.traces(traceQuery(2, Map.of("auth.type", "nope"), 100));
    }

    @Benchmark
    public Object traceById() {
        return queries.trace(traceId);
    }

    @Benchmark
    public Object overview() {
        return queries.services(null, null);
    }

    @Benchmark
    public Object logsFirstPage() {
        return queries.logs(logQuery(200, null));
    }

    @Benchmark
    public Object logsPage50kDeep() {
        return queries.logs(logQuery(200, deepCursor));
    }

    @Benchmark
    public Object heatmap() {
        return queries.heatmap(
                new Queries.SeriesQuery("http_request_duration_seconds", null, Map.of(), null, null, new double[0]),
                300);
    }
}
