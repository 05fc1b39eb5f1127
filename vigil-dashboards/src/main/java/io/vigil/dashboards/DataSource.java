package io.vigil.dashboards;

import java.util.List;
import java.util.Objects;

/**
 * A Grafana data source by its fixed uid, as provisioned by {@code
 * deploy/grafana/provisioning/datasources/datasources.yml}; a test holds the two together.
 *
 * @param type Grafana plugin id
 * @param uid the uid fixed in the provisioning file
 */
public record DataSource(String type, String uid) {
    public static final DataSource PROMETHEUS = new DataSource("prometheus", "prometheus");
    public static final DataSource LOKI = new DataSource("loki", "loki");
    public static final DataSource TEMPO = new DataSource("tempo", "tempo");
    public static final DataSource PYROSCOPE = new DataSource("grafana-pyroscope-datasource", "pyroscope");
    public static final DataSource ALERTMANAGER = new DataSource("alertmanager", "alertmanager");

    /** Rejects a {@code null} type or uid. */
    public DataSource {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(uid, "uid");
    }

    /** Every data source the dashboards may use. */
    public static List<DataSource> all() {
        return List.of(PROMETHEUS, LOKI, TEMPO, PYROSCOPE, ALERTMANAGER);
    }
}
