package io.vigil.console.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops Javalin's own {@code Failed to start Javalin} ERROR line: Javalin logs it and then throws, and the start's
 * failure is reported once, by the caller, with the port and the option that named it. Only that exact line (no
 * throwable attached) is dropped; everything else Javalin logs passes. Named in the standalone console's logback
 * configuration ({@code logback-console.xml}).
 */
public final class JavalinStartFailureFilter extends TurboFilter {
    static final String LOGGER = "io.javalin.Javalin";
    static final String MESSAGE = "Failed to start Javalin";

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return level == Level.ERROR && t == null && MESSAGE.equals(format) && LOGGER.equals(logger.getName())
                ? FilterReply.DENY
                : FilterReply.NEUTRAL;
    }
}
