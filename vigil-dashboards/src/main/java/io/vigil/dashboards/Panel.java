package io.vigil.dashboards;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A dashboard panel before layout: Grafana visualization type, title, queries, unit and size in
 * grid units (24 columns wide). {@link Dashboard.Builder} places it.
 *
 * @param options Grafana panel options beyond the defaults the renderer sets for {@code type}
 */
public record Panel(
        String type,
        String title,
        String description,
        List<Query> queries,
        String unit,
        int width,
        int height,
        Map<String, Object> options) {
    /**
     * Rejects {@code null} texts and a size outside 1–24 columns wide or under one row high; copies queries and
     * options.
     */
    public Panel {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(description, "description");
        queries = List.copyOf(queries);
        Objects.requireNonNull(unit, "unit");
        options = Map.copyOf(options);
        if (width < 1 || width > 24 || height < 1) {
            throw new IllegalArgumentException("panel " + title + " has a bad size " + width + "x" + height);
        }
    }

    /** A graph over time. */
    public static Panel timeseries(String title, String unit, Query... queries) {
        return new Panel("timeseries", title, "", List.of(queries), unit, 12, 8, Map.of());
    }

    /** One big number. */
    public static Panel stat(String title, String unit, Query... queries) {
        return new Panel("stat", title, "", List.of(queries), unit, 6, 4, Map.of());
    }

    /** A dial with thresholds. */
    public static Panel gauge(String title, String unit, Query... queries) {
        return new Panel("gauge", title, "", List.of(queries), unit, 6, 6, Map.of());
    }

    /** Shares of a whole. */
    public static Panel pie(String title, String unit, Query... queries) {
        return new Panel("piechart", title, "", List.of(queries), unit, 8, 8, Map.of());
    }

    /** Horizontal bars, one per series. */
    public static Panel bars(String title, String unit, Query... queries) {
        return new Panel("bargauge", title, "", List.of(queries), unit, 8, 8, Map.of());
    }

    /** A table of instant values or of traces. */
    public static Panel table(String title, Query... queries) {
        return new Panel("table", title, "", List.of(queries), "", 12, 8, Map.of());
    }

    /** Log lines. */
    public static Panel logs(String title, Query... queries) {
        return new Panel("logs", title, "", List.of(queries), "", 24, 10, Map.of());
    }

    /** A node graph (Tempo service map). */
    public static Panel nodeGraph(String title, Query query) {
        return new Panel("nodeGraph", title, "", List.of(query), "", 24, 10, Map.of());
    }

    /** A flame graph (Pyroscope). */
    public static Panel flameGraph(String title, Query query) {
        return new Panel("flamegraph", title, "", List.of(query), "", 24, 12, Map.of());
    }

    /** The same panel with a description (shown as the panel's info tooltip). */
    public Panel describedAs(String text) {
        return new Panel(type, title, text, queries, unit, width, height, options);
    }

    /** The same panel with another size. */
    public Panel sized(int w, int h) {
        return new Panel(type, title, description, queries, unit, w, h, options);
    }

    /** The same panel with one more option, e.g. {@code option("stacking", "normal")}. */
    public Panel option(String key, Object value) {
        Map<String, Object> o = new LinkedHashMap<>(options);
        o.put(key, value);
        return new Panel(type, title, description, queries, unit, width, height, o);
    }
}
