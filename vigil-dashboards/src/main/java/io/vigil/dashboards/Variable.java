package io.vigil.dashboards;

import java.util.Objects;

/**
 * A dashboard template variable ({@code $name} in queries).
 *
 * @param type Grafana variable type: {@code query} (values from {@code query} on {@code dataSource}),
 *     {@code custom} (comma-separated values in {@code query}) or {@code textbox}
 * @param dataSource for {@code query} variables, else {@code null}
 * @param value the default value
 * @param includeAll whether "All" (as {@code .*}) is offered
 * @param sample the value tests substitute when they run the queries against real tools
 */
public record Variable(
        String name,
        String label,
        String type,
        DataSource dataSource,
        String query,
        String value,
        boolean includeAll,
        String sample) {
    /** Rejects a {@code null} name, label, type, query, value or sample ({@code dataSource} may be {@code null}). */
    public Variable {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(sample, "sample");
    }

    /** Values from a Prometheus query such as {@code label_values(app_info, job)}. */
    public static Variable prometheus(String name, String label, String query, boolean includeAll, String sample) {
        return new Variable(
                name, label, "query", DataSource.PROMETHEUS, query, includeAll ? "$__all" : sample, includeAll, sample);
    }

    /** A fixed list of values; the first is the default. */
    public static Variable custom(String name, String label, String values) {
        String first = values.split(",")[0].trim();
        return new Variable(name, label, "custom", null, values, first, false, first);
    }

    /** Free text with a default. */
    public static Variable textbox(String name, String label, String value, String sample) {
        return new Variable(name, label, "textbox", null, value, value, false, sample);
    }
}
