package io.vigil.console.internal;

import java.util.List;
import java.util.Map;

/** The stored forms of OTLP data: decoded once on ingest so queries need no protobuf parsing. */
public final class Records {
    private Records() {}

    /** Anything the store holds, with its insertion sequence number. */
    public sealed interface Stored permits SpanRecord, LogRecord, PointRecord {
        long seq();
    }

    /**
     * One span. Ids are lowercase hex; times are Unix epoch nanoseconds; status 0 unset, 1 ok, 2 error; {@code scope} is
     * the instrumentation scope's name, {@code scopeVersion} its version ("" when the sender gave none).
     */
    public record SpanRecord(
            long seq,
            String traceId,
            String spanId,
            String parentSpanId,
            String name,
            int kind,
            String service,
            long startNanos,
            long endNanos,
            int status,
            String statusMessage,
            Map<String, Object> attributes,
            Map<String, Object> resource,
            String scope,
            List<SpanEvent> events,
            List<SpanLink> links,
            Dropped dropped,
            String scopeVersion)
            implements Stored {
        /** A span the sender kept whole. */
        public SpanRecord(
                long seq,
                String traceId,
                String spanId,
                String parentSpanId,
                String name,
                int kind,
                String service,
                long startNanos,
                long endNanos,
                int status,
                String statusMessage,
                Map<String, Object> attributes,
                Map<String, Object> resource,
                String scope,
                List<SpanEvent> events,
                List<SpanLink> links) {
            this(
                    seq,
                    traceId,
                    spanId,
                    parentSpanId,
                    name,
                    kind,
                    service,
                    startNanos,
                    endNanos,
                    status,
                    statusMessage,
                    attributes,
                    resource,
                    scope,
                    events,
                    links,
                    Dropped.NONE,
                    "");
        }

        public long durationNanos() {
            return Math.max(0, endNanos - startNanos);
        }
    }

    /**
     * What the sender's limits dropped from a span before export (OTLP's {@code dropped_*_count}): the attributes,
     * events and links the span had beyond those it carries. Negative counts from a sender are taken as none.
     */
    public record Dropped(int attributes, int events, int links) {
        public static final Dropped NONE = new Dropped(0, 0, 0);

        public static Dropped of(long attributes, long events, long links) {
            if (attributes <= 0 && events <= 0 && links <= 0) {
                return NONE;
            }
            return new Dropped(clamp(attributes), clamp(events), clamp(links));
        }

        private static int clamp(long n) {
            return Math.clamp(n, 0, Integer.MAX_VALUE);
        }

        public boolean any() {
            return attributes > 0 || events > 0 || links > 0;
        }
    }

    /** A span event (an exception is recorded as one named {@code exception}). */
    public record SpanEvent(long timeNanos, String name, Map<String, Object> attributes) {}

    /** A link from a span to another span, with the link's own attributes. */
    public record SpanLink(String traceId, String spanId, Map<String, Object> attributes) {
        public SpanLink(String traceId, String spanId) {
            this(traceId, spanId, Map.of());
        }
    }

    /** An exemplar of a metric point: a sampled measurement and the span that was current when it was taken. */
    public record Exemplar(long timeNanos, double value, String traceId, String spanId) {}

    /** One log record; {@code severity} is the OTLP severity number (0 when the sender left it unset). */
    public record LogRecord(
            long seq,
            long timeNanos,
            int severity,
            String severityText,
            String body,
            String service,
            String traceId,
            String spanId,
            Map<String, Object> attributes,
            Map<String, Object> resource,
            String scope,
            String scopeVersion,
            String eventName)
            implements Stored {
        /** A record without a scope version or event name. */
        public LogRecord(
                long seq,
                long timeNanos,
                int severity,
                String severityText,
                String body,
                String service,
                String traceId,
                String spanId,
                Map<String, Object> attributes,
                Map<String, Object> resource,
                String scope) {
            this(
                    seq,
                    timeNanos,
                    severity,
                    severityText,
                    body,
                    service,
                    traceId,
                    spanId,
                    attributes,
                    resource,
                    scope,
                    "",
                    "");
        }
    }

    /** The kinds of OTLP metric data. */
    public enum MetricType {
        GAUGE,
        COUNTER,
        UP_DOWN_COUNTER,
        HISTOGRAM,
        SUMMARY
    }

    /**
     * One metric data point. Counters and gauges use {@code value}; histograms use {@code bounds}, {@code counts},
     * {@code count} and {@code sum} (exponential histograms as explicit buckets, {@link ExponentialBuckets});
     * summaries use {@code bounds} as quantiles, {@code values} as their values, {@code count} and {@code sum}.
     */
    public record PointRecord(
            long seq,
            String metric,
            MetricType type,
            boolean delta,
            String service,
            Map<String, String> labels,
            long startNanos,
            long timeNanos,
            double value,
            double[] bounds,
            long[] counts,
            long count,
            double sum,
            double[] values,
            List<Exemplar> exemplars)
            implements Stored {
        /** A point without exemplars. */
        public PointRecord(
                long seq,
                String metric,
                MetricType type,
                boolean delta,
                String service,
                Map<String, String> labels,
                long startNanos,
                long timeNanos,
                double value,
                double[] bounds,
                long[] counts,
                long count,
                double sum,
                double[] values) {
            this(
                    seq,
                    metric,
                    type,
                    delta,
                    service,
                    labels,
                    startNanos,
                    timeNanos,
                    value,
                    bounds,
                    counts,
                    count,
                    sum,
                    values,
                    List.of());
        }
    }
}
