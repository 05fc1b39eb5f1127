package io.vigil.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Drops Javalin's own {@code Failed to start Javalin} ERROR line, for an application that reports a failed start
 * itself (as Vigil's services do, with the port and the variable that named it: vigil-http's {@code PortBinding}):
 * Javalin logs the line and then throws, so without this filter the failure is said twice, the first time without
 * anything the operator can act on. Only that exact line (logger {@code io.javalin.Javalin}, no throwable attached) is
 * dropped; everything else Javalin logs passes. It matches names only, so it needs no Javalin on the class path.
 *
 * <p>Add it with {@link #install()} (after {@link VigilLogging} is installed, which replaces Logback's configuration)
 * or in {@code logback.xml}: {@code <turboFilter class="io.vigil.logback.JavalinStartFailureFilter"/>}.
 */
public final class JavalinStartFailureFilter extends TurboFilter {
    static final String LOGGER = "io.javalin.Javalin";
    static final String MESSAGE = "Failed to start Javalin";

    /** A filter to add to a Logback context (its name is {@code javalin-start-failure}). */
    public JavalinStartFailureFilter() {
        setName("javalin-start-failure");
    }

    /**
     * Adds the filter, started, to the Logback context in use, unless Logback is not the SLF4J binding or the context
     * has one already (so that calling it again, e.g. after a reconfiguration, is harmless).
     *
     * @return whether it was added
     */
    public static boolean install() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)
                || context.getTurboFilterList().stream().anyMatch(f -> f instanceof JavalinStartFailureFilter)) {
            return false;
        }
        JavalinStartFailureFilter filter = new JavalinStartFailureFilter();
        filter.setContext(context);
        filter.start();
        context.addTurboFilter(filter);
        return true;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return level == Level.ERROR && t == null && MESSAGE.equals(format) && LOGGER.equals(logger.getName())
                ? FilterReply.DENY
                : FilterReply.NEUTRAL;
    }
}
