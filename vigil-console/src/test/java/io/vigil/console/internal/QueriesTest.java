package io.vigil.console.internal;

import static io.vigil.console.internal.StoreTest.id;
import static io.vigil.console.internal.StoreTest.kv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The defects of the first version, each at its cause: conversion, store order and the query logic. */
class QueriesTest {
    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final Resource RESOURCE =
            Resource.newBuilder().addAttributes(kv("service.name", "svc")).build();

    private final Store store = new Store(64L << 20);
    private final Queries queries = new Queries(store);

    private static String hex(ByteString b) {
        return OtlpConverter.hex(b);
    }

    private static Span.Builder span(long trace, long spanId, long parent, String name, long startMs, long endMs) {
        return Span.newBuilder()
                .setTraceId(id(1, trace, 16))
                .setSpanId(id(0, spanId, 8))
                .setParentSpanId(parent == 0 ? ByteString.EMPTY : id(0, parent, 8))
                .setName(name)
                .setStartTimeUnixNano(T0 + startMs * MS)
                .setEndTimeUnixNano(T0 + endMs * MS);
    }

    private void spans(Span.Builder... spans) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        for (Span.Builder s : spans) {
            scope.addSpans(s);
        }
        store.ingest(
                Signal.TRACES,
                ExportTraceServiceRequest.newBuilder()
                        .addResourceSpans(
                                ResourceSpans.newBuilder().setResource(RESOURCE).addScopeSpans(scope))
                        .build());
    }

    private void logs(LogRecord.Builder... records) {
        ScopeLogs.Builder scope = ScopeLogs.newBuilder();
        for (LogRecord.Builder r : records) {
            scope.addLogRecords(r);
        }
        store.ingest(
                Signal.LOGS,
                ExportLogsServiceRequest.newBuilder()
                        .addResourceLogs(
                                ResourceLogs.newBuilder().setResource(RESOURCE).addScopeLogs(scope))
                        .build());
    }

    private void metric(Metric.Builder m) {
        store.ingest(
                Signal.METRICS,
                ExportMetricsServiceRequest.newBuilder()
                        .addResourceMetrics(ResourceMetrics.newBuilder()
                                .setResource(RESOURCE)
                                .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(m)))
                        .build());
    }

    private Map<String, Object> series(String metric, List<String> stats, double... quantiles) {
        return queries.series(new Queries.SeriesQuery(
                metric,
                null,
                Map.of(),
                null,
                null,
                quantiles.length == 0 ? new double[] {0.5} : quantiles,
                stats,
                null));
    }

    @SuppressWarnings("unchecked")
    private static List<double[]> points(Map<String, Object> series, int i) {
        return (List<double[]>)
                ((List<Map<String, Object>>) series.get("series")).get(i).get("points");
    }

    private static List<Object> column(List<Map<String, Object>> rows, String key) {
        List<Object> out = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            out.add(r.get(key));
        }
        return out;
    }

    // 1
    @Test
    void exponentialHistogramQuantilesUseTheBucketEdgesOfScaleAndOffset() {
        // Ten values in (512, 1024] at scale 0 (bucket index 9); the first version answered p50 = 512.
        metric(Metric.newBuilder()
                .setName("latency")
                .setExponentialHistogram(ExponentialHistogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(ExponentialHistogramDataPoint.newBuilder()
                                .setStartTimeUnixNano(T0)
                                .setTimeUnixNano(T0 + 1000 * MS)
                                .setCount(10)
                                .setSum(7000)
                                .setScale(0)
                                .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder()
                                        .setOffset(9)
                                        .addBucketCounts(10)))));

        Map<String, Object> s = series("latency", null, 0.5, 0.99);

        assertThat(points(s, 0).get(0)[1]).isEqualTo(768.0);
        assertThat(points(s, 1).get(0)[1]).isCloseTo(512 + 512 * 0.99, within(1e-9));
    }

    // 3
    @Test
    @SuppressWarnings("unchecked")
    void spanLinksKeepTheirAttributes() {
        spans(span(1, 1, 0, "consume", 0, 10)
                .addLinks(Span.Link.newBuilder()
                        .setTraceId(id(1, 9, 16))
                        .setSpanId(id(0, 99, 8))
                        .addAttributes(kv("messaging.operation", "publish"))));

        Map<String, Object> trace = queries.trace(hex(id(1, 1, 16)));
        Map<String, Object> span = ((List<Map<String, Object>>) trace.get("spans")).get(0);
        Map<String, Object> link = ((List<Map<String, Object>>) span.get("links")).get(0);

        assertThat(link)
                .containsEntry("traceId", hex(id(1, 9, 16)))
                .containsEntry("spanId", hex(id(0, 99, 8)))
                .containsEntry("attributes", new java.util.TreeMap<>(Map.of("messaging.operation", "publish")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aHugeTraceIsAnsweredWithItsFirstSpansAndAFullSummary() {
        // 200,000 spans of one trace fit a 64 MB store; answered whole they were a gigabyte of maps and JSON.
        int count = Queries.MAX_TRACE_SPANS + 2_500;
        Span.Builder[] batch = new Span.Builder[count];
        for (int i = 0; i < count; i++) {
            // Arrival order is not start order: the spans kept are the first by start.
            long startMs = (i * 7919L) % count;
            batch[i] = span(5, i + 1, i == 0 ? 0 : 1, "s" + startMs, startMs, startMs + 1);
        }
        spans(batch);

        Map<String, Object> trace = queries.trace(hex(id(1, 5, 16)));

        List<Map<String, Object>> shown = (List<Map<String, Object>>) trace.get("spans");
        assertThat(shown).hasSize(Queries.MAX_TRACE_SPANS);
        assertThat(trace).containsEntry("spanCount", count).containsEntry("omittedSpans", 2_500);
        assertThat(shown.get(0).get("name")).isEqualTo("s0");
        assertThat(shown.get(shown.size() - 1).get("name")).isEqualTo("s" + (Queries.MAX_TRACE_SPANS - 1));
        assertThat(queries.trace(hex(id(1, 1, 16)))).isNull();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> allLogs() {
        return (List<Map<String, Object>>)
                queries.logs(new Queries.LogQuery(null, null, null, null, Map.of(), null, null, 0, 100))
                        .get("logs");
    }

    // 4
    @Test
    void mapAndArrayBodiesAreJson() {
        AnyValue map = AnyValue.newBuilder()
                .setKvlistValue(KeyValueList.newBuilder()
                        .addValues(kv("user", "u-1"))
                        .addValues(io.opentelemetry.proto.common.v1.KeyValue.newBuilder()
                                .setKey("attempts")
                                .setValue(AnyValue.newBuilder().setIntValue(3))))
                .build();
        AnyValue array = AnyValue.newBuilder()
                .setArrayValue(ArrayValue.newBuilder()
                        .addValues(AnyValue.newBuilder().setStringValue("a"))
                        .addValues(AnyValue.newBuilder().setBoolValue(true)))
                .build();
        logs(
                LogRecord.newBuilder().setTimeUnixNano(T0).setBody(map),
                LogRecord.newBuilder().setTimeUnixNano(T0 + MS).setBody(array));

        assertThat(column(allLogs(), "body")).containsExactly("[\"a\",true]", "{\"user\":\"u-1\",\"attempts\":3}");
    }

    // 5
    @Test
    void aLogWithoutTimestampTakesTheObservedTimeThenTheArrivalTime() {
        long before = System.currentTimeMillis();
        logs(
                LogRecord.newBuilder().setObservedTimeUnixNano(T0 + 5 * MS).setBody(str("observed")),
                LogRecord.newBuilder().setBody(str("neither")));
        long after = System.currentTimeMillis();

        List<Map<String, Object>> logs = allLogs();
        assertThat(logs.get(0)).containsEntry("body", "neither");
        assertThat((double) logs.get(0).get("timeMs")).isBetween((double) before - 1, (double) after + 1);
        assertThat(logs.get(1)).containsEntry("body", "observed").containsEntry("timeMs", 1_700_000_000_005.0);
    }

    private static AnyValue str(String s) {
        return AnyValue.newBuilder().setStringValue(s).build();
    }

    // 6
    @Test
    void logsAreListedByTimeNotArrival() {
        // A second sender's batch arrives late: its records are older than what arrived before them.
        logs(
                LogRecord.newBuilder().setTimeUnixNano(T0 + 30 * MS).setBody(str("c")),
                LogRecord.newBuilder().setTimeUnixNano(T0 + 40 * MS).setBody(str("d")));
        logs(
                LogRecord.newBuilder().setTimeUnixNano(T0 + 10 * MS).setBody(str("a")),
                LogRecord.newBuilder().setTimeUnixNano(T0 + 35 * MS).setBody(str("b")));
        // A page of two: the newest two by time, though an older record arrived between them.
        Map<String, Object> page =
                queries.logs(new Queries.LogQuery(null, null, null, null, Map.of(), null, null, 0, 2));
        assertThat(column(castList(page.get("logs")), "body")).containsExactly("d", "b");
        for (int i = 0; i < 50; i++) {
            logs(LogRecord.newBuilder().setTimeUnixNano(T0 + (100 + i) * MS).setBody(str("later " + i)));
        }

        assertThat(column(allLogs(), "body")).startsWith("later 49").endsWith("d", "b", "c", "a");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> castList(Object o) {
        return (List<Map<String, Object>>) o;
    }

    @Test
    void tracesAreListedByStartTimeNotArrival() {
        // Trace 2 (started at 50 ms) arrives before trace 1 (started at 100 ms): 1 is the newest.
        spans(span(2, 20, 0, "older", 50, 60));
        spans(span(1, 10, 0, "newer", 100, 110));
        spans(span(3, 30, 0, "oldest-arrives-last", 0, 500));

        List<Map<String, Object>> traces =
                queries.traces(new Queries.TraceQuery(null, null, null, null, null, Map.of(), null, null, 10));

        assertThat(column(traces, "rootName")).containsExactly("newer", "older", "oldest-arrives-last");
        List<Map<String, Object>> top1 =
                queries.traces(new Queries.TraceQuery(null, null, null, null, null, Map.of(), null, null, 1));
        assertThat(column(top1, "rootName")).containsExactly("newer");
    }

    @Test
    void traceListSortsByDurationAndPagesWithACursor() {
        for (int i = 1; i <= 5; i++) {
            spans(span(i, i, 0, "t" + i, i * 10, i * 10 + (i % 3 + 1) * 100)); // durations 200,300,100,200,300
        }
        Queries.TracePage first = queries.tracePage(new Queries.TraceQuery(
                null, null, null, null, null, Map.of(), null, null, 2, null, Queries.TraceSort.DURATION, null));
        Queries.TracePage second = queries.tracePage(new Queries.TraceQuery(
                null,
                null,
                null,
                null,
                null,
                Map.of(),
                null,
                null,
                2,
                null,
                Queries.TraceSort.DURATION,
                first.nextCursor()));
        Queries.TracePage third = queries.tracePage(new Queries.TraceQuery(
                null,
                null,
                null,
                null,
                null,
                Map.of(),
                null,
                null,
                2,
                null,
                Queries.TraceSort.DURATION,
                second.nextCursor()));

        List<Object> names = new ArrayList<>(column(first.traces(), "rootName"));
        names.addAll(column(second.traces(), "rootName"));
        names.addAll(column(third.traces(), "rootName"));
        assertThat(names).containsExactly("t5", "t2", "t4", "t1", "t3");
        assertThat(third.nextCursor()).isNull();

        Queries.TracePage newest = queries.tracePage(new Queries.TraceQuery(
                null, null, null, null, null, Map.of(), null, null, 3, null, Queries.TraceSort.START, null));
        Queries.TracePage rest = queries.tracePage(new Queries.TraceQuery(
                null,
                null,
                null,
                null,
                null,
                Map.of(),
                null,
                null,
                3,
                null,
                Queries.TraceSort.START,
                newest.nextCursor()));
        assertThat(column(newest.traces(), "rootName")).containsExactly("t5", "t4", "t3");
        assertThat(column(rest.traces(), "rootName")).containsExactly("t2", "t1");
        assertThat(rest.nextCursor()).isNull();
    }

    // 7
    @Test
    void aCumulativeCountersFirstPointIsARateAgainstZeroAtItsStartTime() {
        Sum.Builder sum = Sum.newBuilder()
                .setIsMonotonic(true)
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        // Started 10 s before the first export with 20 counted: 2/s from the first point (it was no rate at all).
        long start = T0 - 10_000 * MS;
        sum.addDataPoints(NumberDataPoint.newBuilder()
                .setStartTimeUnixNano(start)
                .setTimeUnixNano(T0)
                .setAsInt(20));
        sum.addDataPoints(NumberDataPoint.newBuilder()
                .setStartTimeUnixNano(start)
                .setTimeUnixNano(T0 + 10_000 * MS)
                .setAsInt(30));
        // A restart: a new start time, counted from zero there (5 in 5 s), then a run again.
        sum.addDataPoints(NumberDataPoint.newBuilder()
                .setStartTimeUnixNano(T0 + 15_000 * MS)
                .setTimeUnixNano(T0 + 20_000 * MS)
                .setAsInt(5));
        sum.addDataPoints(NumberDataPoint.newBuilder()
                .setStartTimeUnixNano(T0 + 15_000 * MS)
                .setTimeUnixNano(T0 + 30_000 * MS)
                .setAsInt(25));
        metric(Metric.newBuilder().setName("requests").setSum(sum));

        List<double[]> rates = points(series("requests", null), 0);

        assertThat(rates).hasSize(4);
        assertThat(rates.get(0)).containsExactly(1_700_000_000_000.0, 2.0);
        assertThat(rates.get(1)).containsExactly(1_700_000_010_000.0, 1.0);
        assertThat(rates.get(2)).containsExactly(1_700_000_020_000.0, 1.0);
        assertThat(rates.get(3)).containsExactly(1_700_000_030_000.0, 2.0);
    }

    @Test
    void aCumulativeFirstPointWithoutAStartTimeIsNoRate() {
        Sum.Builder sum = Sum.newBuilder()
                .setIsMonotonic(true)
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        sum.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsInt(20));
        sum.addDataPoints(
                NumberDataPoint.newBuilder().setTimeUnixNano(T0 + 10_000 * MS).setAsInt(30));
        metric(Metric.newBuilder().setName("unstarted").setSum(sum));

        List<double[]> rates = points(series("unstarted", null), 0);

        assertThat(rates).hasSize(1);
        assertThat(rates.get(0)).containsExactly(1_700_000_010_000.0, 1.0);
    }

    // 9
    @Test
    @SuppressWarnings("unchecked")
    void histogramCountAndSumAreQueryable() {
        Histogram.Builder h = Histogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        h.addDataPoints(HistogramDataPoint.newBuilder()
                .setStartTimeUnixNano(T0)
                .setTimeUnixNano(T0 + 10_000 * MS)
                .setCount(4)
                .setSum(2.0)
                .addExplicitBounds(1.0)
                .addBucketCounts(4)
                .addBucketCounts(0));
        h.addDataPoints(HistogramDataPoint.newBuilder()
                .setStartTimeUnixNano(T0)
                .setTimeUnixNano(T0 + 20_000 * MS)
                .setCount(10)
                .setSum(8.0)
                .addExplicitBounds(1.0)
                .addBucketCounts(8)
                .addBucketCounts(2));
        metric(Metric.newBuilder().setName("duration").setUnit("s").setHistogram(h));

        Map<String, Object> s = series("duration", List.of("count", "sum", "mean", "rate"));

        assertThat(points(s, 0)).extracting(p -> p[1]).containsExactly(4.0, 10.0);
        assertThat(points(s, 1)).extracting(p -> p[1]).containsExactly(2.0, 8.0);
        assertThat(points(s, 2)).extracting(p -> p[1]).containsExactly(0.5, 1.0); // (8-2)/(10-4)
        assertThat(points(s, 3)).extracting(p -> p[1]).containsExactly(0.4, 0.6); // 4 since the start, 6 more
        Map<String, Object> raw =
                queries.points(new Queries.SeriesQuery("duration", null, Map.of(), null, null, new double[0]), 100);
        Map<String, Object> last = ((List<Map<String, Object>>) raw.get("points")).get(1);
        assertThat(last).containsEntry("count", 10L).containsEntry("sum", 8.0);
        assertThat((long[]) last.get("counts")).containsExactly(8, 2);
    }

    // 10
    @Test
    void aTraceMatchesWhenOneOfItsSpansMatchesEverySpanFilterAndTheTraceTheTraceFilters() {
        // A failed login: the server span is fine (a 401), its authentication child failed; 60 ms in all.
        spans(
                span(1, 1, 0, "POST /api/v1/auth/login", 0, 60),
                span(1, 2, 1, "auth.login", 5, 10).setStatus(Status.newBuilder().setCodeValue(2)),
                span(2, 3, 0, "GET /health", 100, 101));

        assertThat(traces(q("POST /api/v1/auth/login", null, 2, null))).containsExactly("POST /api/v1/auth/login");
        // The trace lasted 60 ms though the failing span took 5.
        assertThat(traces(q(null, null, 2, 50L * MS))).containsExactly("POST /api/v1/auth/login");
        // Span filters hold on one span: no span is both named auth.login and of another service.
        assertThat(traces(new Queries.TraceQuery("other", "auth.login", null, null, null, Map.of(), null, null, 10)))
                .isEmpty();
        assertThat(traces(q("GET /health", null, 2, null))).isEmpty();
    }

    private static Queries.TraceQuery q(String rootName, String name, Integer status, Long minDuration) {
        return new Queries.TraceQuery(
                null,
                name,
                minDuration,
                null,
                status,
                Map.of(),
                null,
                null,
                10,
                rootName,
                Queries.TraceSort.START,
                null);
    }

    private List<Object> traces(Queries.TraceQuery q) {
        return column(queries.traces(q), "rootName");
    }

    @Test
    void seriesGroupedByALabelAreSummed() {
        Sum.Builder sum = Sum.newBuilder()
                .setIsMonotonic(true)
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (String status : List.of("ok", "error")) {
            for (int i = 0; i < 3; i++) {
                sum.addDataPoints(NumberDataPoint.newBuilder()
                        .addAttributes(kv("route", "/a"))
                        .addAttributes(kv("status", status))
                        .setStartTimeUnixNano(T0)
                        .setTimeUnixNano(T0 + (i + 1) * 10_000 * MS)
                        .setAsInt((status.equals("ok") ? 10 : 1) * (i + 1) * 10L));
            }
        }
        metric(Metric.newBuilder().setName("hits").setSum(sum));

        Map<String, Object> grouped = queries.series(new Queries.SeriesQuery(
                "hits", null, Map.of(), null, null, new double[] {0.5}, null, List.of("route")));

        List<Map<String, Object>> series = castList(grouped.get("series"));
        assertThat(series).hasSize(1);
        assertThat(series.get(0).get("labels")).isEqualTo(Map.of("route", "/a"));
        // 10/s + 1/s at every point (the first against zero at the series' start).
        assertThat(points(grouped, 0)).extracting(p -> p[1]).containsExactly(11.0, 11.0, 11.0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theOverviewHasRedPerServiceAndTheServiceGraph() {
        ResourceSpans.Builder front = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "frontend")))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .addSpans(span(1, 1, 0, "GET /", 0, 100).setKind(Span.SpanKind.SPAN_KIND_SERVER))
                        .addSpans(span(1, 2, 1, "GET backend", 10, 90).setKind(Span.SpanKind.SPAN_KIND_CLIENT)));
        ResourceSpans.Builder back = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "backend")))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .addSpans(span(1, 3, 2, "GET /data", 20, 80)
                                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                                .setStatus(Status.newBuilder().setCodeValue(2))));
        store.ingest(
                Signal.TRACES,
                ExportTraceServiceRequest.newBuilder()
                        .addResourceSpans(front)
                        .addResourceSpans(back)
                        .build());

        Map<String, Object> overview = queries.services(null, null);

        List<Map<String, Object>> services = (List<Map<String, Object>>) overview.get("services");
        assertThat(column(services, "service")).containsExactly("backend", "frontend");
        assertThat(services.get(0)).containsEntry("requests", 1).containsEntry("errors", 1L);
        assertThat(services.get(0)).containsEntry("p95Ms", 60.0);
        assertThat(services.get(1)).containsEntry("requests", 1).containsEntry("errors", 0L);
        assertThat(services.get(1)).containsEntry("p95Ms", 100.0);
        assertThat((List<Map<String, Object>>) overview.get("edges"))
                .containsExactly(Map.of("from", "frontend", "to", "backend", "calls", 1L, "errors", 1L));
        assertThat(queries.spansIndexed()).isZero(); // three spans: scanned, no index built
    }

    @Test
    @SuppressWarnings("unchecked")
    void theOverviewCountsASpanSentTwiceOnce() {
        ResourceSpans.Builder front = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "frontend")))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .addSpans(span(1, 1, 0, "GET /", 0, 100).setKind(Span.SpanKind.SPAN_KIND_SERVER))
                        .addSpans(span(1, 2, 1, "GET backend", 10, 90).setKind(Span.SpanKind.SPAN_KIND_CLIENT)));
        ResourceSpans.Builder back = ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "backend")))
                .addScopeSpans(ScopeSpans.newBuilder()
                        .addSpans(span(1, 3, 2, "GET /data", 20, 80)
                                .setKind(Span.SpanKind.SPAN_KIND_SERVER)
                                .setStatus(Status.newBuilder().setCodeValue(2))));
        ExportTraceServiceRequest batch = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(front)
                .addResourceSpans(back)
                .build();
        // An exporter's retry after an answer it lost: the same batch again, the same span ids.
        store.ingest(Signal.TRACES, batch);
        store.ingest(Signal.TRACES, batch);

        Map<String, Object> overview = queries.services(null, null);

        List<Map<String, Object>> services = (List<Map<String, Object>>) overview.get("services");
        assertThat(column(services, "service")).containsExactly("backend", "frontend");
        assertThat(column(services, "requests")).containsExactly(1, 1);
        assertThat(column(services, "errors")).containsExactly(1L, 0L);
        assertThat((List<Map<String, Object>>) overview.get("edges"))
                .containsExactly(Map.of("from", "frontend", "to", "backend", "calls", 1L, "errors", 1L));
        // As the trace view counts them.
        assertThat(queries.trace(hex(id(1, 1, 16)))).containsEntry("spanCount", 3);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theOverviewFindsParentsInALargeTraceThroughAnIndex() {
        // One trace of 20,000 spans, a chain whose services alternate: every span but the root calls across services.
        int n = 20_000;
        ScopeSpans.Builder front = ScopeSpans.newBuilder();
        ScopeSpans.Builder back = ScopeSpans.newBuilder();
        for (int i = 1; i <= n; i++) {
            Span.Builder s = span(1, i, i - 1, "op " + i, i, 2L * n - i).setKind(Span.SpanKind.SPAN_KIND_INTERNAL);
            (i % 2 == 1 ? front : back).addSpans(s);
        }
        store.ingest(
                Signal.TRACES,
                ExportTraceServiceRequest.newBuilder()
                        .addResourceSpans(ResourceSpans.newBuilder()
                                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "frontend")))
                                .addScopeSpans(front))
                        .addResourceSpans(ResourceSpans.newBuilder()
                                .setResource(Resource.newBuilder().addAttributes(kv("service.name", "backend")))
                                .addScopeSpans(back))
                        .build());

        Map<String, Object> overview = queries.services(null, null);

        // The complexity, not the clock: the trace was indexed once (a scan per span would visit ~n²/2 = 2e8 spans).
        assertThat(queries.spansIndexed()).isEqualTo(n);
        assertThat((List<Map<String, Object>>) overview.get("edges"))
                .containsExactly(
                        Map.of("from", "backend", "to", "frontend", "calls", (long) n / 2 - 1, "errors", 0L),
                        Map.of("from", "frontend", "to", "backend", "calls", (long) n / 2, "errors", 0L));
        List<Map<String, Object>> services = (List<Map<String, Object>>) overview.get("services");
        assertThat(column(services, "requests")).containsExactly(n / 2, n / 2);
        // A second overview indexes the trace again (the index lives for one query: the store may change between).
        queries.services(null, null);
        assertThat(queries.spansIndexed()).isEqualTo(2L * n);
    }

    private static LogRecord.Builder logAt(String body, long ms) {
        return LogRecord.newBuilder().setTimeUnixNano(T0 + ms * MS).setBody(str(body));
    }

    private Map<String, Object> logPage(int limit, String cursor, long afterSeq) {
        return queries.logs(
                new Queries.LogQuery(null, null, null, null, Map.of(), null, null, afterSeq, limit, cursor));
    }

    @Test
    void aLogRecordShowsItsResourcesServiceInstanceId() {
        store.ingest(
                Signal.LOGS,
                ExportLogsServiceRequest.newBuilder()
                        .addResourceLogs(ResourceLogs.newBuilder()
                                .setResource(Resource.newBuilder()
                                        .addAttributes(kv("service.name", "svc"))
                                        .addAttributes(kv("service.instance.id", "pod-7")))
                                .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(logAt("from pod 7", 10))))
                        .build());
        logs(logAt("from a sender that does not say", 20));

        List<Map<String, Object>> page = castList(logPage(10, null, 0).get("logs"));

        assertThat(column(page, "body")).containsExactly("from a sender that does not say", "from pod 7");
        assertThat(column(page, "instance")).containsExactly("", "pod-7");
    }

    @Test
    void logsPageWithAStableCursorWithoutRepeatsOrGapsWhileNewRecordsArrive() {
        // Out of arrival order, two at the same time (the later arrival first): g f e d c b a, newest first.
        logs(logAt("d", 30), logAt("e", 40), logAt("b", 20)); // seq 1, 2, 3
        logs(logAt("g", 60), logAt("a", 10), logAt("f", 50), logAt("c", 20)); // seq 4, 5, 6, 7

        Map<String, Object> first = logPage(3, null, 0);
        assertThat(column(castList(first.get("logs")), "body")).containsExactly("g", "f", "e");
        assertThat(first.get("nextCursor")).isEqualTo((T0 + 40 * MS) + ":2");

        // Between the pages: a newer record (the live tail's), one as old as the cursor's but later (before it in
        // the order, so also the tail's), and a late one older than the cursor (it belongs on a later page).
        logs(logAt("h", 70), logAt("x", 40), logAt("y", 25)); // seq 8, 9, 10

        Map<String, Object> second = logPage(3, (String) first.get("nextCursor"), 0);
        assertThat(column(castList(second.get("logs")), "body")).containsExactly("d", "y", "c");
        assertThat(second.get("nextCursor")).isEqualTo((T0 + 20 * MS) + ":7");
        Map<String, Object> third = logPage(3, (String) second.get("nextCursor"), 0);
        assertThat(column(castList(third.get("logs")), "body")).containsExactly("b", "a");
        assertThat(third.get("nextCursor")).isNull();
        // The tail since the first page has the rest: every record shown exactly once.
        Map<String, Object> tail = logPage(100, null, (long) first.get("latestSeq"));
        assertThat(column(castList(tail.get("logs")), "body")).containsExactly("h", "x", "y");
        assertThat(first.get("latestSeq")).isEqualTo(7L);
        // A page exactly as long as what is left has no next page.
        assertThat(logPage(2, (String) second.get("nextCursor"), 0).get("nextCursor"))
                .isNull();
    }

    private static HistogramDataPoint.Builder histogramPoint(String route, long startS, long timeS, long... counts) {
        HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder()
                .addAttributes(kv("route", route))
                .setStartTimeUnixNano(T0 + startS * 1000 * MS)
                .setTimeUnixNano(T0 + timeS * 1000 * MS)
                .addExplicitBounds(0.1)
                .addExplicitBounds(0.5)
                .addExplicitBounds(1.0);
        long total = 0;
        for (long c : counts) {
            p.addBucketCounts(c);
            total += c;
        }
        return p.setCount(total);
    }

    private Map<String, Object> heatmap(String metric, int limit) {
        return queries.heatmap(new Queries.SeriesQuery(metric, null, Map.of(), null, null, new double[0]), limit);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aHistogramHeatmapCountsEachBucketPerIntervalWithItsExemplars() {
        // A cumulative series (its first point has no interval) and a delta series, on the same bucket edges.
        metric(Metric.newBuilder()
                .setName("latency")
                .setUnit("s")
                .setHistogram(Histogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(histogramPoint("/a", 0, 10, 2, 1, 0, 0))
                        .addDataPoints(histogramPoint("/a", 0, 20, 5, 3, 1, 0))
                        .addDataPoints(histogramPoint("/a", 0, 30, 5, 3, 4, 1)
                                .addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder()
                                        .setTimeUnixNano(T0 + 25_000 * MS)
                                        .setAsDouble(0.7)
                                        .setTraceId(id(1, 42, 16))
                                        .setSpanId(id(0, 43, 8))))));
        metric(Metric.newBuilder()
                .setName("latency")
                .setUnit("s")
                .setHistogram(Histogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(histogramPoint("/b", 10, 20, 1, 0, 0, 0))
                        .addDataPoints(histogramPoint("/b", 20, 30, 0, 0, 0, 2))));

        Map<String, Object> heat = heatmap("latency", 300);

        List<Map<String, Object>> buckets = (List<Map<String, Object>>) heat.get("buckets");
        assertThat(column(buckets, "lower")).containsExactly(null, 0.1, 0.5, 1.0);
        assertThat(column(buckets, "upper")).containsExactly(0.1, 0.5, 1.0, null);
        List<Map<String, Object>> columns = (List<Map<String, Object>>) heat.get("columns");
        assertThat(column(columns, "timeMs")).containsExactly(1_700_000_020_000.0, 1_700_000_030_000.0);
        assertThat(column(columns, "startMs")).containsExactly(1_700_000_010_000.0, 1_700_000_020_000.0);
        // At 20 s: /a's 3, 2, 1 since 10 s and /b's 1; at 30 s: /a's 0, 0, 3, 1 and /b's 2 over 1.
        assertThat((long[]) columns.get(0).get("counts")).containsExactly(4, 2, 1, 0);
        assertThat((long[]) columns.get(1).get("counts")).containsExactly(0, 0, 3, 3);
        assertThat(column(columns, "total")).containsExactly(7L, 6L);
        assertThat(heat.get("maxCount")).isEqualTo(4L);
        // The exemplar sits in the (0.5, 1] bucket of the 30 s column and leads to its trace.
        assertThat((List<Map<String, Object>>) heat.get("exemplars"))
                .singleElement()
                .satisfies(e -> assertThat(e)
                        .containsEntry("column", 1)
                        .containsEntry("bucket", 2)
                        .containsEntry("value", 0.7)
                        .containsEntry("traceId", hex(id(1, 42, 16)))
                        .containsEntry("spanId", hex(id(0, 43, 8))));
        // The newest column only.
        List<Map<String, Object>> newest =
                (List<Map<String, Object>>) heatmap("latency", 1).get("columns");
        assertThat(column(newest, "total")).containsExactly(6L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void anExponentialHistogramHeatmapHasRowsFromScaleAndOffset() {
        ExponentialHistogram.Builder h = ExponentialHistogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
        // Scale 0: bucket i is (2^i, 2^(i+1)]. First (1, 2] ×1 and (2, 4] ×2; then 0 ×1 and (2, 4] ×4.
        h.addDataPoints(ExponentialHistogramDataPoint.newBuilder()
                .setStartTimeUnixNano(T0)
                .setTimeUnixNano(T0 + 10_000 * MS)
                .setCount(3)
                .setScale(0)
                .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder()
                        .setOffset(0)
                        .addBucketCounts(1)
                        .addBucketCounts(2)));
        h.addDataPoints(ExponentialHistogramDataPoint.newBuilder()
                .setStartTimeUnixNano(T0 + 10_000 * MS)
                .setTimeUnixNano(T0 + 20_000 * MS)
                .setCount(5)
                .setZeroCount(1)
                .setScale(0)
                .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder()
                        .setOffset(1)
                        .addBucketCounts(4)));
        metric(Metric.newBuilder().setName("size").setExponentialHistogram(h));

        Map<String, Object> heat = heatmap("size", 300);

        List<Map<String, Object>> buckets = (List<Map<String, Object>>) heat.get("buckets");
        // The zero bucket [0, 0], then the empty gap (0, 1], then (1, 2] and (2, 4].
        assertThat(column(buckets, "upper")).containsExactly(0.0, 1.0, 2.0, 4.0);
        assertThat(column(buckets, "lower")).containsExactly(-0.0, 0.0, 1.0, 2.0);
        List<Map<String, Object>> columns = (List<Map<String, Object>>) heat.get("columns");
        assertThat((long[]) columns.get(0).get("counts")).containsExactly(0, 0, 1, 2);
        assertThat((long[]) columns.get(1).get("counts")).containsExactly(1, 0, 0, 4);
        assertThat(heat.get("maxCount")).isEqualTo(4L);
    }

    @Test
    void onlyHistogramsHaveAHeatmap() {
        metric(Metric.newBuilder()
                .setName("queue")
                .setGauge(io.opentelemetry.proto.metrics.v1.Gauge.newBuilder()
                        .addDataPoints(
                                NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsInt(3))));

        assertThat(heatmap("nothing", 10)).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> heatmap("queue", 10))
                .isInstanceOf(Queries.NotAHistogram.class)
                .hasMessageContaining("gauge");
    }
}
