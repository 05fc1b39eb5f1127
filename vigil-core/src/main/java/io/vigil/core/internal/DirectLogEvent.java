package io.vigil.core.internal;

import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.spi.CallerBoundaryAware;
import org.slf4j.spi.LoggingEventAware;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * A log event with key-value pairs as SLF4J's fluent API builds it ({@code atLevel(…).addKeyValue(…)…log(…)}), made
 * directly for a logger that takes whole events ({@link LoggingEventAware}, e.g. Logback's): the same level, message,
 * arguments, cause and pairs, without the builder, its event and a list grown pair by pair. The operations' events
 * and the access log use it; their pairs lists are built once, to their size.
 *
 * <p>Time and thread are the logging backend's. The caller boundary is this class, so the caller a backend finds (a
 * {@code %caller} pattern) is the code that called {@link #log}, as it was with the builder there.
 */
public record DirectLogEvent(
        Level level, String loggerName, String message, Object[] arguments, List<KeyValuePair> pairs, Throwable cause)
        implements LoggingEvent {
    private static final String BOUNDARY = DirectLogEvent.class.getName();

    /**
     * Logs {@code message} (a finished text, or a format and its {@code arguments}) at {@code level} with {@code
     * pairs} and {@code cause} (may be null): directly where {@code logger} takes whole events, through the fluent
     * builder otherwise. The caller has checked that the level is enabled.
     */
    public static void log(
            Logger logger,
            Level level,
            List<KeyValuePair> pairs,
            Throwable cause,
            String message,
            Object... arguments) {
        Object[] args = arguments.length == 0 ? null : arguments;
        if (logger instanceof LoggingEventAware aware) {
            aware.log(new DirectLogEvent(level, logger.getName(), message, args, pairs, cause));
            return;
        }
        LoggingEventBuilder b = logger.atLevel(level);
        if (b instanceof CallerBoundaryAware boundary) {
            boundary.setCallerBoundary(BOUNDARY);
        }
        for (KeyValuePair p : pairs) {
            b.addKeyValue(p.key, p.value);
        }
        if (cause != null) {
            b.setCause(cause);
        }
        if (args == null) {
            b.log(message);
        } else {
            b.log(message, args);
        }
    }

    @Override
    public Level getLevel() {
        return level;
    }

    @Override
    public String getLoggerName() {
        return loggerName;
    }

    @Override
    public String getMessage() {
        return message;
    }

    @Override
    public List<Object> getArguments() {
        return arguments == null ? null : Arrays.asList(arguments);
    }

    @Override
    public Object[] getArgumentArray() {
        return arguments;
    }

    @Override
    public List<Marker> getMarkers() {
        return null;
    }

    @Override
    public List<KeyValuePair> getKeyValuePairs() {
        return pairs;
    }

    @Override
    public Throwable getThrowable() {
        return cause;
    }

    @Override
    public long getTimeStamp() {
        return 0;
    }

    @Override
    public String getThreadName() {
        return null;
    }

    @Override
    public String getCallerBoundary() {
        return BOUNDARY;
    }
}
