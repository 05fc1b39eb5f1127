package io.vigil.logback;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.MDC;

/** A Logback context of its own per test, sharing SLF4J's MDC so {@code MDC.put} reaches it. */
final class TestContexts {
    private TestContexts() {}

    static LoggerContext create() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter());
        context.start();
        return context;
    }
}
