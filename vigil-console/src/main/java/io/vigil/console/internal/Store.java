package io.vigil.console.internal;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.MetricType;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanRecord;
import io.vigil.console.internal.Records.Stored;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The in-memory store: spans, log records and metric points in insertion order, bounded by the heap bytes of their
 * encoded form. When a batch would exceed the bound the oldest records of any signal go first. One ingest thread writes;
 * queries read under a read lock.
 *
 * <p>Each record is kept as one {@code byte[]} ({@link RecordCodec}) and decoded when a query visits it: an embedded
 * console lives in the service's heap, and records kept as objects (a score each) were copied by every young
 * collection until promoted, for as long as the store kept growing — the tail latency the embedded console cost
 * identity-service (bench/README, issue 17). The bound counts the arrays, their slots and the trace index as they are
 * in the heap, and the codec's dictionary.
 */
public final class Store {
    private final long maxBytes;
    // The converters make short-lived records: each is encoded at once, so nothing is interned or estimated.
    private final OtlpConverter converter = new OtlpConverter();
    private final SdkConverter sdkConverter = new SdkConverter();
    private final AtomicLong seq = new AtomicLong();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private final RecordCodec codec;
    private final ArrayDeque<byte[]> spans = new ArrayDeque<>();
    private final ArrayDeque<byte[]> logs = new ArrayDeque<>();
    private final ArrayDeque<byte[]> points = new ArrayDeque<>();
    // Per trace, spans in arrival order: eviction (also in arrival order) takes from the front in O(1).
    private final Map<String, ArrayDeque<byte[]>> traces = new HashMap<>();
    private final Map<String, MetricInfo> metrics = new HashMap<>();
    private long bytes;
    private long version; // moves on with every write: what a reader decoded before is stale
    private long evicted;
    // Records arrive roughly, not exactly, in time order (batching, several senders, a root span ending last).
    // The largest time seen so far and the most any record came later than that bound how far back in arrival order
    // a newest-by-time query must look: every record that arrived before one stamped t is stamped at most t + lateness.
    private long maxSpanStart = Long.MIN_VALUE;
    private long spanLateness;
    private long maxLogTime = Long.MIN_VALUE;
    private long logLateness;

    /** What the store knows about a metric, for the metric list. */
    public static final class MetricInfo {
        final String name;
        final MetricType type;
        final String unit;
        final String description;
        final Set<String> services = new TreeSet<>();
        long points;

        MetricInfo(String name, MetricType type, String unit, String description) {
            this.name = name;
            this.type = type;
            this.unit = unit;
            this.description = description;
        }
    }

    public Store(long maxBytes) {
        this.maxBytes = maxBytes;
        // A quarter of the bound at most for shared strings and resources: records always fit in the rest.
        this.codec = new RecordCodec(maxBytes / 4);
    }

    /** Converts and stores one export request. Called from the ingest thread only. */
    public void ingest(Signal signal, Message request) {
        insert(signal, request);
    }

    /** Converts and stores one in-process batch of SDK data. Called from the ingest thread only. */
    public void ingest(DirectBatch batch) {
        insert(null, batch);
    }

