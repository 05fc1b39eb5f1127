package io.vigil.console.internal;

import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanEvent;
import io.vigil.console.internal.Records.SpanRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The query API's logic: filters over the store, shaped as JSON-ready maps. */
public final class Queries {
    private final Store store;

    public Queries(Store store) {
        this.store = store;
    }

    /** Span-level filters for the trace search; null fields match everything. */
    public record TraceQuery(
            String service,
            String name,
            Long minDurationNanos,
            Long maxDurationNanos,
            Integer status,
            Map<String, String> attributes,
            Long startNanos,
            Long endNanos,
            int limit) {}

    /** Log filters; {@code level} is exact, {@code minLevel} a floor; null fields match everything. */
    public record LogQuery(
            String service,
            String level,
            String minLevel,
            String text,
            Map<String, String> attributes,
            String traceId,
            String spanId,
            long afterSeq,
            int limit) {}

    /** A metric time series request. */
    public record SeriesQuery(
            String metric,
            String service,
            Map<String, String> labels,
            Long startNanos,
            Long endNanos,
            double[] quantiles) {}

    /** Traces with at least one span that matches every filter, newest first. */
    public List<Map<String, Object>> traces(TraceQuery q) {
        Set<String> ids = new LinkedHashSet<>();
        store.spansNewestFirst(s -> {
            if (!ids.contains(s.traceId()) && matches(s, q)) {
                ids.add(s.traceId());
            }
            return ids.size() < q.limit();
        });
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, List<SpanRecord>> e : store.traces(ids).entrySet()) {
            out.add(summary(e.getKey(), e.getValue()));
        }
        return out;
    }

    private static boolean matches(SpanRecord s, TraceQuery q) {
        if (q.service() != null && !q.service().equals(s.service())) {
            return false;
        }
        if (q.name() != null && !q.name().equals(s.name())) {
            return false;
        }
        long d = s.durationNanos();
        if (q.minDurationNanos() != null && d < q.minDurationNanos()) {
            return false;
        }
        if (q.maxDurationNanos() != null && d > q.maxDurationNanos()) {
            return false;
        }
        if (q.status() != null && q.status() != s.status()) {
            return false;
        }
        if (q.startNanos() != null && s.startNanos() < q.startNanos()) {
            return false;
        }
        if (q.endNanos() != null && s.startNanos() > q.endNanos()) {
            return false;
        }
        return attributesMatch(q.attributes(), s.attributes(), s.resource());
    }

    private static boolean attributesMatch(
            Map<String, String> wanted, Map<String, Object> attributes, Map<String, Object> resource) {
        for (Map.Entry<String, String> w : wanted.entrySet()) {
            Object v = attributes.get(w.getKey());
            if (v == null) {
                v = resource.get(w.getKey());
            }
            if (v == null || !w.getValue().equals(String.valueOf(v))) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Object> summary(String traceId, List<SpanRecord> spans) {
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        int errors = 0;
        SpanRecord root = null;
        Set<String> spanIds = new HashSet<>(spans.size() * 2);
        for (SpanRecord s : spans) {
            spanIds.add(s.spanId());
        }
        Set<String> services = new TreeSet<>();
        for (SpanRecord s : spans) {
            start = Math.min(start, s.startNanos());
            end = Math.max(end, s.endNanos());
            if (s.status() == 2) {
                errors++;
            }
            services.add(s.service());
            boolean isRoot = s.parentSpanId().isEmpty() || !spanIds.contains(s.parentSpanId());
            if (isRoot && (root == null || s.startNanos() < root.startNanos())) {
                root = s;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("traceId", traceId);
        m.put("rootName", root == null ? "" : root.name());
        m.put("rootService", root == null ? "" : root.service());
        m.put("startMs", start / 1e6);
        m.put("durationMs", (end - start) / 1e6);
        m.put("spanCount", spans.size());
        m.put("errorCount", errors);
        m.put("services", List.copyOf(services));
        return m;
    }

    /** One trace: its summary and its spans in start order, each with an offset from the trace start. */
    public Map<String, Object> trace(String traceId) {
        List<SpanRecord> spans = new ArrayList<>(store.trace(traceId));
        if (spans.isEmpty()) {
            return null;
        }
        spans.sort(Comparator.comparingLong(SpanRecord::startNanos));
        Map<String, Object> m = summary(traceId, spans);
        long start = spans.get(0).startNanos();
        List<Map<String, Object>> out = new ArrayList<>(spans.size());
        for (SpanRecord s : spans) {
            out.add(span(s, start));
        }
        m.put("spans", out);
        return m;
    }

    private static Map<String, Object> span(SpanRecord s, long traceStart) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("traceId", s.traceId());
        m.put("spanId", s.spanId());
        m.put("parentSpanId", s.parentSpanId());
        m.put("name", s.name());
        m.put("kind", kind(s.kind()));
        m.put("service", s.service());
        m.put("scope", s.scope());
        m.put("startMs", s.startNanos() / 1e6);
        m.put("offsetMs", (s.startNanos() - traceStart) / 1e6);
        m.put("durationMs", s.durationNanos() / 1e6);
        m.put("status", status(s.status()));
        m.put("statusMessage", s.statusMessage());
        m.put("attributes", new TreeMap<>(s.attributes()));
        m.put("resource", new TreeMap<>(s.resource()));
        List<Map<String, Object>> events = new ArrayList<>();
        for (SpanEvent e : s.events()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("name", e.name());
            em.put("offsetMs", (e.timeNanos() - traceStart) / 1e6);
            em.put("attributes", new TreeMap<>(e.attributes()));
            events.add(em);
        }
        m.put("events", events);
        m.put("links", s.links());
        return m;
    }

    static String kind(int kind) {
        return switch (kind) {
            case 1 -> "internal";
            case 2 -> "server";
            case 3 -> "client";
            case 4 -> "producer";
            case 5 -> "consumer";
            default -> "unspecified";
        };
    }

    static String status(int code) {
        return switch (code) {
            case 1 -> "ok";
            case 2 -> "error";
            default -> "unset";
        };
    }

    /** Parses a status filter (ok, error, unset); null for anything else. */
    public static Integer parseStatus(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "ok" -> 1;
            case "error" -> 2;
            case "unset" -> 0;
            default -> null;
        };
    }

    private static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");

    /** The level name of a log record: from the severity number, else its text. */
    static String level(LogRecord l) {
        if (l.severity() >= 1 && l.severity() <= 24) {
            return LEVELS.get((l.severity() - 1) / 4);
        }
        String t = l.severityText() == null ? "" : l.severityText().toUpperCase(Locale.ROOT);
        return switch (t) {
            case "WARNING" -> "WARN";
            case "CRITICAL", "SEVERE" -> "FATAL";
            case "" -> "UNSPECIFIED";
            default -> t;
        };
    }

    /** Whether a level name is one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (any case). */
    public static boolean isLevel(String s) {
        return LEVELS.contains(s.toUpperCase(Locale.ROOT));
    }

    /** Log records matching every filter, newest first, plus the newest sequence number for tailing. */
    public Map<String, Object> logs(LogQuery q) {
        String level = q.level() == null ? null : q.level().toUpperCase(Locale.ROOT);
        int minLevel = q.minLevel() == null ? -1 : LEVELS.indexOf(q.minLevel().toUpperCase(Locale.ROOT));
        List<Map<String, Object>> out = new ArrayList<>();
        long[] latest = {q.afterSeq()};
        store.logsNewestFirst(l -> {
            latest[0] = Math.max(latest[0], l.seq());
            if (l.seq() <= q.afterSeq()) {
                return false;
            }
            if (matches(l, q, level, minLevel)) {
                out.add(log(l));
            }
            return out.size() < q.limit();
        });
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("latestSeq", latest[0]);
        m.put("logs", out);
        return m;
    }

    private static boolean matches(LogRecord l, LogQuery q, String level, int minLevel) {
        if (q.service() != null && !q.service().equals(l.service())) {
            return false;
        }
        if (q.traceId() != null && !q.traceId().equals(l.traceId())) {
            return false;
        }
        if (q.spanId() != null && !q.spanId().equals(l.spanId())) {
            return false;
        }
        if (level != null || minLevel >= 0) {
            String lv = level(l);
            if (level != null && !level.equals(lv)) {
                return false;
            }
            if (minLevel >= 0 && LEVELS.indexOf(lv) < minLevel) {
                return false;
            }
        }
        if (q.text() != null && !containsIgnoreCase(l.body(), q.text())) {
            return false;
        }
        return attributesMatch(q.attributes(), l.attributes(), l.resource());
    }

    static boolean containsIgnoreCase(String haystack, String needle) {
        int n = needle.length();
        for (int i = 0, last = haystack.length() - n; i <= last; i++) {
            if (haystack.regionMatches(true, i, needle, 0, n)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, Object> log(LogRecord l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", l.seq());
        m.put("timeMs", l.timeNanos() / 1e6);
        m.put("level", level(l));
        m.put("body", l.body());
        m.put("service", l.service());
        m.put("traceId", l.traceId());
        m.put("spanId", l.spanId());
        m.put("scope", l.scope());
        m.put("attributes", new TreeMap<>(l.attributes()));
        return m;
    }

    /**
     * A metric's time series: one series per label set (and per statistic): the per-second rate for counters, the
     * value for gauges and up-down counters, quantiles for histograms and summaries. Null when the metric is unknown.
     */
    public Map<String, Object> series(SeriesQuery q) {
        Store.MetricInfo info = store.metric(q.metric());
        if (info == null) {
            return null;
        }
        Map<List<Object>, List<PointRecord>> groups = new LinkedHashMap<>();
        store.points(q.metric(), p -> {
            if (q.service() != null && !q.service().equals(p.service())) {
                return;
            }
            if (q.startNanos() != null && p.timeNanos() < q.startNanos()) {
                return;
            }
            if (q.endNanos() != null && p.timeNanos() > q.endNanos()) {
                return;
            }
            for (Map.Entry<String, String> w : q.labels().entrySet()) {
                if (!w.getValue().equals(p.labels().get(w.getKey()))) {
                    return;
                }
            }
            groups.computeIfAbsent(List.of(p.service(), p.labels()), k -> new ArrayList<>())
                    .add(p);
        });
        List<Map<String, Object>> series = new ArrayList<>();
        for (List<PointRecord> pts : groups.values()) {
            pts.sort(Comparator.comparingLong(PointRecord::timeNanos));
            PointRecord first = pts.get(0);
            switch (info.type) {
                case COUNTER -> series.add(seriesOf(first, "rate", rates(pts)));
                case GAUGE, UP_DOWN_COUNTER -> series.add(seriesOf(first, "value", values(pts)));
                case HISTOGRAM -> {
                    for (double quantile : q.quantiles()) {
                        series.add(seriesOf(first, "p" + pct(quantile), histogramQuantiles(pts, quantile)));
                    }
                }
                case SUMMARY -> {
                    for (double quantile : q.quantiles()) {
                        series.add(seriesOf(first, "p" + pct(quantile), summaryQuantiles(pts, quantile)));
                    }
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", info.name);
        m.put("type", info.type.name().toLowerCase(Locale.ROOT));
        m.put("unit", info.unit);
        m.put("description", info.description);
        m.put("series", series);
        return m;
    }

    private static String pct(double q) {
        double p = q * 100;
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }

    private static Map<String, Object> seriesOf(PointRecord first, String stat, List<double[]> points) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", first.service());
        m.put("labels", new TreeMap<>(first.labels()));
        m.put("stat", stat);
        m.put("points", points);
        return m;
    }

    private static List<double[]> values(List<PointRecord> pts) {
        List<double[]> out = new ArrayList<>(pts.size());
        for (PointRecord p : pts) {
            out.add(new double[] {p.timeNanos() / 1e6, p.value()});
        }
        return out;
    }

    private static List<double[]> rates(List<PointRecord> pts) {
        List<double[]> out = new ArrayList<>(pts.size());
        PointRecord prev = null;
        for (PointRecord p : pts) {
            double rate = Double.NaN;
            boolean sameRun = prev != null && !p.delta() && p.startNanos() == prev.startNanos();
            if (sameRun && p.timeNanos() > prev.timeNanos() && p.value() >= prev.value()) {
                rate = (p.value() - prev.value()) / ((p.timeNanos() - prev.timeNanos()) / 1e9);
            } else if (p.startNanos() > 0 && p.timeNanos() > p.startNanos()) {
                // A delta point, or the first of a cumulative run: the average since its start.
                rate = p.value() / ((p.timeNanos() - p.startNanos()) / 1e9);
            }
            if (!Double.isNaN(rate)) {
                out.add(new double[] {p.timeNanos() / 1e6, rate});
            }
            prev = p;
        }
        return out;
    }

    private static List<double[]> histogramQuantiles(List<PointRecord> pts, double q) {
        List<double[]> out = new ArrayList<>(pts.size());
        PointRecord prev = null;
        for (PointRecord p : pts) {
            long[] counts = p.counts();
            boolean sameRun = prev != null
                    && !p.delta()
                    && p.startNanos() == prev.startNanos()
                    && Arrays.equals(p.bounds(), prev.bounds())
                    && p.count() >= prev.count();
            if (sameRun) {
                counts = counts.clone();
                for (int i = 0; i < counts.length && i < prev.counts().length; i++) {
                    counts[i] -= prev.counts()[i];
                }
            }
            double v = quantile(q, p.bounds(), counts);
            if (!Double.isNaN(v)) {
                out.add(new double[] {p.timeNanos() / 1e6, v});
            }
            prev = p;
        }
        return out;
    }

    /** Prometheus-style quantile over explicit buckets: linear interpolation inside the bucket holding the rank. */
    static double quantile(double q, double[] bounds, long[] counts) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total <= 0 || bounds.length == 0) {
            return Double.NaN;
        }
        double rank = q * total;
        long cumulative = 0;
        for (int i = 0; i < counts.length; i++) {
            long c = counts[i];
            if (c > 0 && cumulative + c >= rank) {
                if (i >= bounds.length) {
                    return bounds[bounds.length - 1]; // the +Inf bucket: its lower bound is all we know
                }
                double lower = i == 0 ? Math.min(0, bounds[0]) : bounds[i - 1];
                double upper = bounds[i];
                return lower + (upper - lower) * ((rank - cumulative) / c);
            }
            cumulative += c;
        }
        return bounds[bounds.length - 1];
    }

    private static List<double[]> summaryQuantiles(List<PointRecord> pts, double q) {
        List<double[]> out = new ArrayList<>(pts.size());
        for (PointRecord p : pts) {
            for (int i = 0; i < p.bounds().length; i++) {
                if (Math.abs(p.bounds()[i] - q) < 1e-9) {
                    out.add(new double[] {p.timeNanos() / 1e6, p.values()[i]});
                }
            }
        }
        return out;
    }

    /** The metric list. */
    public List<Map<String, Object>> metricList() {
        return store.metricList();
    }

    /** Counts for the stats endpoint. */
    public Map<String, Object> storeStats() {
        long[] c = store.counts();
        Map<String, Object> m = new HashMap<>();
        m.put("spans", c[0]);
        m.put("logs", c[1]);
        m.put("points", c[2]);
        m.put("traces", c[3]);
        m.put("evicted", c[4]);
        m.put("bytes", store.bytes());
        m.put("maxBytes", store.maxBytes());
        return m;
    }
}
