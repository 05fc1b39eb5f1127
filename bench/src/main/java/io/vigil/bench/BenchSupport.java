package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.OutputStream;
import java.util.Collection;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/** What the benchmarks share: a JSON log appender writing nowhere, and a span exporter that discards. */
final class BenchSupport {
    private BenchSupport() {}

    /**
     * Every log event at or above {@code rootLevel} is encoded as JSON (logstash-logback-encoder, as
     * services commonly write it) to a null stream: encoding is measured, console I/O is not.
     */
    static LoggerContext jsonLogsToNowhere(Level rootLevel) {
        return jsonLogsToNowhere(rootLevel, new LogstashEncoder());
    }

    /** The same with another encoder, e.g. Vigil's {@code VigilJsonEncoder}. */
    static LoggerContext jsonLogsToNowhere(Level rootLevel, Encoder<ILoggingEvent> encoder) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(nullAppender(context, encoder));
        root.setLevel(rootLevel);
        return context;
    }

    private static OutputStreamAppender<ILoggingEvent> nullAppender(
            LoggerContext context, Encoder<ILoggingEvent> encoder) {
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(OutputStream.nullOutputStream());
        appender.setImmediateFlush(false);
        appender.start();
        return appender;
    }

    /**
     * Sends one logger's events (and its descendants') to a null stream through {@code encoder} of their own,
     * apart from the root's appender.
     */
    static void toNowhere(LoggerContext context, String loggerName, Encoder<ILoggingEvent> encoder) {
        Logger logger = context.getLogger(loggerName);
        logger.addAppender(nullAppender(context, encoder));
        logger.setAdditive(false);
    }

    /** A real batch pipeline's end that discards: export cost is not what is measured. */
    static SpanExporter discardingExporter() {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }

    /** The same for log records. */
    static LogRecordExporter discardingLogExporter() {
        return new LogRecordExporter() {
            @Override
            public CompletableResultCode export(Collection<LogRecordData> logs) {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }
}
