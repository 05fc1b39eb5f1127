package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.logs.LogRecordProcessor;
import io.opentelemetry.sdk.logs.ReadWriteLogRecord;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.MDC;

/** {@code otlpHandoff(true)}: the OTLP log bridge runs behind a bounded hand-off, correlated, never blocking. */
class OtlpHandoffTest {
    private final LoggerContext context = TestContexts.create();
    private final InMemoryLogRecordExporter exported = InMemoryLogRecordExporter.create();
    private final Set<String> emittingThreads = ConcurrentHashMap.newKeySet();
    private Vigil vigil;
    private VigilLogging logging;

    @AfterEach
    void tearDown() {
        if (logging != null) {
            logging.close();
        }
        if (vigil != null) {
            vigil.close();
        }
        MDC.clear();
    }

    private Logger install(int queueSize, LogRecordProcessor gate) {
        return install(queueSize, gate, null, true);
    }

    private Logger install(
            int queueSize, LogRecordProcessor gate, java.util.function.Predicate<String> traceFilter, boolean handoff) {
        // Nothing listens on the endpoint; the in-memory exporter sees what the OTLP exporter would send.
        VigilConfig config = VigilConfig.builder()
                .serviceName("orders")
                .otlpEndpoint(URI.create("http://127.0.0.1:9"))
                .build();
        LogRecordProcessor recordThread = new LogRecordProcessor() {
            @Override
            public void onEmit(Context ctx, ReadWriteLogRecord record) {
                emittingThreads.add(Thread.currentThread().getName());
            }
        };
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .shutdownTimeout(Duration.ofMillis(200))
                .customizeSdk(sdk -> sdk.addLoggerProviderCustomizer((p, cfg) -> p.addLogRecordProcessor(
                        LogRecordProcessor.composite(recordThread, gate, SimpleLogRecordProcessor.create(exported)))))
                .build();
        logging = VigilLogging.builder(config)
                .loggerContext(context)
                .output(new ByteArrayOutputStream())
                .queueSize(queueSize)
                .maxBlock(Duration.ofSeconds(5)) // stdout's bound; the OTLP hand-off never waits
                .otlpHandoff(handoff)
                .otlpTraceFilter(traceFilter)
                .install()
                .connect(vigil.openTelemetry());
        return context.getLogger("io.example.Orders");
    }

    @Test
    void recordsCarryTheLoggingThreadsTraceContextAndAreEmittedOffIt() {
        Logger log = install(64, LogRecordProcessor.composite());
        Span span = vigil.openTelemetry().getTracer("t").spanBuilder("checkout").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            MDC.put("request_id", "req-9");
            log.atInfo().addKeyValue("password", "hunter2").log("inside the span");
        } finally {
            span.end();
        }
        MDC.clear();
        log.info("outside any span");

