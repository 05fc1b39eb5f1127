package io.vigil.dashboards;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One query of a panel: its language, its text, and the Grafana target fields that go with it.
 *
 * @param text the PromQL, LogQL or TraceQL text (empty for a service map)
 * @param fields further Grafana target fields ({@code legendFormat}, {@code queryType}, …)
 * @param covers which source-document query this one answers, or empty
 */
public record Query(Language language, DataSource dataSource, String text, Map<String, Object> fields, String covers) {
    /** Query languages. */
    public enum Language {
        PROMQL,
        LOGQL,
        TRACEQL,
        SERVICE_MAP,
        PROFILE
    }

    /** Rejects a {@code null} component and copies {@code fields}, so a query is immutable. */
    public Query {
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(text, "text");
        fields = Map.copyOf(fields);
        Objects.requireNonNull(covers, "covers");
    }

    /** A PromQL range query; {@code legend} is Grafana's legend format, e.g. {@code {{endpoint}}}. */
    public static Query promql(String expr, String legend) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("legendFormat", legend);
        f.put("range", true);
        return new Query(Language.PROMQL, DataSource.PROMETHEUS, expr, f, "");
    }

    /** A LogQL query: a log stream for a logs panel, or a metric query for a graph. */
    public static Query logql(String expr, String legend) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("queryType", "range");
        if (!legend.isEmpty()) {
            f.put("legendFormat", legend);
        }
        return new Query(Language.LOGQL, DataSource.LOKI, expr, f, "");
    }

    /** A TraceQL search, shown as a table of traces. */
    public static Query traceql(String query) {
        return new Query(
                Language.TRACEQL,
                DataSource.TEMPO,
                query,
                Map.of("queryType", "traceql", "tableType", "traces", "limit", 20),
                "");
    }

    /** Tempo's service graph (from the metrics generator's series in Prometheus). */
    public static Query serviceMap() {
        return new Query(Language.SERVICE_MAP, DataSource.TEMPO, "", Map.of("queryType", "serviceMap"), "");
    }

    /** A Pyroscope profile, e.g. {@code process_cpu:cpu:nanoseconds:cpu:nanoseconds}. */
    public static Query profile(String profileTypeId, String labelSelector) {
        return new Query(
                Language.PROFILE,
                DataSource.PYROSCOPE,
                labelSelector,
                Map.of("queryType", "profile", "profileTypeId", profileTypeId, "groupBy", java.util.List.of()),
                "");
    }

    /** The same query, also showing exemplars (trace links on histogram points). */
    public Query withExemplars() {
        Map<String, Object> f = new LinkedHashMap<>(fields);
        f.put("exemplar", true);
        return new Query(language, dataSource, text, f, covers);
    }

    /** Notes which source-document query this one covers. */
    public Query covering(String source) {
        return new Query(language, dataSource, text, fields, source);
    }
}
