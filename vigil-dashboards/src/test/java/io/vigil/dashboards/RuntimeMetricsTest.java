package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The metrics {@link PlatformMetrics} says every Vigil runtime emits are in a real runtime's scrape,
 * with no label the dashboards do not know about: the JVM dashboard cannot show "No data" because of
 * a name drift in the OpenTelemetry runtime instrumentation.
 */
class RuntimeMetricsTest {
    private static final Pattern SERIES = Pattern.compile("^([a-zA-Z_:][\\w:]*)(\\{([^}]*)})? ", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_]\\w*)=\"");
    /** Added by the OpenTelemetry Prometheus exporter to every series; not used by queries. */
    private static final Set<String> EXPORTER_LABELS =
            Set.of("otel_scope_name", "otel_scope_version", "otel_scope_schema_url");

    @Test
    void everyRuntimeMetricIsScrapedWithItsDeclaredLabels() {
        List<Metric> runtime = PlatformMetrics.all().stream()
                .filter(m -> m.source().equals(PlatformMetrics.CORE))
                .filter(m -> !m.name().equals("vigil_label_overflow_total")) // only after an overflow
                .toList();
        try (Vigil vigil = Vigil.builder().config(VigilConfig.builder().build()).build()) {
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        System.gc(); // so that jvm_gc_duration_seconds has observations
                        String text =
                                vigil.metricsEndpoint().scrape("text/plain").text();
                        for (Metric m : runtime) {
                            String series = m.type() == Metric.Type.HISTOGRAM ? m.name() + "_bucket" : m.name();
                            Set<String> labels = labels(text, series);
                            assertThat(labels)
                                    .as("%s in the scrape; it has %s", series, names(text))
                                    .isNotNull();
                            Set<String> allowed = new HashSet<>(m.labels());
                            allowed.addAll(EXPORTER_LABELS);
                            allowed.add("le");
                            assertThat(allowed).as(series + " labels").containsAll(labels);
                        }
                    });
        }
    }

    private static Set<String> names(String text) {
        Set<String> names = new java.util.TreeSet<>();
        Matcher m = SERIES.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The label names of {@code name}'s series, or {@code null} when it has none. */
    private static Set<String> labels(String text, String name) {
        Set<String> labels = null;
        Matcher m = SERIES.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                if (labels == null) {
                    labels = new HashSet<>();
                }
                if (m.group(3) != null) {
                    Matcher l = LABEL.matcher(m.group(3));
                    while (l.find()) {
                        labels.add(l.group(1));
                    }
                }
            }
        }
        return labels;
    }
}
