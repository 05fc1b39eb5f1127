package io.vigil.pipeline.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Drops Javalin's own {@code Failed to start Javalin} ERROR line: Javalin logs it and then throws, and the start's
 * failure is reported once, by the caller, with the port and the variable that named it. Only that exact line (no
 * throwable attached) is dropped; everything else Javalin logs passes.
 */
public final class JavalinStartFailureFilter extends TurboFilter {
    static final String LOGGER = "io.javalin.Javalin";
    static final String MESSAGE = "Failed to start Javalin";

    /** Adds the filter to the logback context in use, if logback is the SLF4J binding. */
    public static void install() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            JavalinStartFailureFilter filter = new JavalinStartFailureFilter();
            filter.setName("javalin-start-failure");
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return level == Level.ERROR && t == null && MESSAGE.equals(format) && LOGGER.equals(logger.getName())
                ? FilterReply.DENY
                : FilterReply.NEUTRAL;
    }
}
