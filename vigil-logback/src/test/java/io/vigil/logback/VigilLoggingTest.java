package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.vigil.core.ContextPropagation;
import io.vigil.core.LogFormat;
import io.vigil.core.VigilConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

class VigilLoggingTest {
    private final LoggerContext context = TestContexts.create();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final SdkTracerProvider tracing = SdkTracerProvider.builder().build();
    private final Tracer tracer = tracing.get("test");
    private VigilLogging logging;

    @AfterEach
    void tearDown() {
        if (logging != null) {
            logging.close();
        }
        tracing.close();
        MDC.clear();
    }

    private Logger install(VigilConfig config) {
        logging =
                VigilLogging.builder(config).loggerContext(context).output(out).install();
        return context.getLogger("io.example.Orders");
    }

    private VigilConfig.Builder config() {
        return VigilConfig.builder().serviceName("orders").environment("test");
    }

    /** Closing drains the hand-off, so everything logged before is in {@code out}. */
    private List<ObjectNode> lines() {
        logging.close();
        return Lines.parse(out);
    }

    @Test
    void stoppingTheLoggerContextDrainsTheHandOffsSoTheLastLinesAreWritten() {
        Logger log = install(config().build());
        log.info("routine line, gathering behind the linger");
        log.error("the reason the process is exiting");
        // What a service does before Runtime.halt: no VigilLogging.close(), only the context's stop.
        context.stop();
        assertThat(logging.stdoutHandoff().isStarted())
                .as("the hand-off stopped, hence drained")
                .isFalse();
        assertThat(Lines.parse(out))
                .extracting(l -> l.get("message").asText())
                .containsSubsequence("routine line, gathering behind the linger", "the reason the process is exiting");
    }

    @Test
    void installWritesJsonLinesAtTheConfiguredLevel() {
        Logger log = install(config().logLevel("WARN").build());

        log.info("not written");
        log.warn("written");

        assertThat(lines()).singleElement().satisfies(l -> {
            assertThat(l.get("message").asText()).isEqualTo("written");
            assertThat(l.get("level").asText()).isEqualTo("WARN");
            assertThat(l.get("service").asText()).isEqualTo("orders");
            assertThat(l.get("environment").asText()).isEqualTo("test");
        });
    }

    @Test
    void traceAndSpanIdsAreThoseOfTheSpanCurrentWhenLogging() {
        Logger log = install(config().build());
        Span span = tracer.spanBuilder("work").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            log.info("inside");
        } finally {
            span.end();
        }
        log.info("outside");

