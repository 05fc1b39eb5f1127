package io.vigil.console.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.DoubleExemplarData;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.ExemplarData;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongExemplarData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.metrics.data.SumData;
import io.opentelemetry.sdk.metrics.data.SummaryPointData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.console.internal.Records.Exemplar;
import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.MetricType;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanEvent;
import io.vigil.console.internal.Records.SpanLink;
import io.vigil.console.internal.Records.SpanRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the SDK's own data (from in-process exporters) into stored records — the same records {@link OtlpConverter}
 * makes of the same data sent over OTLP, without serialising and parsing protobuf. It follows what the SDK's OTLP
 * marshalers write (invalid ids as absent, the OTLP kind and status numbers, a missing log body as none). The records are
 * encoded at once by the store, so nothing here shares strings or estimates sizes. Runs on the single ingest thread.
 */
final class SdkConverter {
    /** Resources seen in this batch: the SDK hands the same instance to every item. */
    private final Map<Resource, Map<String, Object>> resources = new IdentityHashMap<>();

    void convert(DirectBatch batch, OtlpConverter.Sink sink) {
        resources.clear();
        switch (batch) {
            case DirectBatch.Spans s -> spans(s.items(), sink);
            case DirectBatch.Logs l -> logs(l.items(), sink);
            case DirectBatch.Metrics m -> metrics(m.items(), sink);
        }
    }

    private void spans(Collection<SpanData> items, OtlpConverter.Sink sink) {
        for (SpanData s : items) {
            Map<String, Object> resource = resource(s.getResource());
            String service = OtlpConverter.service(resource);
            String scope = scope(s.getInstrumentationScopeInfo());
            Map<String, Object> attributes = attributes(s.getAttributes());
            List<SpanEvent> events = List.of();
            if (!s.getEvents().isEmpty()) {
                List<SpanEvent> list = new ArrayList<>(s.getEvents().size());
                for (EventData e : s.getEvents()) {
                    Map<String, Object> ea = attributes(e.getAttributes());
                    list.add(new SpanEvent(e.getEpochNanos(), e.getName(), ea));
                }
                events = List.copyOf(list);
            }
            List<SpanLink> links = List.of();
            if (!s.getLinks().isEmpty()) {
                List<SpanLink> list = new ArrayList<>(s.getLinks().size());
                for (LinkData l : s.getLinks()) {
                    Map<String, Object> la = attributes(l.getAttributes());
                    list.add(new SpanLink(
                            l.getSpanContext().getTraceId(), l.getSpanContext().getSpanId(), la));
                }
                links = List.copyOf(list);
            }
            String statusMessage = s.getStatus().getDescription();
            sink.span(new SpanRecord(
                    sink.nextSeq(),
                    s.getTraceId(),
                    s.getSpanId(),
                    s.getParentSpanContext().isValid() ? s.getParentSpanId() : "",
                    s.getName(),
                    kind(s.getKind()),
                    service,
                    s.getStartEpochNanos(),
                    s.getEndEpochNanos(),
                    status(s.getStatus().getStatusCode()),
                    statusMessage,
                    attributes,
                    resource,
                    scope,
                    events,
                    links,
                    Records.Dropped.of(
                            s.getTotalAttributeCount() - s.getAttributes().size(),
                            s.getTotalRecordedEvents() - s.getEvents().size(),
                            s.getTotalRecordedLinks() - s.getLinks().size()),
                    version(s.getInstrumentationScopeInfo())));
        }
    }

    /** OTLP's {@code Span.SpanKind} numbers. */
    static int kind(SpanKind kind) {
        return switch (kind) {
            case INTERNAL -> 1;
            case SERVER -> 2;
            case CLIENT -> 3;
            case PRODUCER -> 4;
            case CONSUMER -> 5;
        };
    }

    /** OTLP's {@code Status.StatusCode} numbers. */
    static int status(StatusCode code) {
        return switch (code) {
            case UNSET -> 0;
            case OK -> 1;
            case ERROR -> 2;
        };
    }

    private void logs(Collection<LogRecordData> items, OtlpConverter.Sink sink) {
        for (LogRecordData l : items) {
            Map<String, Object> resource = resource(l.getResource());
            String service = OtlpConverter.service(resource);
            String scope = scope(l.getInstrumentationScopeInfo());
            Map<String, Object> attributes = attributes(l.getAttributes());
            Value<?> bodyValue = l.getBodyValue();
            String body;
            if (bodyValue == null) {
                body = "";
            } else if (bodyValue.getValue() instanceof String s) {
                body = s;
            } else {
                Object v = value(bodyValue);
                body = v == null
                        ? ""
                        : v instanceof Map<?, ?> || v instanceof List<?> ? OtlpConverter.json(v) : String.valueOf(v);
            }
            // As OtlpConverter: the record's time, else when it was observed, else now.
            long time = l.getTimestampEpochNanos() != 0
                    ? l.getTimestampEpochNanos()
                    : l.getObservedTimestampEpochNanos() != 0 ? l.getObservedTimestampEpochNanos() : nowNanos();
            String severityText = l.getSeverityText() == null ? "" : l.getSeverityText();
            SpanContext sc = l.getSpanContext();
            sink.log(new LogRecord(
                    sink.nextSeq(),
                    time,
                    l.getSeverity().getSeverityNumber(),
                    severityText,
                    body,
                    service,
                    sc.isValid() ? sc.getTraceId() : "",
                    sc.isValid() ? sc.getSpanId() : "",
                    attributes,
                    resource,
                    scope,
                    version(l.getInstrumentationScopeInfo()),
                    l.getEventName() == null ? "" : l.getEventName()));
        }
    }

