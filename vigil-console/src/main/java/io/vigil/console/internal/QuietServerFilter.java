package io.vigil.console.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * The Logback side of {@link QuietServerLogs}: loaded only when Logback is the SLF4J binding. Decides nothing (one
 * thread-local read) on any thread but one starting or stopping the console's server.
 */
final class QuietServerFilter extends TurboFilter {
    private static final String JAVALIN_START_FAILURE = "Failed to start Javalin";

    QuietServerFilter() {
        setName("vigil-console-server");
    }

    static boolean installIn(Object factory) {
        LoggerContext context = (LoggerContext) factory;
        synchronized (QuietServerFilter.class) {
            if (context.getTurboFilterList().stream().noneMatch(f -> f instanceof QuietServerFilter)) {
                QuietServerFilter filter = new QuietServerFilter();
                filter.setContext(context);
                filter.start();
                context.addTurboFilter(filter);
            }
        }
        return true;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (QuietServerLogs.QUIET.get() == null) {
            return FilterReply.NEUTRAL;
        }
        String name = logger.getName();
        if (!name.startsWith("io.javalin") && !name.startsWith("org.eclipse.jetty")) {
            return FilterReply.NEUTRAL;
        }
        boolean startFailure = level == Level.ERROR && t == null && JAVALIN_START_FAILURE.equals(format);
        return level.isGreaterOrEqual(Level.WARN) && !startFailure ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
