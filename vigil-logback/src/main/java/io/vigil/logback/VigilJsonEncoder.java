package io.vigil.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import io.vigil.core.Scrubber;
import io.vigil.core.VigilConfig;
import io.vigil.logback.internal.EventRenderer;
import io.vigil.logback.internal.Hostnames;
import java.util.Objects;

/**
 * A Logback encoder writing each event as one JSON object per line in the telemetry contract's
 * schema (section 4): {@code timestamp} (ISO-8601 UTC, milliseconds), {@code level}, {@code logger},
 * {@code message}, {@code service}, {@code environment}, {@code hostname}, {@code trace_id}/{@code
 * span_id} inside a span, every MDC entry and SLF4J key-value pair as a top-level field with its
 * type kept, and {@code exception.type}/{@code .message}/{@code .stacktrace} for errors. Every
 * value, the message and the exception text pass {@link Scrubber} first.
 *
 * <p>{@code service} and {@code environment} default to {@code SERVICE_NAME} and {@code
 * DEPLOYMENT_ENVIRONMENT} from the environment. Trace ids are read from the event's MDC (put there
 * on the logging thread by OpenTelemetry's MDC appender, see {@link VigilLogging}) or, without it,
 * from the current span — correct only for a synchronous appender.
 */
public class VigilJsonEncoder extends EncoderBase<ILoggingEvent> {
    private String service;
    private String environment;
    private String hostname;
    private Scrubber scrubber = Scrubber.defaults();
    private EventRenderer renderer;

    /** {@code service} field; default {@code SERVICE_NAME}. */
    public void setService(String service) {
        this.service = service;
    }

    /** {@code environment} field; default {@code DEPLOYMENT_ENVIRONMENT}. */
    public void setEnvironment(String environment) {
        this.environment = environment;
    }

    /** {@code hostname} field; default {@code HOSTNAME} or the local host name. */
    public void setHostname(String hostname) {
        this.hostname = hostname;
    }

    /** Privacy rules (default {@link Scrubber#defaults()}). */
    public void setScrubber(Scrubber scrubber) {
        this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
    }

    @Override
    public void start() {
        renderer = renderer(service, environment, hostname, scrubber);
        super.start();
    }

    static EventRenderer renderer(String service, String environment, String hostname, Scrubber scrubber) {
        VigilConfig env = service == null || environment == null ? VigilConfig.fromEnvironment() : null;
        return new EventRenderer(
                scrubber,
                service != null ? service : env.serviceName(),
                environment != null ? environment : env.environment(),
                hostname != null ? hostname : Hostnames.local());
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return renderer.json(event);
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