        await().atMost(Duration.ofSeconds(10))
                .until(() -> exported.getFinishedLogRecordItems().size() >= 2);
        List<LogRecordData> records = exported.getFinishedLogRecordItems();
        LogRecordData inside = byBody(records, "inside the span");
        assertThat(inside.getSpanContext().getTraceId())
                .isEqualTo(span.getSpanContext().getTraceId());
        assertThat(inside.getSpanContext().getSpanId())
                .isEqualTo(span.getSpanContext().getSpanId());
        assertThat(inside.getSpanContext().getTraceFlags())
                .isEqualTo(span.getSpanContext().getTraceFlags());
        assertThat(inside.getAttributes().get(AttributeKey.stringKey("request_id")))
                .isEqualTo("req-9");
        assertThat(inside.getAttributes().get(AttributeKey.stringKey("password")))
                .isEqualTo(io.vigil.core.Scrubber.REDACTED);
        // The ids correlate the record; they are not attributes of it (as when the bridge ran on the caller).
        assertThat(inside.getAttributes().toString()).doesNotContain("trace_id", "span_id", "trace_flags");
        assertThat(byBody(records, "outside any span").getSpanContext().isValid())
                .isFalse();
        assertThat(emittingThreads).containsExactly("vigil-log-otlp");
        assertThat(logging.otlpHandoff())
                .hasValueSatisfying(h -> assertThat(h.droppedCount()).isZero());
    }

    @ParameterizedTest(name = "hand-off {0}")
    @ValueSource(booleans = {true, false})
    void aTraceFilterKeepsRoutineEventsOfRefusedTracesOutOfThePipelineOnly(boolean handoff) {
        Map<String, Integer> asked = new ConcurrentHashMap<>();
        Logger log = install(
                64,
                LogRecordProcessor.composite(),
                traceId -> {
                    asked.merge(traceId, 1, Integer::sum);
                    return traceId.endsWith("1");
                },
                handoff);
        io.opentelemetry.api.trace.Tracer tracer = vigil.openTelemetry().getTracer("t");
        // Span ids are random; trace ids ending in 1 are kept. Find one trace of each kind.
        Span keptSpan = null;
        Span refusedSpan = null;
        while (keptSpan == null || refusedSpan == null) {
            Span s = tracer.spanBuilder("request").startSpan();
            if (s.getSpanContext().getTraceId().endsWith("1") && keptSpan == null) {
                keptSpan = s;
            } else if (!s.getSpanContext().getTraceId().endsWith("1") && refusedSpan == null) {
                refusedSpan = s;
            } else {
                s.end();
            }
        }
        try (Scope ignored = keptSpan.makeCurrent()) {
            log.info("routine, kept trace");
        }
        try (Scope ignored = refusedSpan.makeCurrent()) {
            log.info("routine, refused trace");
            log.warn("warning, refused trace");
        }
        log.info("outside any trace");
        keptSpan.end();
        refusedSpan.end();

        await().atMost(Duration.ofSeconds(10))
                .until(() -> exported.getFinishedLogRecordItems().size() >= 3);
        logging.close(); // drains the hand-off: nothing else is still on its way
        logging = null;
        assertThat(exported.getFinishedLogRecordItems())
                .extracting(r -> r.getBodyValue().asString())
                .containsExactlyInAnyOrder("routine, kept trace", "warning, refused trace", "outside any trace");
        // Each routine event asked once (a sampling destination counts its refusals), warnings never.
        assertThat(asked)
                .containsOnly(
                        Map.entry(keptSpan.getSpanContext().getTraceId(), 1),
                        Map.entry(refusedSpan.getSpanContext().getTraceId(), 1));
    }

    @Test
    void aFullHandoffDropsAndCountsInsteadOfBlockingTheLoggingThread() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LogRecordProcessor gate = new LogRecordProcessor() {
            @Override
            public void onEmit(Context ctx, ReadWriteLogRecord record) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Logger log = install(4, gate);
        try {
            log.info("first");
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue(); // the bridge's thread is stuck in the SDK
            // Four fit the queue, sixteen do not; none of the calls waits for the stuck thread.
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                for (int i = 0; i < 20; i++) {
                    log.info("event {}", i);
                }
            });
            VigilAsyncAppender handoff = logging.otlpHandoff().orElseThrow();
            assertThat(handoff.droppedCount()).isEqualTo(16);
            assertThat(logging.stdoutHandoff().droppedCount()).isZero();
            assertThat(vigil.metricsEndpoint().scrape("text/plain").text())
                    .contains("vigil_log_dropped_total{appender=\"otlp\"} 16.0");
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> exported.getFinishedLogRecordItems().stream()
                                .filter(r -> r.getBodyValue().asString().startsWith("event "))
                                .count()
                        == 4);
        assertThat(byBody(exported.getFinishedLogRecordItems(), "first")).isNotNull();
    }

    private static LogRecordData byBody(List<LogRecordData> records, String body) {
        return records.stream()
                .filter(r -> r.getBodyValue().asString().equals(body))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no record " + body + " in " + records));
    }
}