        List<ObjectNode> lines = lines();
        assertThat(lines.get(0).get("trace_id").asText())
                .isEqualTo(span.getSpanContext().getTraceId());
        assertThat(lines.get(0).get("span_id").asText())
                .isEqualTo(span.getSpanContext().getSpanId());
        assertThat(Lines.keys(lines.get(1))).doesNotContain("trace_id", "span_id");
    }

    @Test
    void backgroundWorkCarriesTheTraceAndRequestContext() throws Exception {
        Logger log = install(config().build());
        ExecutorService pool = ContextPropagation.wrap(Executors.newSingleThreadExecutor());
        Span span = tracer.spanBuilder("request").startSpan();
        try (Scope ignored = span.makeCurrent()) {
            MDC.put("request_id", "req-42");
            MDC.put("user_id", "7");
            pool.submit(() -> log.atInfo().addKeyValue("task_name", "send_mail").log("background"))
                    .get(5, TimeUnit.SECONDS);
        } finally {
            span.end();
            MDC.clear();
            pool.shutdown();
        }

        ObjectNode line = lines().getFirst();
        assertThat(line.get("trace_id").asText())
                .isEqualTo(span.getSpanContext().getTraceId());
        assertThat(line.get("request_id").asText()).isEqualTo("req-42");
        assertThat(line.get("user_id").asText()).isEqualTo("7");
        assertThat(line.get("task_name").asText()).isEqualTo("send_mail");
    }

    @Test
    void structuredEventsKeepFieldTypesThroughTheWholePipeline() {
        Logger log = install(config().build());
        MDC.put("request_id", "r1");

        log.atInfo()
                .addKeyValue("event_type", "http_request")
                .addKeyValue("status_code", 201)
                .addKeyValue("duration_seconds", 0.042)
                .log("POST /api/v1/users");

        ObjectNode line = lines().getFirst();
        assertThat(line.get("event_type").asText()).isEqualTo("http_request");
        assertThat(line.get("status_code").isInt()).isTrue();
        assertThat(line.get("duration_seconds").isNumber()).isTrue();
        assertThat(line.get("request_id").asText()).isEqualTo("r1");
    }

    @Test
    void textFormatIsOneReadableLinePerEvent() {
        Logger log = install(config().logFormat(LogFormat.TEXT).build());
        MDC.put("request_id", "r1");

        log.atInfo()
                .addKeyValue("status_code", 200)
                .addKeyValue("user_agent", "curl \u009b31m \u202eexe")
                .log("done\nforged line");
        log.error("failed", new IllegalStateException("boom\nINFO forged"));

        logging.close();
        String text = out.toString(StandardCharsets.UTF_8);
        String[] physical = text.split("\n");
        assertThat(physical[0])
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[.*] io.example.Orders - .*")
                .contains("done\\nforged line")
                .contains("status_code=200")
                .contains("request_id=r1")
                .contains("\\u009b31m \\u202eexe")
                .doesNotContain("\u001b", "\u009b", "\u202e");
        assertThat(physical[1]).contains("ERROR").contains("failed");
        // every further physical line belongs to the stack trace and is indented
        for (int i = 2; i < physical.length; i++) {
            assertThat(physical[i]).startsWith("\t");
        }
        assertThat(text).contains("\tjava.lang.IllegalStateException: boom").contains("\tINFO forged");
    }

    @Test
    void disabledObservabilityStillLogsToStdoutButShipsNothing() {
        Logger log = install(config().enabled(false).lokiEnabled(true).build());

        log.info("still here");

        assertThat(logging.loki()).isEmpty();
        assertThat(lines())
                .singleElement()
                .satisfies(l -> assertThat(l.get("message").asText()).isEqualTo("still here"));
    }

    @Test
    void lokiThatCannotStartIsReportedOnceAndTheRestLogsOn(@TempDir Path tmp) throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("spool"), "a file where the spool should be");
        logging = VigilLogging.builder(config().lokiEnabled(true)
                        .lokiUrl(URI.create("http://127.0.0.1:9"))
                        .build())
                .loggerContext(context)
                .output(out)
                .spoolDirectory(notADirectory)
                .install();
        Logger log = context.getLogger("io.example.Orders");

        log.info("still here");

        assertThat(logging.loki()).isEmpty();
        List<ObjectNode> lines = lines();
        assertThat(lines)
                .filteredOn(l -> l.get("level").asText().equals("WARN"))
                .singleElement()
                .satisfies(l -> {
                    assertThat(l.get("logger").asText()).isEqualTo(VigilLogging.class.getName());
                    assertThat(l.get("message").asText())
                            .contains("Loki shipping is off")
                            // Not the whole path: JUnit's temp directory name is a long random number, which the
                            // scrubber rightly redacts when it happens to be Luhn-valid (a card number's shape).
                            .contains("cannot open the spool")
                            .contains("FileAlreadyExistsException");
                });
        assertThat(lines).anySatisfy(l -> assertThat(l.get("message").asText()).isEqualTo("still here"));
        // Only a push that runs is named ("Vigil logging: loki <url> >= <level>", LokiShippingTest): vigil-core's
        // summary named Loki from LOKI_ENABLED alone, whether it started or not.
        assertThat(lines).noneSatisfy(l -> assertThat(l.get("message").asText()).contains("Vigil logging: loki"));
    }
}
