package io.vigil.test;

import ch.qos.logback.classic.Logger;
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
 */
public final class VigilExtension implements BeforeEachCallback, AfterEachCallback {
    private final UnaryOperator<VigilConfig.Builder> configure;
    private final Scrubber scrubber;
    private InMemorySpanExporter spans;
    private InMemoryLogRecordExporter otelLogs;
    private final List<LogEvent> logs = new CopyOnWriteArrayList<>();
    private CapturingAppender appender;
    private Vigil vigil;

    private VigilExtension(UnaryOperator<VigilConfig.Builder> configure, Scrubber scrubber) {
        this.configure = configure;
        this.scrubber = scrubber;
    }

    /** A runtime with the contract's defaults. */
    public static VigilExtension create() {
        return new VigilExtension(UnaryOperator.identity(), Scrubber.defaults());
    }

    /** A runtime whose configuration is adjusted, e.g. {@code b -> b.traceSampleRate(0.0)}. */
    public static VigilExtension create(UnaryOperator<VigilConfig.Builder> configure) {
        return new VigilExtension(Objects.requireNonNull(configure), Scrubber.defaults());
    }

    /** A runtime with custom privacy rules. */
    public VigilExtension withScrubber(Scrubber scrubber) {
        return new VigilExtension(configure, scrubber);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        spans = InMemorySpanExporter.create();
        otelLogs = InMemoryLogRecordExporter.create();
        logs.clear();
        VigilConfig config = configure
                .apply(VigilConfig.builder().serviceName("test-service"))
                .build();
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .scrubber(scrubber)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                                (tracing, cfg) -> tracing.addSpanProcessor(SimpleSpanProcessor.create(spans)))
                        .addLoggerProviderCustomizer((logging, cfg) ->
                                logging.addLogRecordProcessor(SimpleLogRecordProcessor.create(otelLogs))))
                .build();
        appender = new CapturingAppender(logs);
        appender.setContext(rootLogger().getLoggerContext());
        appender.start();
        rootLogger().addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        rootLogger().detachAppender(appender);
        appender.stop();
        vigil.close();
    }

    private static Logger rootLogger() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
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
