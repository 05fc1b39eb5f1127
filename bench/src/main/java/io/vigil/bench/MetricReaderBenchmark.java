package io.vigil.bench;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.SdkMeterProviderBuilder;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The metric measurements of one identity-service request (HTTP duration and active requests, operation duration
 * and count, database duration; inside a sampled span, so histograms offer exemplars) with the Prometheus reader
 * alone — what the embedded console costs now that it shares that reader's storage ({@code SharedMetricReader}) —
 * against the Prometheus reader plus the console's own {@code PeriodicMetricReader} (before: every measurement
 * aggregated into two storages).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MetricReaderBenchmark {
    private static final Attributes HTTP = Attributes.of(
            AttributeKey.stringKey("http.request.method"), "GET",
            AttributeKey.stringKey("http.route"), "/api/v1/users/me",
            AttributeKey.longKey("http.response.status_code"), 200L);
    private static final Attributes ACTIVE = Attributes.of(AttributeKey.stringKey("http.request.method"), "GET");
    private static final Attributes OPERATION = Attributes.of(
            AttributeKey.stringKey("operation"), "get_user", AttributeKey.stringKey("outcome"), "success");
    private static final Attributes DB = Attributes.of(
            AttributeKey.stringKey("db.system.name"), "h2", AttributeKey.stringKey("db.operation.name"), "SELECT");

    /** {@code shared}: one reader (now); {@code two}: Prometheus plus a periodic reader (before). */
    @Param({"shared", "two"})
    public String readers;

    private SdkMeterProvider provider;
    private DoubleHistogram http;
    private DoubleHistogram operation;
    private DoubleHistogram db;
    private LongCounter operations;
    private LongUpDownCounter active;
    private io.opentelemetry.context.Scope scope;
    private int i;

    @Setup(Level.Trial)
    public void setUp() {
        SdkMeterProviderBuilder b = SdkMeterProvider.builder().registerMetricReader(PrometheusMetricReader.create());
        if (readers.equals("two")) {
            b.registerMetricReader(PeriodicMetricReader.builder(new Discard())
                    .setInterval(Duration.ofSeconds(10))
                    .build());
        }
        provider = b.build();
        Meter m = provider.get("bench");
        http = m.histogramBuilder("http.server.request.duration").build();
        operation = m.histogramBuilder("operation.duration").build();
        db = m.histogramBuilder("db.client.operation.duration").build();
        operations = m.counterBuilder("operations").build();
        active = m.upDownCounterBuilder("http.server.active_requests").build();
        scope = Span.wrap(SpanContext.create(
                        "0af7651916cd43dd8448eb211c80319c",
                        "b7ad6b7169203331",
                        TraceFlags.getSampled(),
                        TraceState.getDefault()))
                .makeCurrent();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
        provider.close();
    }

    @Benchmark
    public void oneRequest() {
        active.add(1, ACTIVE);
        http.record(0.001 * (i++ & 63), HTTP);
        operation.record(0.0005, OPERATION);
        operations.add(1, OPERATION);
        db.record(0.0002, DB);
        active.add(-1, ACTIVE);
    }

    /** Stands in for the console's exporter: takes the cumulative points, keeps nothing. */
    private static final class Discard implements MetricExporter {
        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public CompletableResultCode export(Collection<MetricData> metrics) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
