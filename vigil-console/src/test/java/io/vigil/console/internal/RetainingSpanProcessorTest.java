package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The console's sampling ahead of the batch span processor: above the rate the spans of refused traces never reach the
 * batch processor and are counted once, kept traces arrive whole, error spans always; below it everything arrives;
 * roots are counted once; and the decisions are those the exporter takes behind a plain batch processor. Real SDK,
 * real batch processor and ingest thread; the clock is the test's own.
 */
class RetainingSpanProcessorTest {
    private static final int RATE = 100;
    private static final int SPANS_PER_TRACE = 6; // identity-service's request: a root and five children

    /** A tracer provider whose one processor feeds a console's span exporter, ahead-filtered or plain. */
    private static final class Pipeline implements AutoCloseable {
        final AtomicLong now = new AtomicLong(1_000_000_000_000L);
        final TraceRetention retention;
        final Queue<SpanData> received = new ConcurrentLinkedQueue<>();
        final Ingest ingest;
        final DirectExporters direct;
        final InMemoryMetricReader metrics = InMemoryMetricReader.create();
        final SdkMeterProvider meterProvider =
                SdkMeterProvider.builder().registerMetricReader(metrics).build();
        final SpanProcessor processor;
        final SdkTracerProvider tracerProvider;
        final Tracer tracer;
        final List<String> errorSpanIds = new ArrayList<>();
        long ended;

        Pipeline(int rate, boolean filterAhead) throws Exception {
            retention = new TraceRetention(rate, now::get);
            ingest = new Ingest(
                    (signal, message) -> {},
                    batch -> received.addAll(((DirectBatch.Spans) batch).items()),
                    null,
                    64 << 20,
                    64 << 20);
            direct = new DirectExporters(ingest, retention);
            // The batch processor's own telemetry counts what it processed: what the filter let through.
            BatchSpanProcessor batch = BatchSpanProcessor.builder(direct.spans())
                    .setMeterProvider(() -> meterProvider)
                    .setInternalTelemetryVersion(InternalTelemetryVersion.LATEST)
                    .setMaxQueueSize(100_000)
                    .setScheduleDelay(Duration.ofHours(1)) // exports when a batch is full or flushed
                    .build();
            processor = filterAhead ? direct.filterAhead(batch) : batch;
            Random random = new Random(17); // the same ids in every pipeline: the decisions can be compared
            tracerProvider = SdkTracerProvider.builder()
                    .setIdGenerator(new IdGenerator() {
                        @Override
                        public String generateSpanId() {
                            return SpanId.fromLong(random.nextLong() | 1);
                        }

                        @Override
                        public String generateTraceId() {
                            return TraceId.fromLongs(random.nextLong(), random.nextLong() | 1);
                        }
                    })
                    .addSpanProcessor(processor)
                    .build();
            tracer = tracerProvider.get("test");
        }

