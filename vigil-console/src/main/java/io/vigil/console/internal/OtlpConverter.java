package io.vigil.console.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.vigil.console.internal.Records.Exemplar;
import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.MetricType;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanEvent;
import io.vigil.console.internal.Records.SpanLink;
import io.vigil.console.internal.Records.SpanRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Turns OTLP export requests into records for the store, which encodes each at once ({@link RecordCodec}): the records
 * are short-lived, so nothing here shares strings or estimates sizes. Runs on the single ingest thread.
 */
final class OtlpConverter {
    private static final HexFormat HEX = HexFormat.of();
    static final String UNKNOWN_SERVICE = "unknown_service";

    /** Where converted records go. */
    interface Sink {
        long nextSeq();

        void span(SpanRecord span);

        void log(LogRecord log);

        void point(PointRecord point, String unit, String description);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Now, in Unix epoch nanoseconds: the time of a log record that carries neither timestamp. */
    private final LongSupplier clock;

    OtlpConverter() {
        this(() -> {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        });
    }

    OtlpConverter(LongSupplier clock) {
        this.clock = clock;
    }

    /** A map or list as JSON text, as both converters store structured log bodies. */
    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    /**
     * A log body as text: a string as it is, a map or an array as JSON (what the sender meant, not Java's
     * {@code toString}), bytes as base64, nothing as the empty string.
     */
    private String body(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case KVLIST_VALUE, ARRAY_VALUE -> json(value(v));
            case VALUE_NOT_SET -> "";
            default -> String.valueOf(value(v));
        };
    }

