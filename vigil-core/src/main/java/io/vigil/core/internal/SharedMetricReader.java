package io.vigil.core.internal;

import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * One metric reader that serves both the Prometheus endpoint and an in-process push exporter (the embedded console):
 * registered with the SDK in the Prometheus reader's place, it hands the registration to that reader (scrapes collect
 * through it as before) and every {@code interval} collects the same cumulative storage once more for the exporter.
 *
 * <p>Why: each registered reader gets its own storage per instrument, so a second {@code PeriodicMetricReader} makes
 * every measurement on a request thread aggregate twice. Sharing is only correct when the exporter wants what the
 * Prometheus reader has — cumulative temporality, the same default aggregations, immutable data (the exporter may keep
 * the points past the next collection); {@link SdkFactory} checks that before it uses this class. The SDK serialises
 * collections of one meter provider, so a scrape and a push never interleave.
 *
 * <p>Thread-safe. The exporter's failures are the exporter's to count; an exception from it is logged once and the
 * next interval tries again.
 */
public final class SharedMetricReader implements MetricReader {
    private final PrometheusMetricReader prometheus;
    private final MetricExporter exporter;
    private final long intervalNanos;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean shutdown = new AtomicBoolean();
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    private final Object exportLock = new Object();
    private volatile CollectionRegistration registration = CollectionRegistration.noop();

    /**
     * @param prometheus the reader scrapes collect through; its temporality, aggregation and memory mode are this
     *     reader's
     * @param exporter fed with the full cumulative collection every {@code interval}, and once more at shutdown
     * @param interval time between pushes (positive)
     */
    public SharedMetricReader(PrometheusMetricReader prometheus, MetricExporter exporter, Duration interval) {
        this.prometheus = prometheus;
        this.exporter = exporter;
        this.intervalNanos = Math.max(1, interval.toNanos());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vigil-metrics-in-process");
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether an exporter with these selectors can share {@code prometheus}'s storage (see the class comment). */
    static boolean canShare(
            PrometheusMetricReader prometheus,
            java.util.function.Function<InstrumentType, AggregationTemporality> temporality,
            java.util.function.Function<InstrumentType, Aggregation> aggregation) {
        if (prometheus.getMemoryMode() != MemoryMode.IMMUTABLE_DATA) {
            return false;
        }
        for (InstrumentType type : InstrumentType.values()) {
            if (temporality.apply(type) != AggregationTemporality.CUMULATIVE
                    || prometheus.getAggregationTemporality(type) != AggregationTemporality.CUMULATIVE) {
                return false;
            }
            Aggregation mine = prometheus.getDefaultAggregation(type);
            Aggregation theirs = aggregation.apply(type);
            if (mine != theirs && !String.valueOf(mine).equals(String.valueOf(theirs))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void register(CollectionRegistration registration) {
        this.registration = registration;
        prometheus.register(registration);
        scheduler.scheduleAtFixedRate(this::push, intervalNanos, intervalNanos, TimeUnit.NANOSECONDS);
    }

    private CompletableResultCode push() {
        synchronized (exportLock) {
            try {
                Collection<MetricData> data = registration.collectAllMetrics();
                if (data.isEmpty()) {
                    return CompletableResultCode.ofSuccess();
                }
                return exporter.export(data);
            } catch (RuntimeException e) {
                if (failureLogged.compareAndSet(false, true)) {
                    LoggerFactory.getLogger(SharedMetricReader.class)
                            .warn("In-process metric export failed; retrying every interval: {}", e.toString());
                }
                return CompletableResultCode.ofFailure();
            }
        }
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
        return prometheus.getAggregationTemporality(instrumentType);
    }

    @Override
    public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
        return prometheus.getDefaultAggregation(instrumentType);
    }

    @Override
    public MemoryMode getMemoryMode() {
        return prometheus.getMemoryMode();
    }

    /** Pushes the current collection now and flushes the exporter. */
    @Override
    public CompletableResultCode forceFlush() {
        if (shutdown.get()) {
            return CompletableResultCode.ofSuccess();
        }
        CompletableResultCode pushed = push();
        return CompletableResultCode.ofAll(List.of(pushed, exporter.flush(), prometheus.forceFlush()));
    }

    /** Stops the schedule, pushes a last collection, then shuts the exporter and the Prometheus reader down. */
    @Override
    public CompletableResultCode shutdown() {
        if (!shutdown.compareAndSet(false, true)) {
            return CompletableResultCode.ofSuccess();
        }
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        CompletableResultCode last = push();
        CompletableResultCode result = new CompletableResultCode();
        last.whenComplete(() -> CompletableResultCode.ofAll(List.of(exporter.shutdown(), prometheus.shutdown()))
                .whenComplete(() -> {
                    if (last.isSuccess()) {
                        result.succeed();
                    } else {
                        result.fail();
                    }
                }));
        return result;
    }

    @Override
    public String toString() {
        return "SharedMetricReader{prometheus=" + prometheus + ", exporter=" + exporter + ", intervalNanos="
                + intervalNanos + "}";
    }
}
