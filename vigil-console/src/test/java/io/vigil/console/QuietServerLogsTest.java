package io.vigil.console;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An embedded console's own server does not write Javalin's and Jetty's start and stop lines into the service's log
 * stream (they read as the service's server), and the levels of those loggers stay the service's: its own Jetty still
 * logs at INFO.
 */
class QuietServerLogsTest {
    private static final String[] SERVER_LOGGERS = {"io.javalin", "org.eclipse.jetty"};

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    @BeforeEach
    void logTheServersAtInfo() {
        // As a service configured at INFO would: the test configuration's root is at WARN.
        for (String name : SERVER_LOGGERS) {
            ((Logger) LoggerFactory.getLogger(name)).setLevel(Level.INFO);
        }
        events.start();
        root.addAppender(events);
    }

    @AfterEach
    void restore() {
        root.detachAppender(events);
        for (String name : SERVER_LOGGERS) {
            ((Logger) LoggerFactory.getLogger(name)).setLevel(null);
        }
    }

    private List<String> serverLines() {
        return events.list.stream()
                .filter(e -> e.getLoggerName().startsWith("io.javalin")
                        || e.getLoggerName().startsWith("org.eclipse.jetty"))
                .map(e -> e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage())
                .toList();
    }

    @Test
    void startingAndClosingTheConsoleLogsNoServerLines() {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            assertThat(console.httpPort()).isPositive();
        }
        assertThat(serverLines()).isEmpty();
    }

    @Test
    void aTakenPortIsOneWarnLineNotJavalinsFailedToStartError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                VigilConsole console = VigilConsole.builder()
                        .httpPort(taken.getLocalPort())
                        .grpcPort(-1)
                        .start()) {
            assertThat(console.httpPort()).isNotEqualTo(taken.getLocalPort());
        }
        assertThat(serverLines()).isEmpty();
        assertThat(events.list)
                .singleElement()
                .satisfies(e -> assertThat(e.getLoggerName()).isEqualTo(VigilConsole.class.getName()));
    }

    @Test
    void theServicesOwnJettyAndJavalinLinesStillPass() {
        try (VigilConsole console =
                VigilConsole.builder().httpPort(0).grpcPort(-1).start()) {
            LoggerFactory.getLogger("org.eclipse.jetty.server.Server").info("the service's own server started");
            LoggerFactory.getLogger("io.javalin.Javalin").info("Listening on the service's port");
        }
        assertThat(serverLines())
                .containsExactly(
                        "INFO org.eclipse.jetty.server.Server the service's own server started",
                        "INFO io.javalin.Javalin Listening on the service's port");
    }
}
