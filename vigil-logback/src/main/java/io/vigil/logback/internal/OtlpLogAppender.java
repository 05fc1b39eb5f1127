package io.vigil.logback.internal;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.vigil.core.Scrubber;

/**
 * Sends events, scrubbed, into the OpenTelemetry logs pipeline through OpenTelemetry's own Logback
 * bridge. Runs on the logging thread, where the bridge reads the current span for correlation; the
 * SDK's batch processor behind it is bounded and never blocks.
 */
public final class OtlpLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    private final OpenTelemetryAppender bridge = new OpenTelemetryAppender();
    private final Scrubber scrubber;

    public OtlpLogAppender(OpenTelemetry openTelemetry, Scrubber scrubber) {
        this.scrubber = scrubber;
        bridge.setOpenTelemetry(openTelemetry);
        bridge.setKeyValuePairAttributesIncluded("*"); // every key-value pair and MDC entry (glob)
        bridge.setMdcAttributesIncluded("*");
        bridge.setName("vigil-otlp-bridge");
    }

    @Override
    public void start() {
        bridge.setContext(getContext());
        bridge.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        bridge.doAppend(new ScrubbedEvent(event, scrubber));
    }

    @Override
    public void stop() {
        super.stop();
        bridge.stop();
    }
}
