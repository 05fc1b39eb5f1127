package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class OtlpSinkTest {
    private final LoggerContext context = TestContexts.create();
    private final InMemoryLogRecordExporter exported = InMemoryLogRecordExporter.create();
    private Vigil vigil;
    private VigilLogging logging;

    @AfterEach
    void tearDown() {
        logging.close();
        vigil.close();
        MDC.clear();
    }

    private Logger install(URI otlpEndpoint) {
        // Nothing listens on the endpoint; the in-memory exporter sees what the OTLP exporter would send.
        VigilConfig config = VigilConfig.builder()
                .serviceName("orders")
                .otlpEndpoint(otlpEndpoint)
                .metricsEnabled(false)
                .build();
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .shutdownTimeout(Duration.ofMillis(200))
                .customizeSdk(sdk -> sdk.addLoggerProviderCustomizer(
                        (p, cfg) -> p.addLogRecordProcessor(SimpleLogRecordProcessor.create(exported))))
                .build();
        logging = VigilLogging.builder(config)
                .loggerContext(context)
                .output(new ByteArrayOutputStream())
                .install()
                .connect(vigil.openTelemetry());
        return context.getLogger("io.example.Orders");
    }

    @Test
    void eventsReachTheLogsPipelineScrubbedAndCorrelated() {
        Logger log = install(URI.create("http://127.0.0.1:9")); // discard port: never answers OTLP
        Span span = vigil.openTelemetry().getTracer("t").spanBuilder("checkout").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            MDC.put("request_id", "req-9");
            MDC.put("user_email", "jane.doe@example.com");
            log.atWarn()
                    .addKeyValue("status_code", 402)
                    .addKeyValue("password", "hunter2")
                    .setCause(new IllegalStateException("card 4111 1111 1111 1111 declined"))
                    .log("payment for jane.doe@example.com declined");
        } finally {
            span.end();
        }

        assertThat(exported.getFinishedLogRecordItems()).singleElement().satisfies(r -> {
            assertThat(r.getBodyValue().asString()).isEqualTo("payment for j***@example.com declined");
            assertThat(r.getSpanContext().getTraceId())
                    .isEqualTo(span.getSpanContext().getTraceId());
            assertThat(r.getSpanContext().getSpanId())
                    .isEqualTo(span.getSpanContext().getSpanId());
            assertThat(attr(r, "request_id")).isEqualTo("req-9");
            assertThat(attr(r, "user_email")).isEqualTo("j***@example.com");
            assertThat(attr(r, "password")).isEqualTo(Scrubber.REDACTED);
            assertThat(r.getAttributes().get(AttributeKey.longKey("status_code")))
                    .isEqualTo(402L);
            assertThat(attr(r, "exception.type")).isEqualTo("java.lang.IllegalStateException");
            assertThat(attr(r, "exception.message")).isEqualTo("card [REDACTED] declined");
            assertThat(attr(r, "exception.stacktrace")).contains("card [REDACTED] declined");
            assertThat(r.getAttributes().toString()).doesNotContain("4111", "hunter2", "jane.doe", "trace_flags");
        });
    }

    private static String attr(LogRecordData r, String key) {
        return r.getAttributes().get(AttributeKey.stringKey(key));
    }

    @Test
    void withoutAnOtlpEndpointNothingGoesToTheLogsPipeline() {
        VigilConfig config = VigilConfig.builder().metricsEnabled(false).build();
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addLoggerProviderCustomizer(
                        (p, cfg) -> p.addLogRecordProcessor(SimpleLogRecordProcessor.create(exported))))
                .build();
        logging = VigilLogging.builder(config)
                .loggerContext(context)
                .output(new ByteArrayOutputStream())
                .install()
                .connect(vigil.openTelemetry());

        context.getLogger("x").info("stdout only");

        assertThat(exported.getFinishedLogRecordItems()).isEmpty();
    }
}
