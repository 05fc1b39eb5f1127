package io.vigil.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import io.opentelemetry.instrumentation.logback.mdc.v1_0.OpenTelemetryAppender;
import org.junit.jupiter.api.Test;

class LogbackIncludeTest {
    @Test
    void documentedIncludeWiresTraceContextHandoffAndJsonEncoder() throws Exception {
        LoggerContext context = TestContexts.create();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(getClass().getResource("/vigil-include-test.xml"));

        assertThat(context.getStatusManager().getCopyOfStatusList()).noneMatch(s -> s.getLevel() >= Status.WARN);
        var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender("VIGIL")).isInstanceOf(OpenTelemetryAppender.class);
        var traceContext = (OpenTelemetryAppender) root.getAppender("VIGIL");
        assertThat(traceContext.getAppender("VIGIL_STDOUT")).isInstanceOf(VigilAsyncAppender.class);
        var handoff = (VigilAsyncAppender) traceContext.getAppender("VIGIL_STDOUT");
        assertThat(handoff.isStarted()).isTrue();
        var writer = (OutputStreamAppender<?>) handoff.getAppender("VIGIL_STDOUT_WRITER");
        assertThat(writer.getEncoder()).isInstanceOf(VigilJsonEncoder.class);
        context.stop();
    }
}
