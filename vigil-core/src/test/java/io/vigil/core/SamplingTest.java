package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parent-based trace-id-ratio sampler honours TRACE_SAMPLE_RATE. */
class SamplingTest {
    private static final int ROOTS = 20_000;

    private static int sampledRoots(double rate) {
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("TRACE_SAMPLE_RATE", Double.toString(rate)))
                .runtimeMetrics(false)
                .build()) {
            Tracer tracer = vigil.openTelemetry().getTracer("test");
            int sampled = 0;
            for (int i = 0; i < ROOTS; i++) {
                Span span = tracer.spanBuilder("root").startSpan();
                if (span.getSpanContext().isSampled()) {
                    sampled++;
                }
                span.end();
            }
            return sampled;
        }
    }

    @Test
    void ratioSamplesThatShareOfRootSpans() {
        // Binomial(20000, 0.25): sd ≈ 61, so ±400 is more than 6 sd.
        assertThat(sampledRoots(0.25)).isBetween(ROOTS / 4 - 400, ROOTS / 4 + 400);
    }

    @Test
    void rateZeroSamplesNothingAndRateOneEverything() {
        assertThat(sampledRoots(0.0)).isZero();
        assertThat(sampledRoots(1.0)).isEqualTo(ROOTS);
    }

    @Test
    void childrenFollowTheirParentsDecision() {
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("TRACE_SAMPLE_RATE", "0.0"))
                .runtimeMetrics(false)
                .build()) {
            Tracer tracer = vigil.openTelemetry().getTracer("test");
            SpanContext sampledRemoteParent = SpanContext.createFromRemoteParent(
                    "0af7651916cd43dd8448eb211c80319c",
                    "b7ad6b7169203331",
                    TraceFlags.getSampled(),
                    TraceState.getDefault());
            Span child = tracer.spanBuilder("child")
                    .setParent(Context.root().with(Span.wrap(sampledRemoteParent)))
                    .startSpan();
            assertThat(child.getSpanContext().isSampled()).isTrue();
            child.end();
        }
    }

    @Test
    void tracingDisabledRecordsNoSpans() {
        try (Vigil vigil = Vigil.builder()
                .environment(Map.of("TRACING_ENABLED", "false"))
                .runtimeMetrics(false)
                .build()) {
            Span span = vigil.openTelemetry().getTracer("test").spanBuilder("x").startSpan();
            assertThat(span.isRecording()).isFalse();
            span.end();
        }
    }
}
