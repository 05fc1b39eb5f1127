package io.vigil.dashboards;

import java.util.ArrayList;
import java.util.List;

/**
 * A PromQL series selector on a catalogued {@link Metric}, immutable: {@code
 * select("http_requests_total").re("status_code", "5..")} renders {@code
 * http_requests_total{status_code=~"5.."}}. Only the metric's declared labels, {@code job} and
 * {@code instance} (and {@code le} on buckets) may be matched.
 */
public final class Selector {
    private final Metric metric;
    private final String suffix;
    private final List<String> matchers;

    private Selector(Metric metric, String suffix, List<String> matchers) {
        this.metric = metric;
        this.suffix = suffix;
        this.matchers = List.copyOf(matchers);
    }

    static Selector of(Metric metric) {
        return new Selector(metric, "", List.of());
    }

    /** The metric this selector reads. */
    public Metric metric() {
        return metric;
    }

    /** {@code label="value"} */
    public Selector eq(String label, String value) {
        return with(label, "=", value);
    }

    /** {@code label!="value"} */
    public Selector ne(String label, String value) {
        return with(label, "!=", value);
    }

    /** {@code label=~"regex"} */
    public Selector re(String label, String regex) {
        return with(label, "=~", regex);
    }

    /** {@code label!~"regex"} */
    public Selector nre(String label, String regex) {
        return with(label, "!~", regex);
    }

    /** The histogram's {@code _bucket} series. */
    public Selector bucket() {
        return part("_bucket");
    }

    /** The histogram's {@code _count} series. */
    public Selector count() {
        return part("_count");
    }

    /** The histogram's {@code _sum} series. */
    public Selector sum() {
        return part("_sum");
    }

    /** {@code selector[window]}, a range vector. */
    public String over(String window) {
        return this + "[" + window + "]";
    }

    private Selector part(String part) {
        if (metric.type() != Metric.Type.HISTOGRAM) {
            throw new IllegalArgumentException(metric.name() + " is not a histogram");
        }
        if (!suffix.isEmpty()) {
            throw new IllegalStateException("selector already reads " + metric.name() + suffix);
        }
        return new Selector(metric, part, matchers);
    }

    private Selector with(String label, String op, String value) {
        boolean known = metric.labels().contains(label)
                || MetricCatalogue.TARGET_LABELS.contains(label)
                || (label.equals("le") && suffix.equals("_bucket"));
        if (!known) {
            throw new IllegalArgumentException(
                    "metric " + metric.name() + " has no label " + label + " (declared: " + metric.labels() + ")");
        }
        List<String> m = new ArrayList<>(matchers);
        m.add(label + op + '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"');
        return new Selector(metric, suffix, m);
    }

    @Override
    public String toString() {
        if (metric.type() == Metric.Type.HISTOGRAM && suffix.isEmpty()) {
            throw new IllegalStateException(
                    "histogram " + metric.name() + " is read through bucket(), count() or sum()");
        }
        String name = metric.name() + suffix;
        return matchers.isEmpty() ? name : name + "{" + String.join(",", matchers) + "}";
    }
}