    void traces(ExportTraceServiceRequest request, Sink sink) {
        for (ResourceSpans rs : request.getResourceSpansList()) {
            Map<String, Object> resource = resource(rs.getResource().getAttributesList());
            String service = service(resource);
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                String scope = ss.getScope().getName();
                for (Span s : ss.getSpansList()) {
                    if (!validSpan(s)) {
                        continue; // rejected: counted in the receiver's answer (rejectedSpans)
                    }
                    Map<String, Object> attributes = attributes(s.getAttributesList());
                    List<SpanEvent> events = List.of();
                    if (s.getEventsCount() > 0) {
                        List<SpanEvent> list = new ArrayList<>(s.getEventsCount());
                        for (Span.Event e : s.getEventsList()) {
                            Map<String, Object> ea = attributes(e.getAttributesList());
                            list.add(new SpanEvent(e.getTimeUnixNano(), e.getName(), ea));
                        }
                        events = List.copyOf(list);
                    }
                    List<SpanLink> links = List.of();
                    if (s.getLinksCount() > 0) {
                        List<SpanLink> list = new ArrayList<>(s.getLinksCount());
                        for (Span.Link l : s.getLinksList()) {
                            if (!validTraceId(l.getTraceId()) || !validSpanId(l.getSpanId())) {
                                continue; // points nowhere: a link the UI could not follow
                            }
                            Map<String, Object> la = attributes(l.getAttributesList());
                            list.add(new SpanLink(hex(l.getTraceId()), hex(l.getSpanId()), la));
                        }
                        links = List.copyOf(list);
                    }
                    sink.span(new SpanRecord(
                            sink.nextSeq(),
                            hex(s.getTraceId()),
                            hex(s.getSpanId()),
                            hex(s.getParentSpanId()),
                            s.getName(),
                            s.getKindValue(),
                            service,
                            s.getStartTimeUnixNano(),
                            s.getEndTimeUnixNano(),
                            s.getStatus().getCodeValue(),
                            s.getStatus().getMessage(),
                            attributes,
                            resource,
                            scope,
                            events,
                            links,
                            Records.Dropped.of(
                                    s.getDroppedAttributesCount(), s.getDroppedEventsCount(), s.getDroppedLinksCount()),
                            ss.getScope().getVersion()));
                }
            }
        }
    }

    void logs(ExportLogsServiceRequest request, Sink sink) {
        for (ResourceLogs rl : request.getResourceLogsList()) {
            Map<String, Object> resource = resource(rl.getResource().getAttributesList());
            String service = service(resource);
            for (ScopeLogs sl : rl.getScopeLogsList()) {
                String scope = sl.getScope().getName();
                for (io.opentelemetry.proto.logs.v1.LogRecord l : sl.getLogRecordsList()) {
                    Map<String, Object> attributes = attributes(l.getAttributesList());
                    String body = body(l.getBody());
                    // The data model makes the timestamp optional: then when the SDK saw it, then when we did.
                    long time = l.getTimeUnixNano() != 0
                            ? l.getTimeUnixNano()
                            : l.getObservedTimeUnixNano() != 0 ? l.getObservedTimeUnixNano() : clock.getAsLong();
                    sink.log(new LogRecord(
                            sink.nextSeq(),
                            time,
                            l.getSeverityNumberValue(),
                            l.getSeverityText(),
                            body,
                            service,
                            // An invalid id means the record is not associated with a trace (the log data model).
                            validTraceId(l.getTraceId()) ? hex(l.getTraceId()) : "",
                            validSpanId(l.getSpanId()) ? hex(l.getSpanId()) : "",
                            attributes,
                            resource,
                            scope,
                            sl.getScope().getVersion(),
                            l.getEventName()));
                }
            }
        }
    }

    void metrics(ExportMetricsServiceRequest request, Sink sink) {
        for (ResourceMetrics rm : request.getResourceMetricsList()) {
            Map<String, Object> resource = resource(rm.getResource().getAttributesList());
            String service = service(resource);
            Sink points = resource.containsKey(INSTANCE) ? instanceSink(sink, resource) : sink;
            for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                for (Metric m : sm.getMetricsList()) {
                    metric(m, service, points);
                }
            }
        }
    }

    /** {@code sink}, its points labelled with the resource's instance ({@link #withInstance}). */
    private static Sink instanceSink(Sink sink, Map<String, Object> resource) {
        return new Sink() {
            @Override
            public long nextSeq() {
                return sink.nextSeq();
            }

            @Override
            public void span(SpanRecord span) {
                sink.span(span);
            }

            @Override
            public void log(LogRecord log) {
                sink.log(log);
            }

            @Override
            public void point(PointRecord point, String unit, String description) {
                sink.point(withInstance(point, resource), unit, description);
            }
        };
    }

    /** The resource attribute that tells instances of one service apart. */
    static final String INSTANCE = "service.instance.id";

    /**
     * A point labelled with its resource's {@code service.instance.id}, as OpenTelemetry's Prometheus mapping gives
     * each series an {@code instance}: the cumulative series of two instances of one service with the same attributes
     * are two series, not one whose every point looks like a reset of the other's (no rate at all).
     */
    static PointRecord withInstance(PointRecord p, Map<String, Object> resource) {
        Object instance = resource.get(INSTANCE);
        if (instance == null || p.labels().containsKey(INSTANCE)) {
            return p;
        }
        TreeMap<String, String> labels = new TreeMap<>(p.labels());
        labels.put(INSTANCE, String.valueOf(instance));
        return new PointRecord(
                p.seq(),
                p.metric(),
                p.type(),
                p.delta(),
                p.service(),
                sorted(labels),
                p.startNanos(),
                p.timeNanos(),
                p.value(),
                p.bounds(),
                p.counts(),
                p.count(),
                p.sum(),
                p.values(),
                p.exemplars());
    }

    private void metric(Metric m, String service, Sink sink) {
        String name = m.getName();
        String unit = m.getUnit();
        String description = m.getDescription();
        switch (m.getDataCase()) {
            case GAUGE -> {
                for (NumberDataPoint p : m.getGauge().getDataPointsList()) {
                    sink.point(number(sink, name, MetricType.GAUGE, false, service, p), unit, description);
                }
            }
            case SUM -> {
                MetricType type = m.getSum().getIsMonotonic() ? MetricType.COUNTER : MetricType.UP_DOWN_COUNTER;
                boolean delta =
                        m.getSum().getAggregationTemporality() == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
                for (NumberDataPoint p : m.getSum().getDataPointsList()) {
                    sink.point(number(sink, name, type, delta, service, p), unit, description);
                }
            }
            case HISTOGRAM -> {
                boolean delta = m.getHistogram().getAggregationTemporality()
                        == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
                for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
                    double[] bounds = p.getExplicitBoundsList().stream()
                            .mapToDouble(Double::doubleValue)
                            .toArray();
                    long[] counts = p.getBucketCountsList().stream()
                            .mapToLong(Long::longValue)
                            .toArray();
                    sink.point(
                            histogram(
                                    sink,
                                    name,
                                    delta,
                                    service,
                                    p.getAttributesList(),
                                    p.getStartTimeUnixNano(),
                                    p.getTimeUnixNano(),
                                    bounds,
                                    counts,
                                    p.getCount(),
                                    p.getSum(),
                                    p.getExemplarsList()),
                            unit,
                            description);
                }
            }
            case EXPONENTIAL_HISTOGRAM -> {
                boolean delta = m.getExponentialHistogram().getAggregationTemporality()
                        == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
                for (ExponentialHistogramDataPoint p :
                        m.getExponentialHistogram().getDataPointsList()) {
                    // Rewritten as explicit buckets so one quantile routine serves both histogram kinds.
                    ExponentialBuckets.Explicit explicit = ExponentialBuckets.toExplicit(
                            p.getScale(),
                            p.getZeroThreshold(),
                            p.getZeroCount(),
                            p.getPositive().getOffset(),
                            p.getPositive().getBucketCountsList(),
                            p.getNegative().getOffset(),
                            p.getNegative().getBucketCountsList());
                    double[] bounds = explicit.bounds();
                    long[] counts = explicit.counts();
                    sink.point(
                            histogram(
                                    sink,
                                    name,
                                    delta,
                                    service,
                                    p.getAttributesList(),
                                    p.getStartTimeUnixNano(),
                                    p.getTimeUnixNano(),
                                    bounds,
                                    counts,
                                    p.getCount(),
                                    p.getSum(),
                                    p.getExemplarsList()),
                            unit,
                            description);
                }
            }
            case SUMMARY -> {
                for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
                    int n = p.getQuantileValuesCount();
                    double[] qs = new double[n];
                    double[] vs = new double[n];
                    for (int i = 0; i < n; i++) {
                        qs[i] = p.getQuantileValues(i).getQuantile();
                        vs[i] = p.getQuantileValues(i).getValue();
                    }
                    Map<String, String> labels = labels(p.getAttributesList());
                    sink.point(
                            new PointRecord(
                                    sink.nextSeq(),
                                    name,
                                    MetricType.SUMMARY,
                                    false,
                                    service,
                                    labels,
                                    p.getStartTimeUnixNano(),
                                    p.getTimeUnixNano(),
                                    0,
                                    qs,
                                    null,
                                    p.getCount(),
                                    p.getSum(),
                                    vs),
                            unit,
                            description);
                }
            }
            case DATA_NOT_SET -> {}
        }
    }

    private PointRecord number(
            Sink sink, String name, MetricType type, boolean delta, String service, NumberDataPoint p) {
        double value = p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? p.getAsInt() : p.getAsDouble();
        Map<String, String> labels = labels(p.getAttributesList());
        List<Exemplar> ex = exemplars(p.getExemplarsList());
        return new PointRecord(
                sink.nextSeq(),
                name,
                type,
                delta,
                service,
                labels,
                p.getStartTimeUnixNano(),
                p.getTimeUnixNano(),
                value,
                null,
                null,
                0,
                0,
                null,
                ex);
    }

    /** A histogram point (explicit buckets). */
    private PointRecord histogram(
            Sink sink,
            String name,
            boolean delta,
            String service,
            List<KeyValue> attributes,
            long start,
            long time,
            double[] bounds,
            long[] counts,
            long count,
            double sum,
            List<io.opentelemetry.proto.metrics.v1.Exemplar> exemplars) {
        Map<String, String> labels = labels(attributes);
        List<Exemplar> ex = exemplars(exemplars);
        return new PointRecord(
                sink.nextSeq(),
                name,
                MetricType.HISTOGRAM,
                delta,
                service,
                labels,
                start,
                time,
                0,
                bounds,
                counts,
                count,
                sum,
                null,
                ex);
    }

    private static List<Exemplar> exemplars(List<io.opentelemetry.proto.metrics.v1.Exemplar> list) {
        if (list.isEmpty()) {
            return List.of();
        }
        List<Exemplar> out = new ArrayList<>(list.size());
        for (io.opentelemetry.proto.metrics.v1.Exemplar e : list) {
            double v = e.getValueCase() == io.opentelemetry.proto.metrics.v1.Exemplar.ValueCase.AS_INT
                    ? e.getAsInt()
                    : e.getAsDouble();
            out.add(new Exemplar(
                    e.getTimeUnixNano(),
                    v,
                    validTraceId(e.getTraceId()) ? hex(e.getTraceId()) : "",
                    validSpanId(e.getSpanId()) ? hex(e.getSpanId()) : ""));
        }
        return List.copyOf(out);
    }

    private Map<String, Object> resource(List<KeyValue> kvs) {
        return attributes(kvs);
    }

    static String service(Map<String, Object> resource) {
        Object name = resource.get("service.name");
        return name == null ? UNKNOWN_SERVICE : name.toString();
    }

    private Map<String, Object> attributes(List<KeyValue> kvs) {
        if (kvs.isEmpty()) {
            return Map.of();
        }
        TreeMap<String, Object> map = new TreeMap<>();
        for (KeyValue kv : kvs) {
            Object v = value(kv.getValue());
            if (v != null) {
                map.put(kv.getKey(), v);
            }
        }
        return sorted(map);
    }

    private Map<String, String> labels(List<KeyValue> kvs) {
        if (kvs.isEmpty()) {
            return Map.of();
        }
        TreeMap<String, String> map = new TreeMap<>();
        for (KeyValue kv : kvs) {
            Object v = value(kv.getValue());
            map.put(kv.getKey(), v == null ? "" : String.valueOf(v));
        }
        return sorted(map);
    }

    /**
     * The map's entries in key order as the form the codec hands back ({@link AttributeMap}): no hashed copy, which
     * the record, encoded at once, would not outlive; the same order as the SDK's own attributes.
     */
    @SuppressWarnings("unchecked")
    static <V> Map<String, V> sorted(TreeMap<String, V> map) {
        if (map.isEmpty()) {
            return Map.of();
        }
        Object[] kv = new Object[2 * map.size()];
        int i = 0;
        for (Map.Entry<String, V> e : map.entrySet()) {
            kv[i++] = e.getKey();
            kv[i++] = e.getValue();
        }
        return (Map<String, V>) (Map<String, ?>) new AttributeMap(kv);
    }

    private Object value(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> v.getBoolValue();
            case INT_VALUE -> v.getIntValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            case BYTES_VALUE ->
                Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
            case ARRAY_VALUE -> {
                List<Object> list = new ArrayList<>(v.getArrayValue().getValuesCount());
                for (AnyValue item : v.getArrayValue().getValuesList()) {
                    Object o = value(item);
                    if (o != null) {
                        list.add(o);
                    }
                }
                yield List.copyOf(list);
            }
            case KVLIST_VALUE -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (KeyValue kv : v.getKvlistValue().getValuesList()) {
                    Object o = value(kv.getValue());
                    if (o != null) {
                        map.put(kv.getKey(), o);
                    }
                }
                yield map;
            }
            case VALUE_NOT_SET -> null;
        };
    }

    /**
     * Whether a span can be stored: OTLP calls a trace id of other than 16 bytes, or all zeroes, invalid, and a span id
     * of other than 8 bytes or all zeroes too. Such a span could be neither found nor placed in a trace; the receivers
     * answer with a partial success that counts it ({@link #rejectedSpans}).
     */
    static boolean validSpan(Span s) {
        return validTraceId(s.getTraceId()) && validSpanId(s.getSpanId());
    }

    static boolean validTraceId(ByteString id) {
        return id.size() == 16 && !allZero(id);
    }

    static boolean validSpanId(ByteString id) {
        return id.size() == 8 && !allZero(id);
    }

    private static boolean allZero(ByteString id) {
        for (int i = 0; i < id.size(); i++) {
            if (id.byteAt(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** How many spans of the request {@link #traces} will not store (invalid ids). */
    static long rejectedSpans(ExportTraceServiceRequest request) {
        long rejected = 0;
        for (ResourceSpans rs : request.getResourceSpansList()) {
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span s : ss.getSpansList()) {
                    if (!validSpan(s)) {
                        rejected++;
                    }
                }
            }
        }
        return rejected;
    }

    /**
     * The export response for an accepted request: empty (all stored), or for traces with spans that will not be
     * stored, OTLP's partial success naming how many and why, so the sender can tell (it must not retry).
     */
    static Message response(Signal signal, Message request) {
        long rejected = signal == Signal.TRACES ? rejectedSpans((ExportTraceServiceRequest) request) : 0;
        return switch (signal) {
            case TRACES ->
                rejected == 0
                        ? ExportTraceServiceResponse.getDefaultInstance()
                        : ExportTraceServiceResponse.newBuilder()
                                .setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                                        .setRejectedSpans(rejected)
                                        .setErrorMessage(rejected
                                                + " span(s) rejected: a trace id must be 16 bytes and a span id 8,"
                                                + " not all zero"))
                                .build();
            case LOGS -> ExportLogsServiceResponse.getDefaultInstance();
            case METRICS -> ExportMetricsServiceResponse.getDefaultInstance();
        };
    }

    static String hex(ByteString bytes) {
        return bytes.isEmpty() ? "" : HEX.formatHex(bytes.toByteArray());
    }
}
