package io.vigil.core.internal;

import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPLogger;

/**
 * Vigil's own reports (the start-up summary, a bad setting, an export outage) when the application has no SLF4J
 * provider: vigil-core alone, as the README's first step uses it. SLF4J then discards every line, so a bad value would
 * be ignored without a word, against the contract; instead INFO and above go to stderr, one line each, as the
 * OpenTelemetry SDK's own java.util.logging lines do.
 */
public final class StderrFallback extends AbstractLogger {
    private static final long serialVersionUID = 1L;

    private final transient PrintStream out;

    StderrFallback(String name, PrintStream out) {
        this.name = name;
        this.out = out;
    }

    /** SLF4J's logger for {@code type}, unless SLF4J has no provider: then one writing to stderr. */
    public static Logger logger(Class<?> type) {
        return orStream(LoggerFactory.getLogger(type), type.getName(), System.err);
    }

    static Logger orStream(Logger log, String name, PrintStream out) {
        return log instanceof NOPLogger ? new StderrFallback(name, out) : log;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
            Level level, Marker marker, String messagePattern, Object[] arguments, Throwable throwable) {
        String message = MessageFormatter.basicArrayFormat(messagePattern, arguments);
        out.println(level + " " + name + " - " + message + (throwable == null ? "" : " (" + throwable + ")"));
    }

    @Override
    public boolean isTraceEnabled() {
        return false;
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
        return false;
    }

    @Override
    public boolean isDebugEnabled() {
        return false;
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
        return false;
    }

    @Override
    public boolean isInfoEnabled() {
        return true;
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
        return true;
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
        return true;
    }
}
