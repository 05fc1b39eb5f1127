package io.vigil.dashboards;

import io.vigil.conventions.identity.IdentityConventions;
import io.vigil.core.DatabaseOperation;
import io.vigil.core.MessageConsumption;
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

    /** The contract's catalogue: {@link #standardKinds()} and {@link PlatformMetrics#all()}. */
    public static MetricCatalogue standard() {
        return of(standardKinds(), PlatformMetrics.all());
    }

    /**
     * The contract's operation kinds, which vigil-core no longer pre-registers: the identity
     * conventions' kinds followed by vigil-core's generic {@link DatabaseOperation} and {@link
     * MessageConsumption}, in the contract's order.
     */
    public static List<OperationKind> standardKinds() {
        List<OperationKind> kinds = new ArrayList<>(IdentityConventions.kinds());
        kinds.add(DatabaseOperation.KIND);
        kinds.add(MessageConsumption.KIND);
        return List.copyOf(kinds);
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

    /** Every declared metric. */
    public List<Metric> all() {
        return new ArrayList<>(metrics.values());
    }

    /** Starts a series selector on a declared metric. */
    public Selector select(String name) {
        return Selector.of(metric(name));
    }
}