    private void metrics(Collection<MetricData> items, OtlpConverter.Sink sink) {
        for (MetricData m : items) {
            Map<String, Object> resource = resource(m.getResource());
            String service = OtlpConverter.service(resource);
            for (PointRecord p : points(m, m.getName(), service, sink)) {
                sink.point(OtlpConverter.withInstance(p, resource), m.getUnit(), m.getDescription());
            }
        }
    }

    private List<PointRecord> points(MetricData m, String name, String service, OtlpConverter.Sink sink) {
        List<PointRecord> out = new ArrayList<>();
        switch (m.getType()) {
            case LONG_GAUGE, DOUBLE_GAUGE -> {
                for (PointData p : m.getData().getPoints()) {
                    out.add(number(sink, name, MetricType.GAUGE, false, service, p));
                }
            }
            case LONG_SUM, DOUBLE_SUM -> {
                SumData<? extends PointData> sum =
                        m.getType() == MetricDataType.LONG_SUM ? m.getLongSumData() : m.getDoubleSumData();
                MetricType type = sum.isMonotonic() ? MetricType.COUNTER : MetricType.UP_DOWN_COUNTER;
                boolean delta = sum.getAggregationTemporality() == AggregationTemporality.DELTA;
                for (PointData p : sum.getPoints()) {
                    out.add(number(sink, name, type, delta, service, p));
                }
            }
            case HISTOGRAM -> {
                boolean delta = m.getHistogramData().getAggregationTemporality() == AggregationTemporality.DELTA;
                for (HistogramPointData p : m.getHistogramData().getPoints()) {
                    double[] bounds = new double[p.getBoundaries().size()];
                    for (int i = 0; i < bounds.length; i++) {
                        bounds[i] = p.getBoundaries().get(i);
                    }
                    long[] counts = new long[p.getCounts().size()];
                    for (int i = 0; i < counts.length; i++) {
                        counts[i] = p.getCounts().get(i);
                    }
                    out.add(histogram(sink, name, delta, service, p, bounds, counts, p.getCount(), p.getSum()));
                }
            }
            case EXPONENTIAL_HISTOGRAM -> {
                boolean delta =
                        m.getExponentialHistogramData().getAggregationTemporality() == AggregationTemporality.DELTA;
                for (ExponentialHistogramPointData p :
                        m.getExponentialHistogramData().getPoints()) {
                    // The SDK's zero bucket holds exact zeros only: its threshold is 0.
                    ExponentialBuckets.Explicit b = ExponentialBuckets.toExplicit(
                            p.getScale(),
                            0,
                            p.getZeroCount(),
                            p.getPositiveBuckets().getOffset(),
                            p.getPositiveBuckets().getBucketCounts(),
                            p.getNegativeBuckets().getOffset(),
                            p.getNegativeBuckets().getBucketCounts());
                    out.add(histogram(sink, name, delta, service, p, b.bounds(), b.counts(), p.getCount(), p.getSum()));
                }
            }
            case SUMMARY -> {
                for (SummaryPointData p : m.getSummaryData().getPoints()) {
                    int n = p.getValues().size();
                    double[] qs = new double[n];
                    double[] vs = new double[n];
                    for (int i = 0; i < n; i++) {
                        qs[i] = p.getValues().get(i).getQuantile();
                        vs[i] = p.getValues().get(i).getValue();
                    }
                    Map<String, String> labels = labels(p.getAttributes());
                    out.add(new PointRecord(
                            sink.nextSeq(),
                            name,
                            MetricType.SUMMARY,
                            false,
                            service,
                            labels,
                            p.getStartEpochNanos(),
                            p.getEpochNanos(),
                            0,
                            qs,
                            null,
                            p.getCount(),
                            p.getSum(),
                            vs));
                }
            }
        }
        return out;
    }

    private PointRecord number(
            OtlpConverter.Sink sink, String name, MetricType type, boolean delta, String service, PointData p) {
        double value = p instanceof LongPointData l ? l.getValue() : ((DoublePointData) p).getValue();
        Map<String, String> labels = labels(p.getAttributes());
        List<Exemplar> ex = exemplars(p.getExemplars());
        return new PointRecord(
                sink.nextSeq(),
                name,
                type,
                delta,
                service,
                labels,
                p.getStartEpochNanos(),
                p.getEpochNanos(),
                value,
                null,
                null,
                0,
                0,
                null,
                ex);
    }

