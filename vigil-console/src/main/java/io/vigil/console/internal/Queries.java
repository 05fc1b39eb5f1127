package io.vigil.console.internal;

import io.vigil.console.internal.Records.Exemplar;
import io.vigil.console.internal.Records.LogRecord;
import io.vigil.console.internal.Records.PointRecord;
import io.vigil.console.internal.Records.SpanEvent;
import io.vigil.console.internal.Records.SpanLink;
import io.vigil.console.internal.Records.SpanRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** The query API's logic: filters over the store, shaped as JSON-ready maps. */
public final class Queries {
    private final Store store;
    private final LongAdder spansIndexed = new LongAdder();

    public Queries(Store store) {
        this.store = store;
    }

    /** How the trace list is ordered: newest start first, or longest first. */
    public enum TraceSort {
        START,
        DURATION
    }

    /**
     * The trace search. A trace matches when one of its spans matches every span filter ({@code service}, {@code
     * name}, {@code status}, {@code attributes}) and the trace as a whole matches every trace filter (its duration
     * between {@code minDurationNanos} and {@code maxDurationNanos}, its start between {@code startNanos} and {@code
     * endNanos}, its root span named {@code rootName}). Null fields match everything. {@code cursor} is the {@code
     * nextCursor} of the previous page.
     */
    public record TraceQuery(
            String service,
            String name,
            Long minDurationNanos,
            Long maxDurationNanos,
            Integer status,
            Map<String, String> attributes,
            Long startNanos,
            Long endNanos,
            int limit,
            String rootName,
            TraceSort sort,
            String cursor) {
        /** Newest first, no root filter, first page. */
        public TraceQuery(
                String service,
                String name,
                Long minDurationNanos,
                Long maxDurationNanos,
                Integer status,
                Map<String, String> attributes,
                Long startNanos,
                Long endNanos,
                int limit) {
            this(
                    service,
                    name,
                    minDurationNanos,
                    maxDurationNanos,
                    status,
                    attributes,
                    startNanos,
                    endNanos,
                    limit,
                    null,
                    TraceSort.START,
                    null);
        }

        boolean hasSpanFilters() {
            return service != null || name != null || status != null || !attributes.isEmpty();
        }
    }

    /**
     * Log filters; {@code level} is exact, {@code minLevel} a floor; null fields match everything. {@code afterSeq}
     * (tailing) keeps only records that arrived after that sequence number; {@code cursor} (paging) is the {@code
     * nextCursor} of the previous page.
     */
    public record LogQuery(
            String service,
            String level,
            String minLevel,
            String text,
            Map<String, String> attributes,
            String traceId,
            String spanId,
            long afterSeq,
            int limit,
            String cursor) {
        /** The first page. */
        public LogQuery(
                String service,
                String level,
                String minLevel,
                String text,
                Map<String, String> attributes,
                String traceId,
                String spanId,
                long afterSeq,
                int limit) {
            this(service, level, minLevel, text, attributes, traceId, spanId, afterSeq, limit, null);
        }
    }

    /** A position in the log list: a record's timestamp and sequence number, the list's order. */
    private record LogCursor(long timeNanos, long seq) {
        /** Whether {@code l} comes after this position, newest first: older, or as old and arrived earlier. */
        boolean before(LogRecord l) {
            return l.timeNanos() < timeNanos || (l.timeNanos() == timeNanos && l.seq() < seq);
        }
    }

    /** Parses a log cursor ({@code timeNanos:seq}); throws IllegalArgumentException when it is not one. */
    static void checkLogCursor(String cursor) {
        parseLogCursor(cursor);
    }

    private static LogCursor parseLogCursor(String cursor) {
        int i = cursor.indexOf(':');
        if (i <= 0) {
            throw new IllegalArgumentException("cursor");
        }
        return new LogCursor(Long.parseLong(cursor.substring(0, i)), Long.parseLong(cursor.substring(i + 1)));
    }

    /**
     * A metric time series request. {@code stats} picks what is computed per series (null: the type's default —
     * {@code rate} for counters, {@code value} for gauges and up-down counters, {@code quantiles} for histograms and
     * summaries); {@code groupBy} (null: no grouping) sums series that share those label values.
     */
    public record SeriesQuery(
            String metric,
            String service,
            Map<String, String> labels,
            Long startNanos,
            Long endNanos,
            double[] quantiles,
            List<String> stats,
            List<String> groupBy) {
        public SeriesQuery(
                String metric,
                String service,
                Map<String, String> labels,
                Long startNanos,
                Long endNanos,
                double[] quantiles) {
            this(metric, service, labels, startNanos, endNanos, quantiles, null, null);
        }
    }

    /** The statistics a series request may ask for. */
    public static final List<String> STATS = List.of("rate", "value", "count", "sum", "mean", "quantiles");

    /** Traces matching the query, in its order; the first page. */
    public List<Map<String, Object>> traces(TraceQuery q) {
        return tracePage(q).traces();
    }

    /** One page of the trace list and the cursor of the next page (null when this is the last). */
    public record TracePage(List<Map<String, Object>> traces, String nextCursor) {}

    private record Candidate(long key, String traceId, Map<String, Object> summary) {}

    private static final Comparator<Candidate> ORDER =
            Comparator.comparingLong(Candidate::key).thenComparing(Candidate::traceId);

    /** Parses a cursor ({@code key:traceId}); throws IllegalArgumentException when it is not one. */
    static Candidate parseCursor(String cursor) {
        int i = cursor.indexOf(':');
        if (i <= 0) {
            throw new IllegalArgumentException("cursor");
        }
        return new Candidate(Long.parseLong(cursor.substring(0, i)), cursor.substring(i + 1), null);
    }

