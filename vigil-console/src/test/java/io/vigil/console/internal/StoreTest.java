package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The store's byte bound: oldest evicted first, and the heap it keeps alive stays within the bound. */
class StoreTest {
    private static final Resource RESOURCE = Resource.newBuilder()
            .addAttributes(kv("service.name", "flood-service"))
            .addAttributes(kv("service.version", "1.0.0"))
            .build();

    static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder()
                .setKey(key)
                .setValue(AnyValue.newBuilder().setStringValue(value))
                .build();
    }

    static ByteString id(long hi, long lo, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(16).putLong(hi).putLong(lo);
        return ByteString.copyFrom(b.array(), 16 - bytes, bytes);
    }

    /** A batch of 100 realistic spans (10 traces of 10 spans) with unique ids and a request id attribute each. */
    static ExportTraceServiceRequest spans(long batch) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        for (int i = 0; i < 100; i++) {
            long t = batch * 10 + i / 10;
            long start = 1_700_000_000_000_000_000L + batch * 1_000_000L + i;
            scope.addSpans(Span.newBuilder()
                    .setTraceId(id(7, t, 16))
                    .setSpanId(id(0, batch * 100 + i + 1, 8))
                    .setParentSpanId(i % 10 == 0 ? ByteString.EMPTY : id(0, batch * 100 + (i / 10) * 10 + 1, 8))
                    .setName(i % 10 == 0 ? "POST /api/v1/auth/login" : "auth.login.authenticate_user")
                    .setKindValue(i % 10 == 0 ? 2 : 1)
                    .setStartTimeUnixNano(start)
                    .setEndTimeUnixNano(start + 1_000_000)
                    .addAttributes(kv("request.id", "req-" + batch + "-" + i))
                    .addAttributes(kv("auth.type", "login"))
                    .addAttributes(kv("auth.status", i % 7 == 0 ? "failure" : "success")));
        }
        return ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(
                        ResourceSpans.newBuilder().setResource(RESOURCE).addScopeSpans(scope))
                .build();
    }

    static ExportLogsServiceRequest logs(long batch) {
        ScopeLogs.Builder scope = ScopeLogs.newBuilder();
        for (int i = 0; i < 100; i++) {
            scope.addLogRecords(LogRecord.newBuilder()
                    .setTimeUnixNano(1_700_000_000_000_000_000L + batch * 1000 + i)
                    .setSeverityNumberValue(9)
                    .setBody(AnyValue.newBuilder().setStringValue("User login succeeded for request " + batch + i))
                    .addAttributes(kv("event_type", "authentication")));
        }
        return ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(ResourceLogs.newBuilder().setResource(RESOURCE).addScopeLogs(scope))
                .build();
    }

    @Test
    void aFloodEvictsTheOldestAndNeverExceedsTheBound() {
        Store store = new Store(2L * 1024 * 1024);
        for (long b = 0; b < 500; b++) {
            store.ingest(Signal.TRACES, spans(b));
            store.ingest(Signal.LOGS, logs(b));
            assertThat(store.bytes()).isLessThanOrEqualTo(store.maxBytes());
        }
        long[] counts = store.counts();
        assertThat(counts[4]).as("evicted").isPositive();
        // The newest trace is whole; the oldest is gone.
        assertThat(store.trace(hex(id(7, 499 * 10 + 9, 16)))).hasSize(10);
        assertThat(store.trace(hex(id(7, 0, 16)))).isEmpty();
        Queries q = new Queries(store);
        List<Map<String, Object>> newest =
                q.traces(new Queries.TraceQuery(null, null, null, null, null, Map.of(), null, null, 1));
        assertThat(newest.get(0).get("traceId")).isEqualTo(hex(id(7, 499 * 10 + 9, 16)));
    }

    @Test
    void recordsReadBackEqualToWhatTheConverterMade() {
        ExportTraceServiceRequest traces = spans(3);
        ExportLogsServiceRequest logs = logs(3);
        List<Records.SpanRecord> spans = new ArrayList<>();
        List<Records.LogRecord> logRecords = new ArrayList<>();
        long[] seq = {0};
        OtlpConverter.Sink sink = new OtlpConverter.Sink() {
            @Override
            public long nextSeq() {
                return ++seq[0];
            }

            @Override
            public void span(Records.SpanRecord span) {
                spans.add(span);
            }

            @Override
            public void log(Records.LogRecord log) {
                logRecords.add(log);
            }

            @Override
            public void point(Records.PointRecord point, String unit, String description) {}
        };
        OtlpConverter converter = new OtlpConverter();
        converter.traces(traces, sink);
        converter.logs(logs, sink);

        Store store = new Store(64L << 20);
        store.ingest(Signal.TRACES, traces);
        store.ingest(Signal.LOGS, logs);
        List<Records.SpanRecord> storedSpans = new ArrayList<>();
        store.spansNewestFirst(storedSpans::add);
        List<Records.LogRecord> storedLogs = new ArrayList<>();
        store.logsNewestFirst(storedLogs::add);
        assertThat(storedSpans.reversed()).isEqualTo(spans);
        assertThat(storedLogs.reversed()).isEqualTo(logRecords);
        assertThat(store.trace(spans.get(0).traceId()))
                .isEqualTo(spans.stream()
                        .filter(s -> s.traceId().equals(spans.get(0).traceId()))
                        .toList());
    }

    @Test
    void evictionTakesTheOldestOfAnySignalLeavingTheNewestWithoutGaps() {
        Store store = new Store(1L << 20);
        for (long b = 0; b < 200; b++) {
            if (b % 3 == 0) {
                store.ingest(Signal.LOGS, logs(b));
            } else {
                store.ingest(Signal.TRACES, spans(b));
            }
            assertThat(store.bytes()).isLessThanOrEqualTo(store.maxBytes());
        }
        List<Long> seqs = new ArrayList<>();
        store.spansNewestFirst(s -> seqs.add(s.seq()));
        store.logsNewestFirst(l -> seqs.add(l.seq()));
        seqs.sort(null);
        long[] counts = store.counts();
        assertThat(counts[4]).as("evicted").isPositive();
        // 200 batches of 100 records: the store holds exactly the last ones, whichever signal they were.
        assertThat(seqs.getLast()).isEqualTo(20_000L);
        assertThat(seqs.getLast() - seqs.getFirst() + 1).isEqualTo(seqs.size());
        assertThat(counts[4] + seqs.size()).isEqualTo(20_000L);
        // The trace index holds exactly the traces of the spans left.
        List<String> traceIds = new ArrayList<>();
        store.spansNewestFirst(s -> traceIds.add(s.traceId()));
        assertThat(counts[3]).isEqualTo(traceIds.stream().distinct().count());
    }

    private static String hex(ByteString b) {
        return OtlpConverter.hex(b);
    }

    @Test
    void theHeapRetainedByAFullStoreStaysWithinTheBound() {
        long max = 24L * 1024 * 1024;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        Store store = new Store(max);
        // About ten times the bound goes in.
        for (long b = 0; b < 3_000; b++) {
            store.ingest(Signal.TRACES, spans(b));
        }
        long after = usedAfterGc(memory);
        long retained = after - before;
        assertThat(store.counts()[4]).as("evicted").isPositive();
        assertThat(retained)
                .as("heap retained by a store bounded at %d bytes (%d spans)", max, store.counts()[0])
                .isLessThan(max + max / 4);
        System.out.printf(
                "store bound %d MiB: %d spans kept, %d bytes estimated, %d bytes of heap retained (%.0f bytes/span)%n",
                max >> 20, store.counts()[0], store.bytes(), retained, (double) retained / store.counts()[0]);
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        long used = Long.MAX_VALUE;
        // Several collections: the first may leave garbage that a concurrent collector finishes later.
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @Test
    void queriesOver100kSpansAnswerWithinInteractiveTime() {
        Store store = new Store(1L << 30);
        for (long b = 0; b < 1_000; b++) {
            store.ingest(Signal.TRACES, spans(b));
        }
        assertThat(store.counts()[0]).isEqualTo(100_000);
        Queries q = new Queries(store);
        long t0 = System.nanoTime();
        List<Map<String, Object>> newest =
                q.traces(new Queries.TraceQuery(null, null, null, null, null, Map.of(), null, null, 100));
        long list = System.nanoTime() - t0;
        t0 = System.nanoTime();
        List<Map<String, Object>> none = q.traces(new Queries.TraceQuery(
                "flood-service", null, null, null, 2, Map.of("auth.type", "nope"), null, null, 100));
        long scan = System.nanoTime() - t0;
        t0 = System.nanoTime();
        Map<String, Object> trace = q.trace(hex(id(7, 5_000, 16)));
        long byId = System.nanoTime() - t0;

        assertThat(newest).hasSize(100);
        assertThat(none).isEmpty();
        assertThat(trace).isNotNull();
        System.out.printf(
                "100k spans: newest 100 traces %.1f ms, full scan with no match %.1f ms, trace by id %.2f ms%n",
                list / 1e6, scan / 1e6, byId / 1e6);
        // Generous for a loaded 2-core CI machine; typical figures are a few milliseconds.
        assertThat(list + scan).isLessThan(2_000_000_000L);
    }
}
