package io.vigil.dashboards;

import io.vigil.core.OperationKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every metric a dashboard or alert may query: the instruments of the operation kinds plus {@link
 * PlatformMetrics}. Queries are written through {@link #select(String)}, which refuses a metric or a
 * label that is not declared, so a renamed instrument breaks the generator instead of a dashboard.
 */
public final class MetricCatalogue {
    /** Labels Prometheus attaches to every scraped series. */
    public static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    private final Map<String, Metric> metrics;

    private MetricCatalogue(Map<String, Metric> metrics) {
        this.metrics = metrics;
    }

    /**
     * The catalogue of a service with these operation kinds, exposing the platform metrics {@link
     * PlatformMetrics#implied(Collection) implied} by them.
     */
    public static MetricCatalogue forKinds(Collection<OperationKind> kinds) {
        return of(kinds, PlatformMetrics.of(PlatformMetrics.implied(kinds)));
    }

    /** A catalogue of the given kinds' instruments and further metrics; a name declared twice must agree. */
    public static MetricCatalogue of(Collection<OperationKind> kinds, Collection<Metric> others) {
        Map<String, Metric> byName = new LinkedHashMap<>();
        for (OperationKind kind : kinds) {
            for (OperationKind.Instrument instrument : kind.instruments()) {
                Metric.Type type = instrument.type() == OperationKind.InstrumentType.HISTOGRAM
                        ? Metric.Type.HISTOGRAM
                        : Metric.Type.COUNTER;
                add(
                        byName,
                        new Metric(
                                instrument.name(),
                                type,
                                instrument.labels(),
                                instrument.description(),
                                "operation:" + kind.name()));
            }
        }
        others.forEach(m -> add(byName, m));
        return new MetricCatalogue(byName);
    }

    private static void add(Map<String, Metric> byName, Metric metric) {
        Metric previous = byName.putIfAbsent(metric.name(), metric);
        if (previous != null
                && (previous.type() != metric.type()
                        || !Set.copyOf(previous.labels()).equals(Set.copyOf(metric.labels())))) {
            throw new IllegalArgumentException(
                    "metric " + metric.name() + " is declared twice, differently: " + previous + " and " + metric);
        }
    }

    /** The metric named {@code name}; throws when it is not declared. */
    public Metric metric(String name) {
        Metric m = metrics.get(name);
        if (m == null) {
            throw new IllegalArgumentException("metric " + name + " is not in the catalogue");
        }
        return m;
    }

    /** Whether {@code name} is declared. */
    public boolean contains(String name) {
        return metrics.containsKey(name);
    }

    /** Whether every one of {@code names} is declared. */
    public boolean containsAll(String... names) {
        for (String n : names) {
            if (!metrics.containsKey(n)) {
                return false;
            }
        }
        return true;
    }

    /** Every declared metric. */
    public List<Metric> all() {
        return new ArrayList<>(metrics.values());
    }

    /** Starts a series selector on a declared metric. */
    public Selector select(String name) {
        return Selector.of(metric(name));
    }
}
