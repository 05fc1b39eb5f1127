package io.vigil.core;

import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prometheus/OpenMetrics exposition of every metric of a {@link Vigil} runtime, independent of any
 * HTTP server: an adapter passes the request's {@code Accept} header and writes the answer.
 *
 * <p>Content negotiation follows Prometheus: a scraper asking for {@code
 * application/openmetrics-text} gets OpenMetrics, with trace exemplars on histogram buckets;
 * anything else gets the Prometheus text format 0.0.4.
 */
public final class MetricsEndpoint {
    private static final ExpositionFormats FORMATS = ExpositionFormats.init();

    private static final String APP_INFO = "app";

    private final PrometheusMetricReader reader;
    private final InfoSnapshot appInfo;

    /**
     * @param reader the SDK's Prometheus reader, or {@code null} when metrics are off
     * @param appInfoLabels labels of the {@code app_info} metric, or empty for none
     */
    MetricsEndpoint(PrometheusMetricReader reader, Map<String, String> appInfoLabels) {
        this.reader = reader;
        this.appInfo = reader == null || appInfoLabels.isEmpty()
                ? null
                : InfoSnapshot.builder()
                        .name(APP_INFO)
                        .help("Always 1; labels describe the running service")
                        .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
                                .labels(Labels.of(
                                        appInfoLabels.keySet().toArray(String[]::new),
                                        appInfoLabels.values().toArray(String[]::new)))
                                .build())
                        .build();
    }

    /** Collects all metrics now and encodes them in the format the {@code accept} header asks for. */
    public MetricsScrape scrape(String accept) {
        ExpositionFormatWriter writer = FORMATS.findWriter(accept);
        if (!writer.isAvailable()) {
            // The protobuf format is not shipped; text is what every scraper also accepts.
            writer = FORMATS.getPrometheusTextFormatWriter();
        }
        MetricSnapshots snapshots = collect();
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, snapshots);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return new MetricsScrape(writer.getContentType(), out.toByteArray());
    }

    private MetricSnapshots collect() {
        if (reader == null) {
            return MetricSnapshots.of();
        }
        MetricSnapshots collected = reader.collect();
        if (appInfo == null) {
            return collected;
        }
        // Prometheus reserves the _info suffix for info metrics, so the OpenTelemetry gauge
        // "app_info" arrives renamed to "app"; it is exposed as the info metric it is instead.
        List<MetricSnapshot> snapshots = new ArrayList<>(collected.size());
        for (MetricSnapshot s : collected) {
            if (!(s instanceof GaugeSnapshot && s.getMetadata().getName().equals(APP_INFO))) {
                snapshots.add(s);
            }
        }
        snapshots.add(appInfo);
        return new MetricSnapshots(snapshots);
    }
}
