package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What an embedded console keeps above its trace rate: whole traces by trace id, errors, warnings and logs outside a
 * trace always, everything below the rate; the fraction follows the rate back up. The clock is the test's own.
 */
class TraceRetentionTest {
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final InMemoryLogRecordExporter logs = InMemoryLogRecordExporter.create();
    private final SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans))
            .build();
    private final SdkLoggerProvider loggerProvider = SdkLoggerProvider.builder()
            .addLogRecordProcessor(SimpleLogRecordProcessor.create(logs))
            .build();
    private final Tracer tracer = tracerProvider.get("test");
    private final Logger logger = loggerProvider.get("test");
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    @AfterEach
    void close() {
        tracerProvider.close();
        loggerProvider.close();
    }

    /** {@code n} traces of a root and two children, each child logging one INFO line; every fifth root fails. */
    private List<SpanData> traces(int n) {
        spans.reset();
        logs.reset();
        for (int i = 0; i < n; i++) {
            Span root = tracer.spanBuilder("GET /users/me").startSpan();
            try (Scope ignored = root.makeCurrent()) {
                for (int c = 0; c < 2; c++) {
                    Span child = tracer.spanBuilder("child").startSpan();
                    try (Scope alsoIgnored = child.makeCurrent()) {
                        logger.logRecordBuilder()
                                .setSeverity(Severity.INFO)
                                .setBody("step")
                                .emit();
                    }
                    child.end();
                }
            }
            if (i % 5 == 0) {
                root.setStatus(StatusCode.ERROR);
            }
            root.end();
        }
        return spans.getFinishedSpanItems();
    }

    private void oneSecondLater() {
        now.addAndGet(1_000_000_000L);
    }

    @Test
    void aRateOfZeroKeepsEveryBatchAsItIs() {
        TraceRetention retention = new TraceRetention(0, now::get);
        List<SpanData> batch = traces(300);
        oneSecondLater();
        assertThat(retention.spans(batch)).isSameAs(batch);
        List<LogRecordData> logBatch = logs.getFinishedLogRecordItems();
        assertThat(retention.logs(logBatch)).isSameAs(logBatch);
        assertThat(retention.keptFraction()).isEqualTo(1.0);
        assertThat(retention.skippedSpans() + retention.skippedLogs()).isZero();
    }

    @Test
    void belowTheRateEverythingIsKept() {
        TraceRetention retention = new TraceRetention(100, now::get);
        retention.spans(traces(80));
        oneSecondLater();
        List<SpanData> batch = traces(80);
        assertThat(retention.spans(batch)).hasSameSizeAs(batch);
        assertThat(retention.keptFraction()).isEqualTo(1.0);
        assertThat(retention.logs(logs.getFinishedLogRecordItems())).hasSize(160);
        assertThat(retention.skippedSpans() + retention.skippedLogs()).isZero();
    }

    @Test
    void aboveTheRateWholeTracesAreKeptByTraceIdWithEveryErrorAndWarning() {
        TraceRetention retention = new TraceRetention(100, now::get);
        retention.spans(traces(1_000)); // 1,000 roots in the first second
        oneSecondLater();
        retention.spans(List.of()); // the window closes: a tenth is kept from now on
        assertThat(retention.keptFraction()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.001));

        List<SpanData> batch = traces(1_000);
        List<LogRecordData> logBatch = new ArrayList<>(logs.getFinishedLogRecordItems());
        Span warnScope = tracer.spanBuilder("warned").startSpan();
        try (Scope ignored = warnScope.makeCurrent()) {
            for (int i = 0; i < 50; i++) {
                logs.reset();
                logger.logRecordBuilder()
                        .setSeverity(Severity.WARN)
                        .setBody("warning")
                        .emit();
                logBatch.addAll(logs.getFinishedLogRecordItems());
            }
        }
        warnScope.end();
        logs.reset();
        try (Scope ignored = Context.root().makeCurrent()) {
            logger.logRecordBuilder()
                    .setSeverity(Severity.INFO)
                    .setBody("outside")
                    .emit();
        }
        logBatch.addAll(logs.getFinishedLogRecordItems());

        long skippedBefore = retention.skippedSpans(); // the first second's burst was sampled too
        Collection<SpanData> kept = retention.spans(batch);
        Set<String> keptTraces = kept.stream()
                .filter(s -> !s.getParentSpanContext().isValid())
                .filter(s -> s.getStatus().getStatusCode() != StatusCode.ERROR)
                .map(SpanData::getTraceId)
                .collect(Collectors.toSet());
        // 800 ok traces, a tenth kept: binomial, 80 ± 3 standard deviations
        assertThat(keptTraces.size()).isBetween(55, 105);
        Map<String, List<SpanData>> byTrace = batch.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
        for (String trace : keptTraces) {
            assertThat(kept).as("every span of a kept trace").containsAll(byTrace.get(trace));
        }
        for (SpanData s : batch) {
            if (s.getStatus().getStatusCode() == StatusCode.ERROR) {
                assertThat(kept).as("an error span is always kept").contains(s);
            } else if (!keptTraces.contains(s.getTraceId())
                    && byTrace.get(s.getTraceId()).stream()
                            .noneMatch(x -> x.getStatus().getStatusCode() == StatusCode.ERROR)) {
                assertThat(kept).as("a span of a trace not kept").doesNotContain(s);
            }
        }
        assertThat(retention.skippedSpans() - skippedBefore).isEqualTo(batch.size() - kept.size());

        Collection<LogRecordData> keptLogs = retention.logs(logBatch);
        for (LogRecordData l : logBatch) {
            long threshold = (long) (retention.keptFraction() * Long.MAX_VALUE);
            boolean expected = l.getSeverity() == Severity.WARN
                    || !l.getSpanContext().isValid()
                    || TraceRetention.lowBits(l.getSpanContext().getTraceId()) >>> 1 <= threshold;
            assertThat(keptLogs.contains(l)).as("log %s", l.getBodyValue()).isEqualTo(expected);
        }
        assertThat(keptLogs).filteredOn(l -> l.getSeverity() == Severity.WARN).hasSize(50);
        assertThat(keptLogs).filteredOn(l -> !l.getSpanContext().isValid()).hasSize(1);
        assertThat(retention.skippedLogs()).isEqualTo(logBatch.size() - keptLogs.size());
    }

    @Test
    void theLogFilterAgreesWithTheExportersDecisionAndCountsWhatItRefuses() {
        TraceRetention retention = new TraceRetention(100, now::get);
        String[] ids = new String[2_000];
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = io.opentelemetry.api.trace.TraceId.fromLongs(random.nextLong(), random.nextLong());
        }
        for (String id : ids) {
            assertThat(retention.keepsTraceLog(id)).as("below the rate").isTrue();
        }
        retention.spans(traces(1_000));
        oneSecondLater();
        retention.spans(List.of()); // a tenth kept from now on
        long threshold = (long) (retention.keptFraction() * Long.MAX_VALUE);

        int kept = 0;
        for (String id : ids) {
            boolean expected = TraceRetention.lowBits(id) >>> 1 <= threshold;
            assertThat(retention.keepsTraceLog(id)).as(id).isEqualTo(expected);
            kept += expected ? 1 : 0;
        }
        assertThat(kept).isBetween(140, 260); // a tenth of 2,000: 200 ± 4 standard deviations
        assertThat(retention.skippedLogs()).isEqualTo(ids.length - kept);
        // no trace: a record outside any trace is kept, and not counted
        assertThat(retention.keepsTraceLog("00000000000000000000000000000000")).isTrue();
        assertThat(retention.keepsTraceLog("not a trace id")).isTrue();
        assertThat(retention.skippedLogs()).isEqualTo(ids.length - kept);
    }

    @Test
    void whenTheRateFallsEverythingIsKeptAgain() {
        TraceRetention retention = new TraceRetention(100, now::get);
        retention.spans(traces(1_000));
        oneSecondLater();
        retention.spans(List.of());
        assertThat(retention.keptFraction()).isLessThan(1.0);
        retention.spans(traces(50));
        oneSecondLater();
        retention.spans(List.of());
        assertThat(retention.keptFraction()).isEqualTo(1.0);
        List<SpanData> batch = traces(50);
        assertThat(retention.spans(batch)).isSameAs(batch);
    }

    @Test
    void aBurstAfterAQuietSpellKeepsAboutTheRateNotEverything() {
        TraceRetention retention = new TraceRetention(100, now::get);
        retention.spans(traces(1_000));
        oneSecondLater();
        retention.spans(List.of());
        assertThat(retention.keptFraction()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.001));
        now.addAndGet(30_000_000_000L); // idle: the next window measures no roots at all
        int kept = 0;
        for (int i = 0; i < 100; i++) { // then 1,000 roots within one second, in batches of ten
            now.addAndGet(1_000_000L);
            for (SpanData s : retention.spans(traces(10))) {
                if (!s.getParentSpanContext().isValid() && s.getStatus().getStatusCode() != StatusCode.ERROR) {
                    kept++;
                }
            }
        }
        // rate × (1 + ln 10) ≈ 330 of the 800 roots without an error; before, every one of them was kept.
        assertThat(kept).isBetween(100, 400);
        assertThat(retention.keptFraction()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.001));
        oneSecondLater();
        retention.spans(List.of());
        assertThat(retention.keptFraction()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void theLowBitsOfATraceIdAreItsLastSixteenHexDigits() {
        assertThat(TraceRetention.lowBits("0123456789abcdef0123456789abcdef")).isEqualTo(0x0123456789abcdefL);
        assertThat(TraceRetention.lowBits("00000000000000000000000000000001")).isEqualTo(1L);
        assertThat(TraceRetention.lowBits("ffffffffffffffffffffffffffffffff")).isEqualTo(-1L);
        assertThatThrownBy(() -> new TraceRetention(-1, now::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
