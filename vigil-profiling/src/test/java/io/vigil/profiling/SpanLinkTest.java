package io.vigil.profiling;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.profiling.internal.PyroscopeAgentRunner;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which spans carry the profile link, and that profiling off means no link and no profiler. */
class SpanLinkTest {
    @TempDir
    Path profiles;

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();

    @Test
    void aLocalRootSpanCarriesItsOwnIdAsProfileIdAndItsChildrenDoNot() {
        try (Vigil vigil = vigil(true)) {
            Tracer tracer = vigil.openTelemetry().getTracer("test");
            Span root = tracer.spanBuilder("GET /api/v1/users/{id}").startSpan();
            try (Scope ignored = root.makeCurrent()) {
                tracer.spanBuilder("user.get.load_user").startSpan().end();
            } finally {
                root.end();
            }
            assertThat(span("GET /api/v1/users/{id}").getAttributes().get(SpanProfileAttribute.KEY))
                    .isEqualTo(span("GET /api/v1/users/{id}").getSpanId());
            assertThat(span("user.get.load_user").getAttributes().get(SpanProfileAttribute.KEY))
                    .isNull();
        }
    }

    @Test
    void aSpanContinuingARemoteTraceIsALocalRootAndCarriesTheLink() {
        SpanContext remote = SpanContext.createFromRemoteParent(
                "0af7651916cd43dd8448eb211c80319c",
                "b7ad6b7169203331",
                TraceFlags.getSampled(),
                TraceState.getDefault());
        try (Vigil vigil = vigil(true)) {
            vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("POST /api/v1/auth/login")
                    .setParent(Context.root().with(Span.wrap(remote)))
                    .startSpan()
                    .end();
            SpanData login = span("POST /api/v1/auth/login");
            assertThat(login.getParentSpanId()).isEqualTo("b7ad6b7169203331");
            assertThat(login.getAttributes().get(SpanProfileAttribute.KEY)).isEqualTo(login.getSpanId());
        }
    }

    @Test
    void withProfilingOffNoProfilerRunsAndSpansCarryNoLink() {
        try (Vigil vigil = vigil(false)) {
            assertThat(PyroscopeAgentRunner.running()).isFalse();
            vigil.openTelemetry()
                    .getTracer("test")
                    .spanBuilder("GET /health")
                    .startSpan()
                    .end();
            assertThat(span("GET /health").getAttributes().get(SpanProfileAttribute.KEY))
                    .isNull();
        }
    }

    @Test
    void closingTheRuntimeStopsTheProfiler() {
        try (Vigil vigil = vigil(true)) {
            assertThat(PyroscopeAgentRunner.running()).isTrue();
        }
        assertThat(PyroscopeAgentRunner.running()).isFalse();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("PyroscopeProfilingScheduler") && t.isAlive());
    }

    private Vigil vigil(boolean profiling) {
        VigilConfig config = VigilConfig.builder()
                .serviceName("identity-service")
                .profilingEnabled(profiling)
                .pyroscopeServerAddress(profiles.toUri())
                .build();
        Consumer<io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder> capture =
                sdk -> sdk.addTracerProviderCustomizer(
                        (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans)));
        return Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .customizeSdk(VigilProfiling.customizer(
                        ProfilingConfig.builder(config).build()))
                .customizeSdk(capture)
                .build();
    }

    // Read while the runtime is open: closing it shuts the in-memory exporter, which forgets its spans.
    private SpanData span(String name) {
        return spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .findFirst()
                .orElseThrow();
    }
}
