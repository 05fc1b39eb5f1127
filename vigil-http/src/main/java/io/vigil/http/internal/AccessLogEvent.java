package io.vigil.http.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;

/**
 * One access-log event as SLF4J's fluent API builds it ({@code atLevel(…).addKeyValue(…)…log(…)}), made directly for a
 * logger that takes whole events ({@link org.slf4j.spi.LoggingEventAware}, e.g. Logback's): the same level, message,
 * arguments, cause and key-value pairs, without the builder, its event and the pairs' list growing as they are added.
 * The caller boundary is left to the logger, so the caller it finds is the code that logged, as with the builder.
 */
public final class AccessLogEvent implements LoggingEvent {
    private final Level level;
    private final String loggerName;
    private final List<KeyValuePair> keyValuePairs;
    private String message;
    private Object[] arguments;
    private Throwable throwable;

    /** An event expecting up to {@code pairs} key-value pairs. */
    public AccessLogEvent(Level level, String loggerName, int pairs) {
        this.level = level;
        this.loggerName = loggerName;
        this.keyValuePairs = new ArrayList<>(pairs);
    }

    /** Adds a key-value pair, as the builder's {@code addKeyValue} does. */
    public AccessLogEvent add(String key, Object value) {
        keyValuePairs.add(new KeyValuePair(key, value));
        return this;
    }

    public void setCause(Throwable throwable) {
        this.throwable = throwable;
    }

    /** The message, or a format and its arguments. */
    public AccessLogEvent message(String message, Object... arguments) {
        this.message = message;
        this.arguments = arguments.length == 0 ? null : arguments;
        return this;
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
        return keyValuePairs;
    }

    @Override
    public Throwable getThrowable() {
        return throwable;
    }

    @Override
    public long getTimeStamp() {
        return 0;
    }

    @Override
    public String getThreadName() {
        return null;
    }
}
