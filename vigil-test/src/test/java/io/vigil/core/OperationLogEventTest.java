package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.ILoggerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * The operation's log event: Logback gets it whole (its key-value pairs in the documented order,
 * the operation's constant pairs shared between events, the caller being the operation scope), and
 * a logging backend that does not take SLF4J events gets the same fields through the fluent API.
 */
class OperationLogEventTest {
    private static final OperationKind KIND = OperationKind.builder("log_probe")
            .dimension("channel", "probe.channel", Set.of("web", "api"))
            .spanName(op -> "probe." + op.value(0) + "." + op.name())
            .outcome("status", "probe.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("probe.failure_reason", Set.of("refused"))
            .durationSpanAttribute("probe.duration_seconds")
            .counter("log_probe_total", "Probes", OperationKind.Trigger.END, "channel", "status")
            .durationHistogram("log_probe_duration_seconds", "Probe duration", "channel")
            .build();
    private static final OperationKind GRANTED_KIND = OperationKind.builder("log_probe_check")
            .dimension("resource", "probe.resource", Set.of("user"))
            .spanName(op -> "probe.check." + op.value(0))
            .outcome("is_authorized", "probe.granted", OperationKind.OutcomeEncoding.GRANTED)
            .build();
    private static final Operation WEB = KIND.operation("refuse_probe", "web");
    private static final Operation CHECK = GRANTED_KIND.operation("check", "user");

    private static final List<String> REFUSAL_KEYS = List.of(
            "event_type",
            "operation_type",
            "channel",
            "status",
            "duration_seconds",
            "failure_reason",
            "user_id",
            "actor_id",
            "email",
            "plan",
            "retries");

    /** A refusal with every optional field (marked before the body throws, so it stays a refusal). */
    private static void refuse(Operations operations) {
        assertThatThrownBy(() -> operations.run(WEB, op -> {
                    op.userId("u-1")
                            .actorId("a-2")
                            .email("jane@example.com")
                            .attribute("plan", "pro")
                            .attribute("retries", 2L);
                    op.failure("refused");
                    throw new IllegalStateException("answered with 403");
                }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void logbackGetsTheEventWithItsFieldsInOrderAndTheScopeAsCaller() {
        LoggerContext logback = new LoggerContext();
        List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
        List<StackTraceElement> callers = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                callers.add(e.getCallerData()[0]); // computed on the logging thread, as a pattern's %caller
                events.add(e);
            }
        };
        appender.setContext(logback);
        appender.start();
        logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
        logback.start();
        try (Vigil vigil = runtime(logback)) {
            refuse(vigil.operations());
            vigil.operations().run(WEB, op -> op.userId("u-3"));
            vigil.operations().run(CHECK, op -> {});
            fault(vigil.operations());
        } finally {
            logback.stop();
        }

        assertThat(events).hasSize(4);
        ILoggingEvent refusal = events.get(0);
        assertThat(refusal.getKeyValuePairs()).extracting(kv -> kv.key).containsExactlyElementsOf(REFUSAL_KEYS);
        assertThat(refusal.getKeyValuePairs())
                .extracting(kv -> kv.value)
                .startsWith("log_probe", "web", "web", "failure")
                .endsWith("refused", "u-1", "a-2", "j***@example.com", "pro", 2L);
        assertThat(refusal.getKeyValuePairs().get(4).value).isInstanceOf(Double.class);
        assertThat(refusal.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
        assertThat(refusal.getFormattedMessage()).isEqualTo("probe.web.refuse_probe failure (refused)");
        assertThat(refusal.getThrowableProxy()).isNull();
        assertThat(refusal.getLoggerName()).isEqualTo("vigil.operation.log_probe");
        assertThat(callers)
                .allSatisfy(caller -> assertThat(caller.getClassName() + "." + caller.getMethodName())
                        .isEqualTo(OperationScope.class.getName() + ".writeLog"));

        ILoggingEvent success = events.get(1);
        assertThat(success.getKeyValuePairs())
                .extracting(kv -> kv.key)
                .containsExactly("event_type", "operation_type", "channel", "status", "duration_seconds", "user_id");
        assertThat(success.getFormattedMessage()).isEqualTo("probe.web.refuse_probe success");
        assertThat(success.getThrowableProxy()).isNull();
        // The constant pairs are the operation's own, shared by its events.
        for (int i = 0; i < 3; i++) {
            assertThat(success.getKeyValuePairs().get(i))
                    .isSameAs(refusal.getKeyValuePairs().get(i));
        }

        ILoggingEvent granted = events.get(2);
        assertThat(granted.getKeyValuePairs())
                .extracting(kv -> kv.key + "=" + kv.value)
                .containsExactly(
                        "event_type=log_probe_check",
                        "operation_type=user",
                        "resource=user",
                        "status=success",
                        "duration_seconds=" + granted.getKeyValuePairs().get(4).value,
                        "granted=true");

        ILoggingEvent error = events.get(3);
        assertThat(error.getLevel()).isEqualTo(ch.qos.logback.classic.Level.ERROR);
        assertThat(error.getFormattedMessage()).isEqualTo("probe.web.refuse_probe error");
        assertThat(error.getThrowableProxy().getClassName()).isEqualTo(IllegalStateException.class.getName());
    }

    private static void fault(Operations operations) {
        assertThatThrownBy(() -> operations.run(WEB, op -> {
                    throw new IllegalStateException("disk full");
                }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aBackendWithoutSlf4jEventsGetsTheSameFieldsThroughTheFluentApi() {
        RecordingLoggers loggers = new RecordingLoggers();
        try (Vigil vigil = runtime(loggers)) {
            refuse(vigil.operations());
            fault(vigil.operations());
        }
        assertThat(loggers.lines).hasSize(2);
        Line line = loggers.lines.getFirst();
        assertThat(line.level()).isEqualTo(Level.WARN);
        assertThat(line.cause()).isNull();
        Line error = loggers.lines.get(1);
        assertThat(error.level()).isEqualTo(Level.ERROR);
        assertThat(error.cause()).isInstanceOf(IllegalStateException.class);
        assertThat(error.message()).endsWith(" probe.web.refuse_probe error");
        // SLF4J's fluent API puts the key-value pairs before the message for such a backend.
        assertThat(line.message())
                .matches(
                        "event_type=log_probe operation_type=web channel=web status=failure"
                                + " duration_seconds=[0-9.E-]+ failure_reason=refused user_id=u-1 actor_id=a-2"
                                + " email=j\\*\\*\\*@example.com plan=pro retries=2 probe.web.refuse_probe failure \\(refused\\)");
        List<String> keys = new ArrayList<>();
        for (String token : line.message().split(" ")) {
            if (token.contains("=")) {
                keys.add(token.substring(0, token.indexOf('=')));
            }
        }
        assertThat(keys).containsExactlyElementsOf(REFUSAL_KEYS);
    }

    private static Vigil runtime(ILoggerFactory loggers) {
        return Vigil.builder()
                .config(VigilConfig.builder().serviceName("test-service").build())
                .runtimeMetrics(false)
                .loggerFactory(loggers)
                .build();
    }

    private record Line(Level level, String message, Throwable cause) {}

    /** Loggers of a backend that takes only the classic calls (not SLF4J's {@code LoggingEventAware}). */
    private static final class RecordingLoggers implements ILoggerFactory {
        final List<Line> lines = new CopyOnWriteArrayList<>();
        private final ConcurrentHashMap<String, org.slf4j.Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public org.slf4j.Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, n -> new LegacyAbstractLogger() {
                {
                    this.name = n;
                }

                @Override
                protected String getFullyQualifiedCallerName() {
                    return null;
                }

                @Override
                protected void handleNormalizedLoggingCall(
                        Level level, Marker marker, String pattern, Object[] arguments, Throwable cause) {
                    lines.add(new Line(level, MessageFormatter.basicArrayFormat(pattern, arguments), cause));
                }

                @Override
                public boolean isTraceEnabled() {
                    return false;
                }

                @Override
                public boolean isDebugEnabled() {
                    return false;
                }

                @Override
                public boolean isInfoEnabled() {
                    return true;
                }

                @Override
                public boolean isWarnEnabled() {
                    return true;
                }

                @Override
                public boolean isErrorEnabled() {
                    return true;
                }
            });
        }
    }
}
