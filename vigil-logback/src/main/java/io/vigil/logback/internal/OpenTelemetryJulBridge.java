package io.vigil.logback.internal;

import ch.qos.logback.classic.LoggerContext;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.slf4j.spi.LocationAwareLogger;

/**
 * Sends what the OpenTelemetry SDK logs through {@code java.util.logging} — the spans of {@code
 * ENABLE_TRACE_CONSOLE_EXPORT} (its logging exporter), its own warnings — to the Logback context Vigil installed, so
 * they are JSON lines on stdout like every other line of the service. Without it they went to JUL's console handler:
 * two unformatted lines each on stderr, unless the application had installed jul-to-slf4j's bridge itself. Only the
 * {@code io.opentelemetry} tree is taken over (not JUL's root, which belongs to the application), and the levels set
 * on its loggers still apply, so what vigil-core quietens stays quiet.
 */
public final class OpenTelemetryJulBridge extends Handler {
    /** Held strongly: JUL keeps loggers weakly, and a collected logger would lose this handler. */
    private static final Logger OPENTELEMETRY = Logger.getLogger("io.opentelemetry");

    private static final String FQCN = java.util.logging.Logger.class.getName();

    private final LoggerContext context;
    private final Formatter formatter = new SimpleFormatter();
    private final boolean parentHandlers;

    private OpenTelemetryJulBridge(LoggerContext context, boolean parentHandlers) {
        this.context = context;
        this.parentHandlers = parentHandlers;
    }

    /** Routes the {@code io.opentelemetry} JUL loggers to {@code context} until {@link #close()}; replaces a bridge installed before. */
    public static synchronized OpenTelemetryJulBridge install(LoggerContext context) {
        boolean parents = OPENTELEMETRY.getUseParentHandlers();
        for (Handler h : OPENTELEMETRY.getHandlers()) {
            if (h instanceof OpenTelemetryJulBridge previous) {
                OPENTELEMETRY.removeHandler(previous);
                parents = previous.parentHandlers;
            }
        }
        OpenTelemetryJulBridge bridge = new OpenTelemetryJulBridge(context, parents);
        OPENTELEMETRY.addHandler(bridge);
        // Else the root's console handler (or the application's own bridge) writes each record a second time.
        OPENTELEMETRY.setUseParentHandlers(false);
        return bridge;
    }

    @Override
    public void publish(LogRecord record) {
        if (record == null || !isLoggable(record)) {
            return;
        }
        String name = record.getLoggerName() != null ? record.getLoggerName() : OPENTELEMETRY.getName();
        ch.qos.logback.classic.Logger logger = context.getLogger(name);
        int level = level(record.getLevel());
        if (!logger.isEnabledFor(ch.qos.logback.classic.Level.fromLocationAwareLoggerInteger(level))) {
            return;
        }
        String message;
        try {
            message = formatter.formatMessage(record);
        } catch (RuntimeException e) {
            message = record.getMessage();
        }
        logger.log(null, FQCN, level, message, null, record.getThrown());
    }

    static int level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return LocationAwareLogger.ERROR_INT;
        } else if (v >= Level.WARNING.intValue()) {
            return LocationAwareLogger.WARN_INT;
        } else if (v >= Level.INFO.intValue()) {
            return LocationAwareLogger.INFO_INT;
        } else if (v >= Level.FINE.intValue()) {
            return LocationAwareLogger.DEBUG_INT;
        }
        return LocationAwareLogger.TRACE_INT;
    }

    @Override
    public void flush() {}

    /** Gives the {@code io.opentelemetry} loggers back to JUL's handlers. */
    @Override
    public synchronized void close() {
        synchronized (OpenTelemetryJulBridge.class) {
            for (Handler h : OPENTELEMETRY.getHandlers()) {
                if (h == this) {
                    OPENTELEMETRY.removeHandler(this);
                    OPENTELEMETRY.setUseParentHandlers(parentHandlers);
                }
            }
        }
    }
}