    /**
     * One page of traces. Spans are scanned newest arrival first; each trace is judged once, whole, when its first
     * span is met. Newest-first stops early: a trace not yet met started at most {@link Store#spanLateness()} after
     * the span being looked at, so once the page is full of later traces nothing older can enter it.
     */
    public TracePage tracePage(TraceQuery q) {
        Candidate after = q.cursor() == null ? null : parseCursor(q.cursor());
        boolean byStart = q.sort() != TraceSort.DURATION;
        boolean spanFilters = q.hasSpanFilters();
        long lateness = store.spanLateness();
        int want = q.limit() + 1; // one more than the page: whether there is a next page
        PriorityQueue<Candidate> top = new PriorityQueue<>(ORDER);
        Set<String> seen = new HashSet<>();
        store.spansNewestFirst(s -> {
            long bound = saturatedAdd(s.startNanos(), lateness); // no trace not yet met started later
            if (byStart && top.size() >= want && top.peek().key() > bound) {
                return false;
            }
            if (q.startNanos() != null && bound < q.startNanos()) {
                return false; // whatever the order: nothing not yet met is in the time range
            }
            // A trace is judged at the first of its spans (newest arrival first) that matches the span filters.
            if ((spanFilters && !matches(s, q)) || !seen.add(s.traceId())) {
                return true;
            }
            Collection<SpanRecord> spans = store.traceWhileVisiting(s.traceId());
            Map<String, Object> summary = summary(s.traceId(), spans);
            long start = (long) summary.remove("startNanos");
            long duration = (long) summary.remove("durationNanos");
            if (!traceMatches(q, start, duration, (String) summary.get("rootName"))) {
                return true;
            }
            Candidate c = new Candidate(byStart ? start : duration, s.traceId(), summary);
            if (after != null && ORDER.compare(c, after) >= 0) {
                return true;
            }
            top.add(c);
            if (top.size() > want) {
                top.poll();
            }
            return true;
        });
        Page<Candidate> page = newestFirst(top, ORDER, q.limit(), c -> c.key() + ":" + c.traceId());
        List<Map<String, Object>> out = new ArrayList<>(page.items().size());
        for (Candidate c : page.items()) {
            out.add(c.summary());
        }
        return new TracePage(out, page.next());
    }

    /** One page of a listing: its items, newest first, and the cursor of the next page ({@code null}: none). */
    private record Page<T>(List<T> items, String next) {}