    private PointRecord histogram(
            OtlpConverter.Sink sink,
            String name,
            boolean delta,
            String service,
            PointData p,
            double[] bounds,
            long[] counts,
            long count,
            double sum) {
        Map<String, String> labels = labels(p.getAttributes());
        List<Exemplar> ex = exemplars(p.getExemplars());
        return new PointRecord(
                sink.nextSeq(),
                name,
                MetricType.HISTOGRAM,
                delta,
                service,
                labels,
                p.getStartEpochNanos(),
                p.getEpochNanos(),
                0,
                bounds,
                counts,
                count,
                sum,
                null,
                ex);
    }

    /** The point's exemplars as OtlpConverter stores them (invalid span contexts as empty ids). */
    private static List<Exemplar> exemplars(List<? extends ExemplarData> list) {
        if (list.isEmpty()) {
            return List.of();
        }
        List<Exemplar> out = new ArrayList<>(list.size());
        for (ExemplarData e : list) {
            double v = e instanceof LongExemplarData l ? l.getValue() : ((DoubleExemplarData) e).getValue();
            SpanContext sc = e.getSpanContext();
            out.add(new Exemplar(
                    e.getEpochNanos(), v, sc.isValid() ? sc.getTraceId() : "", sc.isValid() ? sc.getSpanId() : ""));
        }
        return List.copyOf(out);
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private Map<String, Object> resource(Resource r) {
        Map<String, Object> m = resources.get(r);
        if (m == null) {
            m = attributes(r.getAttributes());
            resources.put(r, m);
        }
        return m;
    }

    private static String version(InstrumentationScopeInfo scope) {
        return scope.getVersion() == null ? "" : scope.getVersion();
    }

    private String scope(InstrumentationScopeInfo scope) {
        return scope.getName();
    }

    private Map<String, Object> attributes(Attributes attributes) {
        int n = attributes.size();
        if (n == 0) {
            return Map.of();
        }
        // Straight into the stored form: no intermediate sorted map, no copy (these were a fifth of the ingest
        // thread's samples in identity-service under load).
        Collector c = collector;
        c.keysAndValues = new Object[2 * n];
        c.count = 0;
        attributes.forEach(c);
        Object[] kv = c.keysAndValues;
        c.keysAndValues = null;
        if (c.count == 0) {
            return Map.of();
        }
        return new AttributeMap(c.count == 2 * n ? kv : java.util.Arrays.copyOf(kv, c.count));
    }

    private final Collector collector = new Collector();

    /** Collects one {@code Attributes} into key-value pairs; reused, as everything here runs on the ingest thread. */
    private final class Collector implements java.util.function.BiConsumer<AttributeKey<?>, Object> {
        Object[] keysAndValues;
        int count;

        @Override
        public void accept(AttributeKey<?> k, Object v) {
            String key = k.getKey();
            Object o = attribute(k, v);
            if (o == null) {
                return;
            }
            for (int i = 0; i < count; i += 2) {
                if (keysAndValues[i].equals(key)) { // the same name under another type: the last one wins
                    keysAndValues[i + 1] = o;
                    return;
                }
            }
            keysAndValues[count++] = key;
            keysAndValues[count++] = o;
        }
    }

    private Map<String, String> labels(Attributes attributes) {
        if (attributes.isEmpty()) {
            return Map.of();
        }
        TreeMap<String, String> map = new TreeMap<>();
        attributes.forEach((k, v) -> {
            Object o = attribute(k, v);
            map.put(k.getKey(), o == null ? "" : String.valueOf(o));
        });
        return OtlpConverter.sorted(map);
    }

    /** An attribute value as OtlpConverter stores its OTLP form: arrays as lists. */
    private Object attribute(AttributeKey<?> key, Object v) {
        return switch (key.getType()) {
            case STRING, BOOLEAN, LONG, DOUBLE -> v;
            case STRING_ARRAY, BOOLEAN_ARRAY, LONG_ARRAY, DOUBLE_ARRAY -> {
                List<?> in = (List<?>) v;
                List<Object> list = new ArrayList<>(in.size());
                for (Object o : in) {
                    if (o != null) {
                        list.add(o);
                    }
                }
                yield List.copyOf(list);
            }
            case VALUE -> v instanceof Value<?> value ? value(value) : v;
        };
    }

    /** A complex value (log bodies, {@code Value} attributes) as OtlpConverter stores its OTLP {@code AnyValue}. */
    private Object value(Value<?> v) {
        return switch (v.getType()) {
            case STRING -> v.getValue();
            case BOOLEAN, LONG, DOUBLE -> v.getValue();
            case BYTES -> {
                ByteBuffer b = ((ByteBuffer) v.getValue()).duplicate();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                yield Base64.getEncoder().encodeToString(bytes);
            }
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (Object item : (List<?>) v.getValue()) {
                    Object o = value((Value<?>) item);
                    if (o != null) {
                        list.add(o);
                    }
                }
                yield List.copyOf(list);
            }
            case KEY_VALUE_LIST -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (Object item : (List<?>) v.getValue()) {
                    KeyValue kv = (KeyValue) item;
                    Object o = value(kv.getValue());
                    if (o != null) {
                        map.put(kv.getKey(), o);
                    }
                }
                yield map;
            }
            case EMPTY -> null;
        };
    }
}