        /** {@code n} traces of six spans; in every tenth the third child fails. Returns their trace ids. */
        List<String> traces(int n) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Span root = tracer.spanBuilder("GET /api/v1/users/me").startSpan();
                Context context = Context.root().with(root);
                for (int c = 0; c < SPANS_PER_TRACE - 1; c++) {
                    Span child =
                            tracer.spanBuilder("child " + c).setParent(context).startSpan();
                    if (i % 10 == 0 && c == 2) {
                        child.setStatus(StatusCode.ERROR);
                        errorSpanIds.add(child.getSpanContext().getSpanId());
                    }
                    child.end();
                }
                root.end();
                ids.add(root.getSpanContext().getTraceId());
            }
            ended += (long) n * SPANS_PER_TRACE;
            return ids;
        }

        /** A second later, one root alone: it closes the window before any other span of the next phase. */
        void nextSecond() {
            now.addAndGet(1_000_000_000L);
            tracer.spanBuilder("tick").startSpan().end();
            ended++;
        }

        /**
         * Everything ended so far through the batch processor and the ingest thread: flushed until every ended span is
         * received or counted as skipped. One flush is not enough: the SDK's {@code forceFlush} can answer success at
         * once when it races with the worker finishing an earlier flush (seen: the second phase's spans missing).
         */
        void deliver() {
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(20))
                    .pollInSameThread() // reads the test thread's counters
                    .until(() -> {
                        tracerProvider.forceFlush().join(5, TimeUnit.SECONDS);
                        ingest.flush(Duration.ofSeconds(5));
                        return received.size() + retention.skippedSpans() >= ended;
                    });
        }

        /** Spans the batch processor processed (exported or dropped), from its own telemetry. */
        long batchProcessed() {
            return metrics.collectAllMetrics().stream()
                    .filter(m -> m.getName().equals("otel.sdk.processor.span.processed"))
                    .flatMap(m -> m.getLongSumData().getPoints().stream())
                    .mapToLong(LongPointData::getValue)
                    .sum();
        }

        Set<String> receivedSpanIds() {
            return received.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
        }

        @Override
        public void close() {
            tracerProvider.close();
            meterProvider.close();
            ingest.close();
        }
    }

    /** Two seconds: 1,000 traces (all kept, a tenth kept from then on), then 400 with the tenth. */
    private static List<String> aboveTheRate(Pipeline p) throws InterruptedException {
        p.traces(1_000);
        p.deliver();
        p.nextSecond();
        List<String> refusing = p.traces(400);
        p.deliver(); // behind a plain batch processor the window closes only now, as the tick is exported
        assertThat(p.retention.keptFraction()).isEqualTo(RATE / 1_000.0);
        return refusing;
    }

    @Test
    void aboveTheRateRefusedTracesNeverReachTheBatchProcessorAndAreCountedOnce() throws Exception {
        try (Pipeline p = new Pipeline(RATE, true)) {
            assertThat(p.processor).isInstanceOf(RetainingSpanProcessor.class);
            List<String> traces = aboveTheRate(p);
            long threshold = (long) (p.retention.keptFraction() * Long.MAX_VALUE);
            Map<String, List<SpanData>> byTrace =
                    p.received.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
            int keptTraces = 0;
            for (String trace : traces) {
                if (TraceRetention.lowBits(trace) >>> 1 <= threshold) {
                    keptTraces++;
                    assertThat(byTrace.get(trace))
                            .as("a kept trace arrives whole")
                            .hasSize(SPANS_PER_TRACE);
                } else {
                    assertThat(byTrace.getOrDefault(trace, List.of()))
                            .as("of a refused trace only its error span")
                            .allMatch(s -> s.getStatus().getStatusCode() == StatusCode.ERROR);
                }
            }
            assertThat(keptTraces).isBetween(15, 70); // a tenth of 400: 40 ± 4.5 standard deviations
            assertThat(p.receivedSpanIds()).as("every error span").containsAll(p.errorSpanIds);

            // Each ended span is either passed on or counted as skipped, once; and only the ones passed on ever
            // reached the batch processor.
            assertThat(p.retention.skippedSpans()).isEqualTo(p.ended - p.received.size());
            assertThat(p.retention.skippedSpans()).isGreaterThan(300 * SPANS_PER_TRACE);
            assertThat(p.batchProcessed()).isEqualTo(p.received.size());

            // 401 roots in the second window (the tick and 400): counted once, not again by the exporter.
            p.nextSecond();
            assertThat(p.retention.keptFraction()).isEqualTo(RATE / 401.0);
        }
    }

    @Test
    void theFilterTakesTheDecisionsTheExporterTakesBehindAPlainBatchProcessor() throws Exception {
        try (Pipeline filtered = new Pipeline(RATE, true);
                Pipeline plain = new Pipeline(RATE, false)) {
            assertThat(plain.processor).isInstanceOf(BatchSpanProcessor.class);
            aboveTheRate(filtered);
            aboveTheRate(plain);
            filtered.nextSecond();
            plain.nextSecond();
            filtered.deliver();
            plain.deliver();
            assertThat(filtered.receivedSpanIds()).isEqualTo(plain.receivedSpanIds());
            assertThat(filtered.retention.skippedSpans()).isEqualTo(plain.retention.skippedSpans());
            assertThat(filtered.retention.keptFraction())
                    .isEqualTo(plain.retention.keptFraction())
                    .isEqualTo(RATE / 401.0);
            // Behind the plain batch processor every span was queued and batched, only to be dropped at export.
            assertThat(plain.batchProcessed()).isEqualTo(plain.ended);
            assertThat(filtered.batchProcessed()).isEqualTo(filtered.received.size());
        }
    }

    @Test
    void belowTheRateEverythingArrives() throws Exception {
        try (Pipeline p = new Pipeline(RATE, true)) {
            p.traces(80);
            p.deliver();
            p.nextSecond();
            p.traces(80);
            p.nextSecond();
            p.deliver();
            assertThat(p.retention.keptFraction()).isEqualTo(1.0);
            assertThat(p.received).hasSize((int) p.ended);
            assertThat(p.retention.skippedSpans()).isZero();
        }
    }

    @Test
    void onlyABatchProcessorIntoThisConsolesOwnExporterIsWrappedAndOnlyOnce() throws Exception {
        try (Pipeline p = new Pipeline(RATE, true);
                Pipeline other = new Pipeline(RATE, true);
                Pipeline keepsAll = new Pipeline(0, true)) {
            // already wrapped: returned as it is, so nothing is counted twice
            assertThat(p.direct.filterAhead(p.processor)).isSameAs(p.processor);
            List<SpanProcessor> notWrapped = List.of(
                    // another console's exporter
                    BatchSpanProcessor.builder(other.direct.spans()).build(),
                    // an exporter that also feeds another one: its spans must not be sampled
                    BatchSpanProcessor.builder(SpanExporter.composite(p.direct.spans(), InMemorySpanExporter.create()))
                            .build(),
                    // no batch processor
                    SimpleSpanProcessor.create(p.direct.spans()));
            for (SpanProcessor processor : notWrapped) {
                assertThat(p.direct.filterAhead(processor)).isSameAs(processor);
                processor.close();
            }
            // a console that keeps every trace needs no filter
            assertThat(keepsAll.processor).isInstanceOf(BatchSpanProcessor.class);
            keepsAll.traces(10);
            keepsAll.deliver();
            assertThat(keepsAll.received).hasSize(60);
        }
    }

    @Test
    void anUnsampledSpanIsPassedOnUncounted() throws Exception {
        try (Pipeline p = new Pipeline(RATE, true)) {
            Span unsampled = Span.wrap(io.opentelemetry.api.trace.SpanContext.create(
                    TraceId.fromLongs(1, 2),
                    SpanId.fromLong(3),
                    io.opentelemetry.api.trace.TraceFlags.getDefault(),
                    io.opentelemetry.api.trace.TraceState.getDefault()));
            // A local root of a trace not sampled upstream: recorded only if a sampler said so; the SDK's default
            // parent-based sampler drops it before any processor sees it, so nothing may be counted for it here.
            p.tracer
                    .spanBuilder("child of an unsampled remote parent")
                    .setParent(Context.root().with(unsampled))
                    .startSpan()
                    .end();
            p.nextSecond();
            p.deliver();
            assertThat(p.retention.skippedSpans()).isZero();
            Set<String> names = new HashSet<>();
            p.received.forEach(s -> names.add(s.getName()));
            assertThat(names).containsExactly("tick");
        }
    }
}