    /**
     * The page a bounded heap of {@code limit + 1} candidates holds: sorted newest first by {@code order}, cut to
     * {@code limit}; the extra candidate proves a next page, whose cursor is the last item's.
     */
    private static <T> Page<T> newestFirst(
            Collection<T> top, Comparator<T> order, int limit, Function<T, String> cursorOf) {
        List<T> sorted = new ArrayList<>(top);
        sorted.sort(order.reversed());
        if (sorted.size() <= limit) {
            return new Page<>(sorted, null);
        }
        sorted = sorted.subList(0, limit);
        return new Page<>(sorted, cursorOf.apply(sorted.get(sorted.size() - 1)));
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static boolean traceMatches(TraceQuery q, long start, long duration, String rootName) {
        if (q.minDurationNanos() != null && duration < q.minDurationNanos()) {
            return false;
        }
        if (q.maxDurationNanos() != null && duration > q.maxDurationNanos()) {
            return false;
        }
        if (q.startNanos() != null && start < q.startNanos()) {
            return false;
        }
        if (q.endNanos() != null && start > q.endNanos()) {
            return false;
        }
        return q.rootName() == null || q.rootName().equals(rootName);
    }

    private static boolean matches(SpanRecord s, TraceQuery q) {
        if (q.service() != null && !q.service().equals(s.service())) {
            return false;
        }
        if (q.name() != null && !q.name().equals(s.name())) {
            return false;
        }
        if (q.status() != null && q.status() != s.status()) {
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

    /** A trace's summary; also carries {@code startNanos} and {@code durationNanos} for the caller to take. */
    private static Map<String, Object> summary(String traceId, Collection<SpanRecord> spans) {
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
            // A span without an end (or ending before it starts) lasts nothing, not minus its start time.
            end = Math.max(end, s.startNanos() + s.durationNanos());
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
        m.put("startMs", millis(start));
        m.put("durationMs", millis(end - start));
        m.put("spanCount", spans.size());
        m.put("errorCount", errors);
        m.put("services", List.copyOf(services));
        m.put("startNanos", start);
        m.put("durationNanos", end - start);
        return m;
    }

    /**
     * One trace: its summary and its spans in start order (at most {@link #MAX_TRACE_SPANS}; {@code omittedSpans}
     * says how many more there are), each with an offset from the trace start.
     */
    public Map<String, Object> trace(String traceId) {
        List<SpanRecord> spans = new ArrayList<>(store.trace(traceId));
        if (spans.isEmpty()) {
            return null;
        }
        spans.sort(Comparator.comparingLong(SpanRecord::startNanos));
        Map<String, Object> m = summary(traceId, spans);
        m.remove("startNanos");
        m.remove("durationNanos");
        long start = spans.get(0).startNanos();
        // The summary counts every span; the answer carries the first MAX_TRACE_SPANS by start. A trace of 200,000
        // spans (53 MB in the store, within its bound) answered whole was a gigabyte of maps and JSON: the heap of the
        // console (or of the service embedding it) ran out when the trace was opened.
        int shown = Math.min(spans.size(), MAX_TRACE_SPANS);
        List<Map<String, Object>> out = new ArrayList<>(shown);
        for (SpanRecord s : spans.subList(0, shown)) {
            out.add(span(s, start));
        }
        m.put("spans", out);
        if (shown < spans.size()) {
            m.put("omittedSpans", spans.size() - shown);
        }
        return m;
    }

    /** The most spans one trace's answer carries (a waterfall shows no more anyway). */
    static final int MAX_TRACE_SPANS = 10_000;

    private static Map<String, Object> span(SpanRecord s, long traceStart) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("traceId", s.traceId());
        m.put("spanId", s.spanId());
        m.put("parentSpanId", s.parentSpanId());
        m.put("name", s.name());
        m.put("kind", kind(s.kind()));
        m.put("service", s.service());
        m.put("scope", s.scope());
        m.put("scopeVersion", s.scopeVersion());
        m.put("startMs", millis(s.startNanos()));
        m.put("offsetMs", millis(s.startNanos() - traceStart));
        m.put("durationMs", millis(s.durationNanos()));
        m.put("status", status(s.status()));
        m.put("statusMessage", s.statusMessage());
        m.put("attributes", new TreeMap<>(s.attributes()));
        m.put("resource", new TreeMap<>(s.resource()));
        List<Map<String, Object>> events = new ArrayList<>();
        for (SpanEvent e : s.events()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("name", e.name());
            em.put("offsetMs", millis(e.timeNanos() - traceStart));
            em.put("attributes", new TreeMap<>(e.attributes()));
            events.add(em);
        }
        m.put("events", events);
        List<Map<String, Object>> links = new ArrayList<>(s.links().size());
        for (SpanLink l : s.links()) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("traceId", l.traceId());
            lm.put("spanId", l.spanId());
            lm.put("attributes", new TreeMap<>(l.attributes()));
            links.add(lm);
        }
        m.put("links", links);
        if (s.dropped().any()) {
            // What the sender's limits cut off: the attributes, events and links shown are not all there were.
            m.put(
                    "dropped",
                    Map.of(
                            "attributes", s.dropped().attributes(),
                            "events", s.dropped().events(),
                            "links", s.dropped().links()));
        }
        return m;
    }

    /** Unix nanoseconds as milliseconds; exact for whole milliseconds (nanos / 1e6 is not at today's magnitudes). */
    static double millis(long nanos) {
        return nanos / 1_000_000 + (nanos % 1_000_000) / 1e6;
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

    private static final Comparator<LogRecord> LOG_ORDER =
            Comparator.comparingLong(LogRecord::timeNanos).thenComparingLong(LogRecord::seq);

    /**
     * Log records matching every filter, newest (by their timestamp, then arrival) first, plus the newest sequence
     * number for tailing and the cursor of the next page ({@code nextCursor}, null on the last). Scanned newest arrival
     * first until no record not yet seen can be newer than the page (see {@link Store#logLateness()}).
     *
     * <p>The cursor is the last record's position in that order ({@code timeNanos:seq}): the next page holds the
     * records after it, so records that arrive between two pages neither repeat a record nor push one out of the next
     * page (a newer record belongs before the cursor and is the live tail's; a late one older than the cursor comes on
     * a later page).
     */
    public Map<String, Object> logs(LogQuery q) {
        String level = q.level() == null ? null : q.level().toUpperCase(Locale.ROOT);
        int minLevel = q.minLevel() == null ? -1 : LEVELS.indexOf(q.minLevel().toUpperCase(Locale.ROOT));
        LogCursor after = q.cursor() == null ? null : parseLogCursor(q.cursor());
        long lateness = store.logLateness();
        int want = q.limit() + 1; // one more than the page: whether there is a next page
        PriorityQueue<LogRecord> top = new PriorityQueue<>(LOG_ORDER);
        long[] latest = {q.afterSeq()};
        store.logsNewestFirst(l -> {
            latest[0] = Math.max(latest[0], l.seq());
            if (l.seq() <= q.afterSeq()) {
                return false;
            }
            if (top.size() >= want && top.peek().timeNanos() > saturatedAdd(l.timeNanos(), lateness)) {
                return false;
            }
            if ((after == null || after.before(l)) && matches(l, q, level, minLevel)) {
                top.add(l);
                if (top.size() > want) {
                    top.poll();
                }
            }
            return true;
        });
        // The next cursor is the last record's own "cursor".
        Page<LogRecord> page = newestFirst(top, LOG_ORDER, q.limit(), l -> l.timeNanos() + ":" + l.seq());
        List<Map<String, Object>> out = new ArrayList<>(page.items().size());
        for (LogRecord l : page.items()) {
            out.add(log(l));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("latestSeq", latest[0]);
        m.put("logs", out);
        m.put("nextCursor", page.next());
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
        m.put("timeMs", millis(l.timeNanos()));
        m.put("level", level(l));
        m.put("body", l.body());
        m.put("service", l.service());
        // Which replica wrote it (the resource's service.instance.id), "" when the sender does not say.
        Object instance = l.resource().get(OtlpConverter.INSTANCE);
        m.put("instance", instance == null ? "" : String.valueOf(instance));
        m.put("traceId", l.traceId());
        m.put("spanId", l.spanId());
        m.put("scope", l.scope());
        m.put("scopeVersion", l.scopeVersion());
        m.put("eventName", l.eventName());
        m.put("attributes", new TreeMap<>(l.attributes()));
        m.put("cursor", l.timeNanos() + ":" + l.seq()); // its position: the cursor of the records after it
        return m;
    }

    /** The stored points of a metric that match a series query's service, label and time filters, oldest first. */
    private List<PointRecord> selected(SeriesQuery q) {
        List<PointRecord> out = new ArrayList<>();
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
            out.add(p);
        });
        return out;
    }

    /**
     * A metric's time series: one series per label set (and per statistic): by default the per-second rate for
     * counters, the value for gauges and up-down counters, quantiles for histograms and summaries. Null when the
     * metric is unknown.
     */
    public Map<String, Object> series(SeriesQuery q) {
        Store.MetricInfo info = store.metric(q.metric());
        if (info == null) {
            return null;
        }
        Map<List<Object>, List<PointRecord>> groups = new LinkedHashMap<>();
        for (PointRecord p : selected(q)) {
            groups.computeIfAbsent(List.of(p.service(), p.labels()), k -> new ArrayList<>())
                    .add(p);
        }
        List<String> stats = q.stats() != null
                ? q.stats()
                : switch (info.type) {
                    case COUNTER -> List.of("rate");
                    case GAUGE, UP_DOWN_COUNTER -> List.of("value");
                    case HISTOGRAM, SUMMARY -> List.of("quantiles");
                };
        List<Raw> raws = new ArrayList<>();
        for (List<PointRecord> pts : groups.values()) {
            pts.sort(Comparator.comparingLong(PointRecord::timeNanos));
            boolean distribution = info.type == Records.MetricType.HISTOGRAM || info.type == Records.MetricType.SUMMARY;
            for (String stat : stats) {
                switch (stat) {
                    case "rate" -> {
                        if (info.type == Records.MetricType.COUNTER) {
                            raws.add(new Raw(pts, "rate", Double.NaN, rates(pts, PointRecord::value)));
                        } else if (distribution) {
                            raws.add(new Raw(pts, "rate", Double.NaN, rates(pts, p -> (double) p.count())));
                        }
                    }
                    case "value" -> {
                        if (!distribution) {
                            raws.add(new Raw(pts, "value", Double.NaN, values(pts, PointRecord::value)));
                        }
                    }
                    case "count" -> {
                        if (distribution) {
                            raws.add(new Raw(pts, "count", Double.NaN, values(pts, p -> (double) p.count())));
                        }
                    }
                    case "sum" -> {
                        if (distribution) {
                            raws.add(new Raw(pts, "sum", Double.NaN, values(pts, PointRecord::sum)));
                        }
                    }
                    case "mean" -> {
                        if (distribution) {
                            raws.add(new Raw(pts, "mean", Double.NaN, means(pts)));
                        }
                    }
                    case "quantiles" -> {
                        for (double quantile : q.quantiles()) {
                            String name = "p" + pct(quantile);
                            if (info.type == Records.MetricType.HISTOGRAM) {
                                raws.add(new Raw(pts, name, quantile, histogramQuantiles(pts, quantile)));
                            } else if (info.type == Records.MetricType.SUMMARY) {
                                raws.add(new Raw(pts, name, quantile, summaryQuantiles(pts, quantile)));
                            }
                        }
                    }
                    default -> {}
                }
            }
        }
        List<Map<String, Object>> series = new ArrayList<>();
        if (q.groupBy() == null) {
            for (Raw r : raws) {
                series.add(seriesOf(r.pts().get(0), r.stat(), r.points()));
            }
        } else {
            series.addAll(grouped(raws, q.groupBy(), info.type));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", info.name);
        m.put("type", info.type.name().toLowerCase(Locale.ROOT));
        m.put("unit", info.unit);
        m.put("description", info.description);
        m.put("series", series);
        return m;
    }

    /**
     * A metric's points as stored, oldest first: every field of the data model the console keeps (for checking what
     * was received, and for heatmaps). Null when the metric is unknown.
     */
    public Map<String, Object> points(SeriesQuery q, int limit) {
        Store.MetricInfo info = store.metric(q.metric());
        if (info == null) {
            return null;
        }
        List<PointRecord> pts = selected(q);
        pts.sort(Comparator.comparingLong(PointRecord::timeNanos));
        if (pts.size() > limit) {
            pts = pts.subList(pts.size() - limit, pts.size());
        }
        List<Map<String, Object>> out = new ArrayList<>(pts.size());
        for (PointRecord p : pts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", p.service());
            m.put("labels", new TreeMap<>(p.labels()));
            m.put("startTimeUnixNano", p.startNanos());
            m.put("timeUnixNano", p.timeNanos());
            m.put("timeMs", millis(p.timeNanos()));
            m.put("temporality", p.delta() ? "delta" : "cumulative");
            switch (p.type()) {
                case COUNTER, UP_DOWN_COUNTER, GAUGE -> m.put("value", p.value());
                case HISTOGRAM -> {
                    m.put("count", p.count());
                    m.put("sum", p.sum());
                    m.put("bounds", p.bounds());
                    m.put("counts", p.counts());
                }
                case SUMMARY -> {
                    m.put("count", p.count());
                    m.put("sum", p.sum());
                    List<Map<String, Object>> qv = new ArrayList<>();
                    for (int i = 0; i < p.bounds().length; i++) {
                        qv.add(Map.of("quantile", p.bounds()[i], "value", p.values()[i]));
                    }
                    m.put("quantileValues", qv);
                }
            }
            if (!p.exemplars().isEmpty()) {
                m.put("exemplars", exemplars(p));
            }
            out.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", info.name);
        m.put("type", info.type.name().toLowerCase(Locale.ROOT));
        m.put("unit", info.unit);
        m.put("description", info.description);
        m.put("points", out);
        return m;
    }

    /** A metric that is not a histogram was asked for a heatmap. */
    public static final class NotAHistogram extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotAHistogram(String message) {
            super(message, null, false, false);
        }
    }

    /** One histogram point's observations within its interval, for the heatmap. */
    private record Interval(
            long startNanos, long timeNanos, double[] bounds, long[] counts, List<Exemplar> exemplars) {}

    /**
     * A histogram's heatmap: time × bucket, each cell the number of observations in that bucket during one interval
     * (a delta point's own interval; for a cumulative series the difference from the previous point, so its first
     * point — counted since its start, perhaps hours ago — has none and is left out, as for rates). Series of the same
     * time are summed. Rows are the union of the points' bucket edges (explicit and exponential histograms alike,
     * exponential ones as explicit edges from scale and offset; a coarser bucket counts in the row that shares its
     * upper edge), from the lowest to the highest bucket with a count. At most {@code limit} newest columns. Null when
     * the metric is unknown; throws {@link NotAHistogram} for other metric types.
     *
     * <p>The answer: {@code buckets} ({@code lower}, {@code upper}; null for an unbounded side), {@code columns}
     * ({@code startMs}, {@code timeMs}, {@code counts} per bucket, {@code total}), {@code maxCount}, and the
     * {@code exemplars} of the points shown with their {@code column} and {@code bucket} indexes.
     */
    public Map<String, Object> heatmap(SeriesQuery q, int limit) {
        Store.MetricInfo info = store.metric(q.metric());
        if (info == null) {
            return null;
        }
        if (info.type != Records.MetricType.HISTOGRAM) {
            throw new NotAHistogram(q.metric() + " is a " + info.type.name().toLowerCase(Locale.ROOT)
                    + ", not a histogram: only histograms have a heatmap");
        }
        Map<List<Object>, List<PointRecord>> series = new LinkedHashMap<>();
        for (PointRecord p : selected(q)) {
            series.computeIfAbsent(List.of(p.service(), p.labels()), k -> new ArrayList<>())
                    .add(p);
        }
        List<Interval> intervals = new ArrayList<>();
        TreeSet<Double> edges = new TreeSet<>(List.of(Double.POSITIVE_INFINITY));
        double[] edgesAdded = null; // the edges last added: points of a series mostly share theirs
        for (List<PointRecord> pts : series.values()) {
            pts.sort(Comparator.comparingLong(PointRecord::timeNanos));
            PointRecord prev = null;
            for (PointRecord p : pts) {
                boolean hasInterval = p.delta() || prev != null;
                if (hasInterval) {
                    boolean continues = !p.delta() && p.startNanos() == prev.startNanos();
                    long start = p.delta() || !continues ? p.startNanos() : prev.timeNanos();
                    intervals.add(
                            new Interval(start, p.timeNanos(), p.bounds(), intervalCounts(prev, p), p.exemplars()));
                    if (!Arrays.equals(p.bounds(), edgesAdded)) {
                        edgesAdded = p.bounds();
                        for (double b : edgesAdded) {
                            edges.add(b);
                        }
                    }
                }
                prev = p;
            }
        }
        // Columns: the newest `limit` distinct point times.
        TreeMap<Long, long[]> columns = new TreeMap<>();
        TreeMap<Long, Long> starts = new TreeMap<>();
        List<Double> rows = new ArrayList<>(edges);
        for (Interval iv : intervals) {
            columns.computeIfAbsent(iv.timeNanos(), k -> new long[rows.size()]);
            starts.merge(iv.timeNanos(), iv.startNanos(), Math::min);
        }
        while (columns.size() > limit) {
            starts.remove(columns.pollFirstEntry().getKey());
        }
        double[] lastBounds = null;
        int[] rowOf = null; // per bucket of lastBounds, its row: points of a series mostly share their edges
        for (Interval iv : intervals) {
            long[] column = columns.get(iv.timeNanos());
            if (column == null) {
                continue;
            }
            if (!Arrays.equals(iv.bounds(), lastBounds)) {
                lastBounds = iv.bounds();
                rowOf = new int[lastBounds.length + 1];
                for (int i = 0; i < rowOf.length; i++) {
                    rowOf[i] = Collections.binarySearch(
                            rows, i < lastBounds.length ? lastBounds[i] : Double.POSITIVE_INFINITY);
                }
            }
            for (int i = 0; i < Math.min(iv.counts().length, rowOf.length); i++) {
                column[rowOf[i]] += iv.counts()[i];
            }
        }
        int lo = rows.size();
        int hi = -1;
        for (long[] column : columns.values()) {
            for (int r = 0; r < column.length; r++) {
                if (column[r] != 0) {
                    lo = Math.min(lo, r);
                    hi = Math.max(hi, r);
                }
            }
        }
        List<Map<String, Object>> buckets = new ArrayList<>();
        for (int r = lo; r <= hi; r++) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("lower", r == 0 ? null : rows.get(r - 1));
            b.put("upper", rows.get(r).isInfinite() ? null : rows.get(r));
            buckets.add(b);
        }
        List<Map<String, Object>> out = new ArrayList<>(columns.size());
        List<Long> times = new ArrayList<>(columns.keySet());
        long max = 0;
        for (Map.Entry<Long, long[]> c : columns.entrySet()) {
            long[] counts = hi < lo ? new long[0] : Arrays.copyOfRange(c.getValue(), lo, hi + 1);
            long total = 0;
            for (long n : counts) {
                total += n;
                max = Math.max(max, n);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("startMs", millis(starts.get(c.getKey())));
            m.put("timeMs", millis(c.getKey()));
            m.put("counts", counts);
            m.put("total", total);
            out.add(m);
        }
        List<Map<String, Object>> exemplars = new ArrayList<>();
        for (Interval iv : intervals) {
            int column = Collections.binarySearch(times, iv.timeNanos());
            if (column < 0) {
                continue;
            }
            for (Exemplar e : iv.exemplars()) {
                // The row whose (lower, upper] holds the value.
                int row = Collections.binarySearch(rows, e.value());
                row = row >= 0 ? row : -row - 1;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("timeMs", millis(e.timeNanos()));
                m.put("value", e.value());
                m.put("traceId", e.traceId());
                m.put("spanId", e.spanId());
                m.put("column", column);
                m.put("bucket", Math.max(0, Math.min(hi, row) - lo));
                exemplars.add(m);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", info.name);
        m.put("unit", info.unit);
        m.put("description", info.description);
        m.put("buckets", buckets);
        m.put("columns", out);
        m.put("maxCount", max);
        m.put("exemplars", exemplars);
        return m;
    }

    private static List<Map<String, Object>> exemplars(PointRecord p) {
        List<Map<String, Object>> out = new ArrayList<>(p.exemplars().size());
        for (Exemplar e : p.exemplars()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("timeMs", millis(e.timeNanos()));
            m.put("value", e.value());
            m.put("traceId", e.traceId());
            m.put("spanId", e.spanId());
            out.add(m);
        }
        return out;
    }

    /** One computed series before grouping: its points of one label set, the statistic, its values. */
    private record Raw(List<PointRecord> pts, String stat, double quantile, List<double[]> points) {}

    /**
     * Series summed by the given labels ({@code service} stands for the service). Each group sums, at every time any
     * member has a value, the latest value of each member not older than two and a half of its own intervals (a member
     * that stopped reporting drops out; a gap in all members stays a gap). Histogram quantiles are computed from the
     * members' summed buckets; summary quantiles cannot be summed and are left out.
     */
    private static List<Map<String, Object>> grouped(List<Raw> raws, List<String> by, Records.MetricType type) {
        Map<List<Object>, List<Raw>> groups = new LinkedHashMap<>();
        for (Raw r : raws) {
            if (r.stat().startsWith("p") && type == Records.MetricType.SUMMARY) {
                continue;
            }
            groups.computeIfAbsent(List.of(r.stat(), groupLabels(r.pts().get(0), by)), k -> new ArrayList<>())
                    .add(r);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<List<Object>, List<Raw>> g : groups.entrySet()) {
            List<Raw> members = g.getValue();
            Raw first = members.get(0);
            List<double[]> points;
            if (first.stat().startsWith("p") && type == Records.MetricType.HISTOGRAM) {
                points = groupedQuantiles(members, first.quantile());
            } else {
                List<List<double[]>> lists = new ArrayList<>();
                for (Raw r : members) {
                    lists.add(r.points());
                }
                points = stepSum(lists);
            }
            @SuppressWarnings("unchecked")
            Map<String, String> labels = (Map<String, String>) g.getKey().get(1);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", labels.containsKey("service") ? labels.get("service") : "");
            m.put("labels", labels);
            m.put("stat", first.stat());
            m.put("members", members.size());
            m.put("points", points);
            out.add(m);
        }
        return out;
    }

    private static Map<String, String> groupLabels(PointRecord p, List<String> by) {
        Map<String, String> labels = new TreeMap<>();
        for (String key : by) {
            String v = key.equals("service") ? p.service() : p.labels().get(key);
            labels.put(key, v == null ? "" : v);
        }
        return labels;
    }

    /** How long a member's last value still counts: two and a half of its median interval (0 with one point). */
    private static double lookback(List<double[]> points) {
        if (points.size() < 2) {
            return 0;
        }
        double[] gaps = new double[points.size() - 1];
        for (int i = 1; i < points.size(); i++) {
            gaps[i - 1] = points.get(i)[0] - points.get(i - 1)[0];
        }
        Arrays.sort(gaps);
        return 2.5 * gaps[gaps.length / 2];
    }

    /**
     * Walks the times at which any member has a row ({@code [ms, …]}, oldest first), handing over the rows current
     * then: each member's latest row not after that time and not older than its lookback. Times with none are skipped.
     */
    private static void aligned(List<List<double[]>> members, BiConsumer<Double, List<double[]>> atTime) {
        TreeSet<Double> times = new TreeSet<>();
        double[] lookbacks = new double[members.size()];
        for (int i = 0; i < members.size(); i++) {
            for (double[] row : members.get(i)) {
                times.add(row[0]);
            }
            lookbacks[i] = lookback(members.get(i));
        }
        int[] at = new int[members.size()]; // per member: index of its latest row not after t, or -1
        Arrays.fill(at, -1);
        List<double[]> current = new ArrayList<>(members.size());
        for (double t : times) {
            current.clear();
            for (int i = 0; i < members.size(); i++) {
                List<double[]> l = members.get(i);
                while (at[i] + 1 < l.size() && l.get(at[i] + 1)[0] <= t) {
                    at[i]++;
                }
                if (at[i] >= 0 && t - l.get(at[i])[0] <= lookbacks[i]) {
                    current.add(l.get(at[i]));
                }
            }
            if (!current.isEmpty()) {
                atTime.accept(t, current);
            }
        }
    }

    private static List<double[]> stepSum(List<List<double[]>> lists) {
        List<double[]> out = new ArrayList<>();
        aligned(lists, (t, rows) -> {
            double sum = 0;
            for (double[] row : rows) {
                sum += row[1];
            }
            out.add(new double[] {t, sum});
        });
        return out;
    }

    /** Quantiles of the members' summed interval buckets (members with other bucket edges than the first's are left out). */
    private static List<double[]> groupedQuantiles(List<Raw> members, double q) {
        double[] bounds = members.get(0).pts().get(0).bounds();
        List<List<double[]>> perMember = new ArrayList<>(); // rows: [ms, count of bucket 0, count of bucket 1, …]
        for (Raw r : members) {
            List<double[]> rows = new ArrayList<>();
            PointRecord prev = null;
            for (PointRecord p : r.pts()) {
                if (Arrays.equals(p.bounds(), bounds)) {
                    long[] c = intervalCounts(prev, p);
                    double[] row = new double[c.length + 1];
                    row[0] = millis(p.timeNanos());
                    for (int i = 0; i < c.length; i++) {
                        row[i + 1] = c[i];
                    }
                    rows.add(row);
                }
                prev = p;
            }
            perMember.add(rows);
        }
        List<double[]> out = new ArrayList<>();
        aligned(perMember, (t, rows) -> {
            long[] sum = new long[bounds.length + 1];
            for (double[] row : rows) {
                for (int b = 0; b < sum.length && b + 1 < row.length; b++) {
                    sum[b] += (long) row[b + 1];
                }
            }
            double v = quantile(q, bounds, sum);
            if (!Double.isNaN(v)) {
                out.add(new double[] {t, v});
            }
        });
        return out;
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

    private static List<double[]> values(List<PointRecord> pts, ToDoubleFunction<PointRecord> f) {
        List<double[]> out = new ArrayList<>(pts.size());
        for (PointRecord p : pts) {
            out.add(new double[] {millis(p.timeNanos()), f.applyAsDouble(p)});
        }
        return out;
    }

    /** Whether {@code p} continues the cumulative run of {@code prev} (same start, nothing reset). */
    private static boolean sameRun(PointRecord prev, PointRecord p, double prevValue, double value) {
        return prev != null
                && !p.delta()
                && p.startNanos() == prev.startNanos()
                && p.timeNanos() > prev.timeNanos()
                && value >= prevValue;
    }

    /**
     * Per-second rates. A delta point covers its own interval (start to time); a cumulative point is a rate against
     * the previous point of its run, and the first point of a run (a start or a reset) against zero at the run's start
     * time ({@code startTimeUnixNano}), which is what OTLP says it counted from: a series shows a rate from its first
     * export, not only from its second. A first point without a start time (or not after it) has none.
     */
    private static List<double[]> rates(List<PointRecord> pts, ToDoubleFunction<PointRecord> f) {
        List<double[]> out = new ArrayList<>(pts.size());
        PointRecord prev = null;
        for (PointRecord p : pts) {
            double v = f.applyAsDouble(p);
            double rate = Double.NaN;
            if (p.delta()) {
                if (p.startNanos() > 0 && p.timeNanos() > p.startNanos()) {
                    rate = v / ((p.timeNanos() - p.startNanos()) / 1e9);
                }
            } else if (sameRun(prev, p, f.applyAsDouble(prev == null ? p : prev), v)) {
                rate = (v - f.applyAsDouble(prev)) / ((p.timeNanos() - prev.timeNanos()) / 1e9);
            } else if ((prev == null || p.startNanos() != prev.startNanos())
                    && p.startNanos() > 0
                    && p.timeNanos() > p.startNanos()
                    && v >= 0) {
                rate = v / ((p.timeNanos() - p.startNanos()) / 1e9);
            }
            if (!Double.isNaN(rate)) {
                out.add(new double[] {millis(p.timeNanos()), rate});
            }
            prev = p;
        }
        return out;
    }

    /** The mean observation per interval: sum over count of the interval (of the difference, when cumulative). */
    private static List<double[]> means(List<PointRecord> pts) {
        List<double[]> out = new ArrayList<>(pts.size());
        PointRecord prev = null;
        for (PointRecord p : pts) {
            double sum = p.sum();
            double count = p.count();
            if (sameRun(prev, p, prev == null ? 0 : prev.count(), count)) {
                sum -= prev.sum();
                count -= prev.count();
            }
            if (count > 0) {
                out.add(new double[] {millis(p.timeNanos()), sum / count});
            }
            prev = p;
        }
        return out;
    }

    /**
     * The observations of {@code p} within its interval: for a cumulative point, its buckets minus the previous
     * point's. Buckets are matched by their edges, so an exponential histogram whose range grew between the two
     * points still subtracts; when a previous bucket has no counterpart the run was reset and {@code p} stands alone.
     */
    static long[] intervalCounts(PointRecord prev, PointRecord p) {
        if (prev == null || p.delta() || p.startNanos() != prev.startNanos() || p.count() < prev.count()) {
            return p.counts();
        }
        long[] counts = p.counts().clone();
        if (Arrays.equals(p.bounds(), prev.bounds())) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] -= prev.counts()[i];
            }
        } else {
            Map<Long, Integer> byUpper = new HashMap<>();
            for (int i = 0; i < counts.length; i++) {
                byUpper.put(upperKey(p.bounds(), i), i);
            }
            for (int j = 0; j < prev.counts().length; j++) {
                if (prev.counts()[j] == 0) {
                    continue;
                }
                Integer i = byUpper.get(upperKey(prev.bounds(), j));
                if (i == null) {
                    return p.counts();
                }
                counts[i] -= prev.counts()[j];
            }
        }
        for (long c : counts) {
            if (c < 0) {
                return p.counts();
            }
        }
        return counts;
    }

    private static long upperKey(double[] bounds, int i) {
        return i < bounds.length ? Double.doubleToLongBits(bounds[i]) : Long.MAX_VALUE;
    }

    private static List<double[]> histogramQuantiles(List<PointRecord> pts, double q) {
        List<double[]> out = new ArrayList<>(pts.size());
        PointRecord prev = null;
        for (PointRecord p : pts) {
            double v = quantile(q, p.bounds(), intervalCounts(prev, p));
            if (!Double.isNaN(v)) {
                out.add(new double[] {millis(p.timeNanos()), v});
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
                    out.add(new double[] {millis(p.timeNanos()), p.values()[i]});
                }
            }
        }
        return out;
    }

    /** Traces up to this many spans are scanned for a parent, larger ones indexed (see {@link #services}). */
    static final int PARENT_SCAN_LIMIT = 16;

    /** The overview's default window: the last 15 minutes of the data. */
    static final long OVERVIEW_WINDOW_NANOS = 15 * 60 * 1_000_000_000L;

    /**
     * The overview: per service, the rate, error ratio and latency percentiles (RED) of its entry spans — roots, server
     * and consumer spans, and spans whose parent is in another service — within a window (default: the last 15
     * minutes up to the newest span); and the service graph, an edge per caller → callee service pair from parent/child
     * spans across services.
     */
    public Map<String, Object> services(Long startNanos, Long endNanos) {
        long latest = store.latestSpanStart();
        long end = endNanos != null ? endNanos : latest == Long.MIN_VALUE ? 0 : latest;
        long start = startNanos != null ? startNanos : end - OVERVIEW_WINDOW_NANOS;
        long lateness = store.spanLateness();
        // Entry spans by trace and span id: a span sent twice (an exporter's retry after a lost answer) is one request,
        // as it is one span in its trace. Visited newest first, so the oldest copy is the one kept, as in the trace.
        Map<String, Entry> byTraceAndSpan = new HashMap<>();
        Map<String, Map<String, SpanRecord>> byId =
                new HashMap<>(); // per trace: span id → span, built when first needed
        store.spansNewestFirst(s -> {
            if (saturatedAdd(s.startNanos(), lateness) < start) {
                return false;
            }
            if (s.startNanos() < start || s.startNanos() > end) {
                return true;
            }
            SpanRecord parent = null;
            if (!s.parentSpanId().isEmpty()) {
                // Scanning the trace for every span's parent is quadratic in its size: a trace of more than a few
                // spans is indexed by span id, once per query. A small one is scanned (at most SCAN_LIMIT looks per
                // span, so still linear overall), which spares a map per trace in the common case.
                Collection<SpanRecord> trace = store.traceWhileVisiting(s.traceId());
                if (trace.size() <= PARENT_SCAN_LIMIT) {
                    for (SpanRecord x : trace) {
                        if (x.spanId().equals(s.parentSpanId())) {
                            parent = x;
                            break;
                        }
                    }
                } else {
                    parent = byId.computeIfAbsent(s.traceId(), this::spanIndex).get(s.parentSpanId());
                }
            }
            boolean crossService = parent != null && !parent.service().equals(s.service());
            if (s.parentSpanId().isEmpty() || s.kind() == 2 || s.kind() == 5 || crossService) {
                byTraceAndSpan.put(s.traceId() + s.spanId(), new Entry(s, crossService ? parent.service() : null));
            }
            return true;
        });
        Map<String, List<SpanRecord>> entries = new TreeMap<>();
        Map<List<String>, long[]> edges =
                new TreeMap<>(Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1)));
        for (Entry entry : byTraceAndSpan.values()) {
            SpanRecord s = entry.span();
            entries.computeIfAbsent(s.service(), k -> new ArrayList<>()).add(s);
            if (entry.caller() != null) {
                long[] e = edges.computeIfAbsent(List.of(entry.caller(), s.service()), k -> new long[2]);
                e[0]++;
                if (s.status() == 2) {
                    e[1]++;
                }
            }
        }
        double seconds = Math.max(1e-9, (end - start) / 1e9);
        List<Map<String, Object>> services = new ArrayList<>();
        for (Map.Entry<String, List<SpanRecord>> e : entries.entrySet()) {
            List<SpanRecord> spans = e.getValue();
            long errors = spans.stream().filter(x -> x.status() == 2).count();
            long[] durations =
                    spans.stream().mapToLong(SpanRecord::durationNanos).sorted().toArray();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", e.getKey());
            m.put("requests", spans.size());
            m.put("ratePerSecond", spans.size() / seconds);
            m.put("errors", errors);
            m.put("errorRatio", (double) errors / spans.size());
            m.put("p50Ms", millis(percentile(durations, 0.5)));
            m.put("p95Ms", millis(percentile(durations, 0.95)));
            services.add(m);
        }
        List<Map<String, Object>> graph = new ArrayList<>();
        for (Map.Entry<List<String>, long[]> e : edges.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("from", e.getKey().get(0));
            m.put("to", e.getKey().get(1));
            m.put("calls", e.getValue()[0]);
            m.put("errors", e.getValue()[1]);
            graph.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("startMs", millis(start));
        m.put("endMs", millis(end));
        m.put("services", services);
        m.put("edges", graph);
        return m;
    }

    /** An entry span of the overview, and the service that called it when that is another one. */
    private record Entry(SpanRecord span, String caller) {}

    /**
     * A trace's spans by span id, for the visitor of {@link Store#spansNewestFirst} (which holds the read lock). Counts
     * the spans it indexes ({@link #spansIndexed()}).
     */
    private Map<String, SpanRecord> spanIndex(String traceId) {
        Collection<SpanRecord> spans = store.traceWhileVisiting(traceId);
        Map<String, SpanRecord> index = HashMap.newHashMap(spans.size());
        for (SpanRecord x : spans) {
            index.putIfAbsent(x.spanId(), x);
        }
        spansIndexed.add(spans.size());
        return index;
    }

    /**
     * How many spans the overview's parent lookups have indexed so far (each trace once per overview): linear in the
     * spans in the window, however large a trace is. For tests that assert the lookup's complexity.
     */
    long spansIndexed() {
        return spansIndexed.sum();
    }

    /** The nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
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
