package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Only Javalin's own "Failed to start Javalin" line is dropped; install() adds the filter once. */
class JavalinStartFailureFilterTest {

    @Test
    void dropsOnlyJavalinsOwnStartFailureLine() {
        LoggerContext context = TestContexts.create();
        JavalinStartFailureFilter filter = new JavalinStartFailureFilter();
        filter.start();
        context.addTurboFilter(filter);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(events);
        Logger javalin = context.getLogger("io.javalin.Javalin");

        javalin.error("Failed to start Javalin");
        javalin.error("Failed to start Javalin", new IllegalStateException("with its cause: kept"));
        javalin.warn("Failed to start Javalin");
        javalin.error("Something else");
        context.getLogger("io.vigil.Service").error("Failed to start Javalin");

        assertThat(events.list)
                .extracting(e -> e.getLoggerName() + " " + e.getLevel() + " " + e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? "" : " +throwable"))
                .containsExactly(
                        "io.javalin.Javalin ERROR Failed to start Javalin +throwable",
                        "io.javalin.Javalin WARN Failed to start Javalin",
                        "io.javalin.Javalin ERROR Something else",
                        "io.vigil.Service ERROR Failed to start Javalin");
        context.stop();
    }

    @Test
    void installAddsOneStartedFilterToTheContextInUse() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        try {
            JavalinStartFailureFilter.install();
            JavalinStartFailureFilter.install(); // again, as after a reconfiguration: still one
            assertThat(context.getTurboFilterList())
                    .filteredOn(f -> f instanceof JavalinStartFailureFilter)
                    .singleElement()
                    .satisfies(f -> {
                        assertThat(f.isStarted()).isTrue();
                        assertThat(f.getName()).isEqualTo("javalin-start-failure");
                    });
        } finally {
            context.getTurboFilterList().removeIf(f -> f instanceof JavalinStartFailureFilter);
        }
    }
}