    private void insert(Signal signal, Object request) {
        List<Stored> batch = new ArrayList<>();
        List<String[]> meta = new ArrayList<>();
        OtlpConverter.Sink sink = new OtlpConverter.Sink() {
            @Override
            public long nextSeq() {
                return seq.incrementAndGet();
            }

            @Override
            public void span(SpanRecord span) {
                batch.add(span);
            }

            @Override
            public void log(LogRecord log) {
                batch.add(log);
            }

            @Override
            public void point(PointRecord point, String unit, String description) {
                batch.add(point);
                meta.add(new String[] {unit, description});
            }
        };
        if (request instanceof DirectBatch direct) {
            sdkConverter.convert(direct, sink);
        } else {
            switch (signal) {
                case TRACES -> converter.traces((ExportTraceServiceRequest) request, sink);
                case LOGS -> converter.logs((ExportLogsServiceRequest) request, sink);
                case METRICS -> converter.metrics((ExportMetricsServiceRequest) request, sink);
            }
        }
        lock.writeLock().lock();
        try {
            version++;
            int m = 0;
            for (Stored s : batch) {
                String[] um = s instanceof PointRecord ? meta.get(m++) : null;
                long dictionary = codec.dictionaryBytes();
                byte[] b = switch (s) {
                    case SpanRecord span -> codec.encode(span);
                    case LogRecord log -> codec.encode(log);
                    case PointRecord point -> codec.encode(point);
                };
                // The dictionary keeps what it took in even from a record that is not kept: charged either way.
                bytes += codec.dictionaryBytes() - dictionary;
                long size = size(b);
                if (size > maxBytes) {
                    evicted++; // larger than the whole store: never kept
                    evictToBound();
                    continue;
                }
                bytes += size;
                switch (s) {
                    case SpanRecord span -> {
                        if (span.startNanos() < maxSpanStart) {
                            spanLateness = Math.max(spanLateness, maxSpanStart - span.startNanos());
                        }
                        maxSpanStart = Math.max(maxSpanStart, span.startNanos());
                        spans.addLast(b);
                        ArrayDeque<byte[]> trace = traces.get(span.traceId());
                        if (trace == null) {
                            trace = new ArrayDeque<>(4);
                            traces.put(span.traceId(), trace);
                            bytes += TRACE_ENTRY;
                        }
                        trace.add(b);
                    }
                    case LogRecord log -> {
                        if (log.timeNanos() < maxLogTime) {
                            logLateness = Math.max(logLateness, maxLogTime - log.timeNanos());
                        }
                        maxLogTime = Math.max(maxLogTime, log.timeNanos());
                        logs.addLast(b);
                    }
                    case PointRecord point -> {
                        points.addLast(b);
                        MetricInfo info = metrics.computeIfAbsent(
                                point.metric(), k -> new MetricInfo(k, point.type(), um[0], um[1]));
                        info.points++;
                        info.services.add(point.service());
                    }
                }
                evictToBound();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * What a record's array takes in the heap (header, content, padding) and its slots: one in its signal's queue, one
     * in its trace's; uncompressed, so the queues' spare capacity is covered.
     */
    static long size(byte[] b) {
        return ((16 + b.length + 7) & ~7L) + 2 * Sizes.REF;
    }

    /** A trace's entry in the index: map node, id string, its queue (charged while the trace has spans). */
    static final long TRACE_ENTRY = 48 + 88 + 64 + 2 * Sizes.REF;

    /** Evicts the oldest records, of any signal, until the store is within its bound (or empty). */
    private void evictToBound() {
        while (bytes > maxBytes && evictOldest()) {
            // oldest first, of any signal
        }
    }

    /** Evicts the oldest record of any signal; false when none is left. */
    private boolean evictOldest() {
        byte[] s = spans.peekFirst();
        byte[] l = logs.peekFirst();
        byte[] p = points.peekFirst();
        long ss = s == null ? Long.MAX_VALUE : codec.seq(s);
        long ls = l == null ? Long.MAX_VALUE : codec.seq(l);
        long ps = p == null ? Long.MAX_VALUE : codec.seq(p);
        if (ss <= ls && ss <= ps && s != null) {
            spans.pollFirst();
            String traceId = codec.traceId(s);
            ArrayDeque<byte[]> trace = traces.get(traceId);
            if (trace != null) {
                if (trace.peekFirst() == s) {
                    trace.pollFirst();
                } else {
                    trace.removeFirstOccurrence(s);
                }
                if (trace.isEmpty()) {
                    traces.remove(traceId);
                    bytes -= TRACE_ENTRY;
                }
            }
            bytes -= size(s);
        } else if (ls <= ps && l != null) {
            logs.pollFirst();
            bytes -= size(l);
        } else if (p != null) {
            points.pollFirst();
            String metric = codec.metric(p);
            MetricInfo info = metrics.get(metric);
            if (info != null && --info.points == 0) {
                metrics.remove(metric);
            }
            bytes -= size(p);
        } else {
            return false;
        }
        evicted++;
        return true;
    }

    /** Bytes held now (estimate, an upper bound). */
    public long bytes() {
        lock.readLock().lock();
        try {
            return bytes;
        } finally {
            lock.readLock().unlock();
        }
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Counts for the stats endpoint: spans, logs, points, traces, evicted. */
    public long[] counts() {
        lock.readLock().lock();
        try {
            return new long[] {spans.size(), logs.size(), points.size(), traces.size(), evicted};
        } finally {
            lock.readLock().unlock();
        }
    }

    // ---- queries ----

    /** Spans newest first, until the consumer has seen enough (returns false to stop). */
    public void spansNewestFirst(Predicate<SpanRecord> visitor) {
        lock.readLock().lock();
        try {
            for (Iterator<byte[]> it = spans.descendingIterator(); it.hasNext(); ) {
                if (!visitor.test(codec.span(it.next()))) {
                    return;
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * How much earlier than the latest start seen before it a span has arrived (nanoseconds, never decreasing): a span
     * that arrived before one starting at {@code t} started at most {@code t + spanLateness()}.
     */
    public long spanLateness() {
        lock.readLock().lock();
        try {
            return spanLateness;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The latest span start seen (Unix nanoseconds), or {@code Long.MIN_VALUE} before the first span. */
    public long latestSpanStart() {
        lock.readLock().lock();
        try {
            return maxSpanStart;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** As {@link #spanLateness()}, for log record timestamps. */
    public long logLateness() {
        lock.readLock().lock();
        try {
            return logLateness;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The spans of one trace without a copy, for a visitor of {@link #spansNewestFirst} (which holds the read lock);
     * empty when unknown. Must not escape the visit.
     */
    Collection<SpanRecord> traceWhileVisiting(String traceId) {
        ArrayDeque<byte[]> trace = traces.get(traceId);
        if (trace == null) {
            return List.of();
        }
        // A visitor asks for the same trace once per span of it (the overview looks up parents): decoded once. No
        // writer runs under the read lock, and any write moves the version on, so a stale entry is never used.
        Decoded last = lastDecoded;
        if (last != null && last.trace == trace && last.version == version) {
            return last.spans;
        }
        List<SpanRecord> spans = decode(trace);
        lastDecoded = new Decoded(trace, version, spans);
        return spans;
    }

    private record Decoded(ArrayDeque<byte[]> trace, long version, List<SpanRecord> spans) {}

    private volatile Decoded lastDecoded;

    private List<SpanRecord> decode(ArrayDeque<byte[]> trace) {
        if (trace == null) {
            return List.of();
        }
        SpanRecord[] out = new SpanRecord[trace.size()];
        int i = 0;
        for (byte[] b : trace) {
            out[i++] = codec.span(b);
        }
        if (out.length > 1) {
            // A span sent twice (an exporter's retry after an answer it lost, a batch replayed) is one span: the
            // first copy stands, so the waterfall, the span count and the trace's errors count it once.
            Set<String> ids = HashSet.newHashSet(out.length);
            int n = 0;
            for (SpanRecord span : out) {
                if (ids.add(span.spanId())) {
                    out[n++] = span;
                }
            }
            if (n < out.length) {
                return List.of(Arrays.copyOf(out, n));
            }
        }
        return List.of(out);
    }

    /** Log records newest first, until the visitor returns false. */
    public void logsNewestFirst(Predicate<LogRecord> visitor) {
        lock.readLock().lock();
        try {
            for (Iterator<byte[]> it = logs.descendingIterator(); it.hasNext(); ) {
                if (!visitor.test(codec.log(it.next()))) {
                    return;
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Every stored point of one metric, oldest first. */
    public void points(String metric, Consumer<PointRecord> consumer) {
        lock.readLock().lock();
        try {
            for (byte[] p : points) {
                if (codec.metric(p).equals(metric)) {
                    consumer.accept(codec.point(p));
                }
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The spans of one trace (a copy), or an empty list. */
    public List<SpanRecord> trace(String traceId) {
        lock.readLock().lock();
        try {
            return decode(traces.get(traceId));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Copies of the spans of several traces, keyed by trace id in the order given. */
    public Map<String, List<SpanRecord>> traces(Iterable<String> traceIds) {
        lock.readLock().lock();
        try {
            Map<String, List<SpanRecord>> out = new LinkedHashMap<>();
            for (String id : traceIds) {
                ArrayDeque<byte[]> t = traces.get(id);
                if (t != null) {
                    out.put(id, decode(t));
                }
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Metric descriptions: name, type, unit, description, point count, services. */
    public List<Map<String, Object>> metricList() {
        lock.readLock().lock();
        try {
            List<Map<String, Object>> out = new ArrayList<>();
            for (MetricInfo m : metrics.values()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", m.name);
                row.put("type", m.type.name().toLowerCase(java.util.Locale.ROOT));
                row.put("unit", m.unit);
                row.put("description", m.description);
                row.put("points", m.points);
                row.put("services", List.copyOf(m.services));
                out.add(row);
            }
            out.sort((a, b) -> ((String) a.get("name")).compareTo((String) b.get("name")));
            return Collections.unmodifiableList(out);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The type of a metric, or null when the store holds no point of it. */
    public MetricInfo metric(String name) {
        lock.readLock().lock();
        try {
            return metrics.get(name);
        } finally {
            lock.readLock().unlock();
        }
    }
}
