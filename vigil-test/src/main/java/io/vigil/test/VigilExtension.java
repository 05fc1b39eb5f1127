package io.vigil.test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vigil.core.Operations;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * A JUnit 5 extension giving each test a fresh {@link Vigil} runtime whose spans, metrics and log
 * events are captured in memory, so one test can assert "this call emitted that telemetry".
 *
 * <pre>{@code
 * @RegisterExtension
 * static final VigilExtension telemetry = VigilExtension.create();
 *
 * @Test
 * void loginEmitsTheContractTelemetry() {
 *     service(telemetry.operations()).login("a@example.com", "wrong");
 *     assertThat(telemetry.span("auth.login.authenticate_user").getAttributes()...)
 *     assertThat(telemetry.metrics().value("authentication_attempts_total", Map.of(...))).isEqualTo(1);
 *     assertThat(telemetry.logs("authentication")).singleElement()...
 * }
 * }</pre>
 *
 * Spans are exported synchronously, so they are visible as soon as the operation has ended.
 *
 * <p>Log events are captured per test, without touching the JVM's logging: the test's runtime is
 * bound ({@link Vigil.Builder#loggerFactory}) to a Logback context of the test's own, and its
 * telemetry log events — operations, and modules built on the runtime such as vigil-http's access
 * log — go there. Tests using separate extensions may therefore run in parallel, each seeing only
 * its own events. Events of other loggers (application code, libraries) are captured only with
 * {@link #capturingApplicationLogs()}, which listens on the global root logger and is therefore
 * not for tests running in parallel.
 */
public final class VigilExtension implements BeforeEachCallback, AfterEachCallback {
    private static final String APPENDER_NAME = "vigil-test-capture";

    private final UnaryOperator<VigilConfig.Builder> configure;
    private final Scrubber scrubber;
    private final boolean applicationLogs;
    private LoggerContext loggerContext;
    private CapturingAppender globalAppender;
    private InMemorySpanExporter spans;
    private InMemoryLogRecordExporter otelLogs;
    private final List<LogEvent> logs = new CopyOnWriteArrayList<>();
    private Vigil vigil;

    private VigilExtension(UnaryOperator<VigilConfig.Builder> configure, Scrubber scrubber, boolean applicationLogs) {
        this.configure = configure;
        this.scrubber = scrubber;
        this.applicationLogs = applicationLogs;
    }

    /** A runtime with the contract's defaults. */
    public static VigilExtension create() {
        return new VigilExtension(UnaryOperator.identity(), Scrubber.defaults(), false);
    }

    /** A runtime whose configuration is adjusted, e.g. {@code b -> b.traceSampleRate(0.0)}. */
    public static VigilExtension create(UnaryOperator<VigilConfig.Builder> configure) {
        return new VigilExtension(Objects.requireNonNull(configure), Scrubber.defaults(), false);
    }

    /** A runtime with custom privacy rules. */
    public VigilExtension withScrubber(Scrubber scrubber) {
        return new VigilExtension(configure, scrubber, applicationLogs);
    }

    /**
     * Also captures the events of every other logger of the JVM — application code, libraries —
     * through an appender on the global root logger, for tests that assert on them (e.g. a
     * handler's log line carrying the request's MDC). Such a test sees the events of every test
     * running at the same time: do not run it in parallel with others.
     */
    public VigilExtension capturingApplicationLogs() {
        return new VigilExtension(configure, scrubber, true);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        spans = InMemorySpanExporter.create();
        otelLogs = InMemoryLogRecordExporter.create();
        logs.clear();
        loggerContext = testLoggerContext(context.getUniqueId());
        VigilConfig config = configure
                .apply(VigilConfig.builder().serviceName("test-service"))
                .build();
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .scrubber(scrubber)
                .loggerFactory(loggerContext)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                                (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans)))
                        .addLoggerProviderCustomizer((logging, cfg) ->
                                logging.addLogRecordProcessor(SimpleLogRecordProcessor.create(otelLogs))))
                .build();
        if (applicationLogs && LoggerFactory.getILoggerFactory() instanceof LoggerContext global) {
            globalAppender = new CapturingAppender(logs);
            globalAppender.setName(APPENDER_NAME);
            globalAppender.setContext(global);
            globalAppender.start();
            global.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(globalAppender);
        }
    }

    /**
     * A Logback context of this test's own: its root logger has only the capturing appender, and its
     * loggers the levels the JVM's logging configuration gives them (so DEBUG events are captured
     * where the test configuration asks for them, and not otherwise).
     */
    private LoggerContext testLoggerContext(String testId) {
        LoggerContext ctx = new LoggerContext();
        ctx.setName("vigil-test-" + Integer.toHexString(testId.hashCode()));
        // The MDC the code under test writes through org.slf4j.MDC (thread-local, not global state).
        ctx.setMDCAdapter(org.slf4j.MDC.getMDCAdapter());
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext global) {
            // The levels the test configuration sets (root and per logger) apply here too.
            for (Logger configured : global.getLoggerList()) {
                if (configured.getLevel() != null) {
                    ctx.getLogger(configured.getName()).setLevel(configured.getLevel());
                }
            }
        }
        CapturingAppender capturing = new CapturingAppender(logs);
        capturing.setName(APPENDER_NAME);
        capturing.setContext(ctx);
        capturing.start();
        root.addAppender(capturing);
        ctx.start();
        return ctx;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (globalAppender != null) {
            ((LoggerContext) LoggerFactory.getILoggerFactory())
                    .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                    .detachAppender(globalAppender);
            globalAppender.stop();
            globalAppender = null;
        }
        vigil.close();
        loggerContext.stop();
    }

    /** This test's runtime. */
    public Vigil runtime() {
        return vigil;
    }

    /** Shortcut for {@code runtime().operations()}. */
    public Operations operations() {
        return vigil.operations();
    }

    /** Every span ended so far in this test, in end order. */
    public List<SpanData> spans() {
        return spans.getFinishedSpanItems();
    }

    /** The one span with this name. */
    public SpanData span(String name) {
        List<SpanData> matching =
                spans().stream().filter(s -> s.getName().equals(name)).toList();
        if (matching.size() != 1) {
            throw new AssertionError("expected one span named " + name + " but found " + matching.size() + ": "
                    + spans().stream().map(SpanData::getName).toList());
        }
        return matching.getFirst();
    }

    /** All metrics as a Prometheus scraper sees them now. */
    public MetricSamples metrics() {
        return MetricSamples.parse(vigil.metricsEndpoint().scrape("text/plain").text());
    }

    /** Every log event emitted so far in this test. */
    public List<LogEvent> logs() {
        return Collections.unmodifiableList(new ArrayList<>(logs));
    }

    /** Log events whose {@code event_type} field is {@code eventType}. */
    public List<LogEvent> logs(String eventType) {
        return logs.stream()
                .filter(e -> eventType.equals(e.field("event_type")))
                .toList();
    }

    /** Log records that reached the OpenTelemetry logs pipeline (OTLP export path). */
    public List<LogRecordData> otelLogRecords() {
        return otelLogs.getFinishedLogRecordItems();
    }

    /**
     * Everything this test emitted, as text: span names, attributes and events, log events, and the
     * metric exposition — for sweeps asserting that some value appears nowhere.
     */
    public String everything() {
        StringBuilder sb = new StringBuilder();
        for (SpanData s : spans()) {
            sb.append(s.getName()).append(' ').append(s.getAttributes()).append(' ');
            s.getEvents()
                    .forEach(e -> sb.append(e.getName())
                            .append(' ')
                            .append(e.getAttributes())
                            .append(' '));
            sb.append(s.getStatus()).append('\n');
        }
        logs.forEach(e -> sb.append(e.allText()).append('\n'));
        otelLogRecords()
                .forEach(r -> sb.append(r.getBodyValue())
                        .append(' ')
                        .append(r.getAttributes())
                        .append('\n'));
        sb.append(vigil.metricsEndpoint().scrape("text/plain").text());
        return sb.toString();
    }

    /** Captures events on the emitting thread, with the span current at that moment. */
    private static final class CapturingAppender extends AppenderBase<ILoggingEvent> {
        private final List<LogEvent> sink;

        CapturingAppender(List<LogEvent> sink) {
            this.sink = sink;
        }

        @Override
        protected void append(ILoggingEvent e) {
            Map<String, Object> fields = new LinkedHashMap<>();
            if (e.getKeyValuePairs() != null) {
                e.getKeyValuePairs().forEach(kv -> fields.put(kv.key, kv.value));
            }
            SpanContext sc = Span.current().getSpanContext();
            IThrowableProxy t = e.getThrowableProxy();
            sink.add(new LogEvent(
                    e.getLevel().toString(),
                    e.getLoggerName(),
                    e.getFormattedMessage(),
                    Collections.unmodifiableMap(fields),
                    Map.copyOf(e.getMDCPropertyMap()),
                    sc.isValid() ? sc.getTraceId() : null,
                    sc.isValid() ? sc.getSpanId() : null,
                    t == null ? null : t.getClassName()));
        }
    }
}
