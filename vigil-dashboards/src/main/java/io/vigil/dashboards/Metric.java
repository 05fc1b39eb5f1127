package io.vigil.dashboards;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One metric as Prometheus stores it: exposition name, type, the label names it may carry, and who
 * emits it. Dashboards and alert rules may only select metrics and labels declared this way.
 *
 * @param name exposition name; for a histogram the base name, without {@code _bucket}/{@code _count}/{@code _sum}
 * @param source who emits it, e.g. {@code operation:authentication}, {@code vigil-http}, {@code postgres-exporter}
 */
public record Metric(String name, Type type, List<String> labels, String description, String source) {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** Prometheus metric types as far as queries care. */
    public enum Type {
        COUNTER,
        GAUGE,
        HISTOGRAM
    }

    /** Rejects a {@code null} component and names that are not Prometheus metric or label names; copies the labels. */
    public Metric {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(source, "source");
        labels = List.copyOf(labels);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a Prometheus metric name: " + name);
        }
        for (String label : labels) {
            if (!NAME.matcher(label).matches() || label.contains(":")) {
                throw new IllegalArgumentException("not a Prometheus label name: " + label + " on " + name);
            }
        }
    }

    /** A counter. */
    public static Metric counter(String name, String description, String source, String... labels) {
        return new Metric(name, Type.COUNTER, List.of(labels), description, source);
    }

    /** A gauge. */
    public static Metric gauge(String name, String description, String source, String... labels) {
        return new Metric(name, Type.GAUGE, List.of(labels), description, source);
    }

    /** A classic histogram (series {@code _bucket{le}}, {@code _count}, {@code _sum}). */
    public static Metric histogram(String name, String description, String source, String... labels) {
        return new Metric(name, Type.HISTOGRAM, List.of(labels), description, source);
    }
}
