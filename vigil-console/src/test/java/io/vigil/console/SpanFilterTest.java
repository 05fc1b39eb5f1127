package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vigil.core.Vigil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code console::filterSpans} through a Vigil runtime's {@code exportInProcess}: above the console's rate the spans
 * of traces it will not keep stop before the SDK's batch span processor (whose own telemetry shows it processed only
 * the kept ones), every ended span is either stored or counted as skipped, once, and error spans are stored.
 */
class SpanFilterTest {
    private static final Pattern PROCESSED =
            Pattern.compile("(?m)^otel_sdk_processor_span_processed(?:_span)?(?:_total)?\\{[^}]*} ([0-9.eE+]+)");

    @Test
    void aVigilRuntimeFiltersTheConsolesSpansBeforeItsBatchProcessor() throws Exception {
        try (VigilConsole console = VigilConsole.builder()
                .httpPort(0)
                .grpcPort(-1)
                .tracesPerSecond(1)
                .start()) {
            Map<String, String> env = new HashMap<>(console.otlpEnvironment());
            env.put("SERVICE_NAME", "span-filter-test");
            env.put("OTEL_BSP_SCHEDULE_DELAY", "20");
            try (Vigil vigil = Vigil.builder()
                    .environment(env)
                    .runtimeMetrics(false)
                    .exportInProcess(
                            console.spanExporter(),
                            console::metricExporter,
                            console.logRecordExporter(),
                            console::filterSpans)
                    .build()) {
                Tracer tracer = vigil.openTelemetry().getTracer("span-filter-test");
                long[] ended = {0};
                List<String> errorTraces = new ArrayList<>();
                // Far more than one trace a second until the console's one-second window closes on them.
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    for (int i = 0; i < 50; i++) {
                        trace(tracer, false);
                        ended[0] += 2;
                    }
                    return console.stats().keptTraceFraction() < 0.5;
                });
                for (int i = 0; i < 200; i++) {
                    String traceId = trace(tracer, i % 20 == 0);
                    if (i % 20 == 0) {
                        errorTraces.add(traceId);
                    }
                    ended[0] += 2;
                }
                // Everything ended has gone through the batch processor's export and the console's ingest.
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(console.flush(Duration.ofSeconds(5))).isTrue();
                    ConsoleStats s = console.stats();
                    assertThat(s.spans() + s.skippedSpans()).isEqualTo(ended[0]);
                });
                ConsoleStats stats = console.stats();
                assertThat(stats.skippedSpans()).isGreaterThan(100);
                String scrape =
                        new String(vigil.metricsEndpoint().scrape("text/plain").body(), StandardCharsets.UTF_8);
                Matcher processed = PROCESSED.matcher(scrape);
                double sum = 0;
                while (processed.find()) {
                    sum += Double.parseDouble(processed.group(1));
                }
                assertThat(sum)
                        .as("spans the batch processor processed: only the kept ones\n%s", scrape)
                        .isEqualTo((double) stats.spans());
                ApiClient api = new ApiClient(console);
                for (String traceId : errorTraces) {
                    assertThat(api.get("/api/traces/" + traceId).get("spans").findValuesAsText("name"))
                            .as("the error span of trace %s", traceId)
                            .contains("failing child");
                }
            }
        }
    }

    /** A root and one child; the child fails when asked to. Returns the trace id. */
    private static String trace(Tracer tracer, boolean fail) {
        Span root = tracer.spanBuilder("GET /many").startSpan();
        Span child = tracer.spanBuilder(fail ? "failing child" : "child")
                .setParent(Context.root().with(root))
                .startSpan();
        if (fail) {
            child.setStatus(StatusCode.ERROR);
        }
        child.end();
        root.end();
        return root.getSpanContext().getTraceId();
    }
}
