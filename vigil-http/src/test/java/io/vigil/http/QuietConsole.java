package io.vigil.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Keeps the per-request lines of these tests (access log, {@link TestApp}) off the console — the
 * 10,000-request tests would print 20,000 of them — while tests still capture every event.
 */
public final class QuietConsole extends Filter<ILoggingEvent> {
    @Override
    public FilterReply decide(ILoggingEvent event) {
        String logger = event.getLoggerName();
        boolean perRequest = logger.equals(HttpServerTelemetry.ACCESS_LOGGER) || logger.equals(TestApp.class.getName());
        return perRequest && !event.getLevel().isGreaterOrEqual(Level.ERROR) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
