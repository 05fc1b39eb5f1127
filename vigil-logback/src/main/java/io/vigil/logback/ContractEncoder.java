package io.vigil.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import io.vigil.core.Scrubber;
import io.vigil.core.VigilConfig;
import io.vigil.logback.internal.EventRenderer;
import io.vigil.logback.internal.Hostnames;
import java.util.Objects;

/**
 * What the contract's encoders share: the {@code service}, {@code environment} and {@code
 * hostname} fields and the privacy rules, set as Logback properties, and the renderer built from
 * them on {@link #start()}. {@link VigilJsonEncoder} and {@link VigilTextEncoder} only choose how an
 * event is written.
 */
public abstract class ContractEncoder extends EncoderBase<ILoggingEvent> {
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

    /** The renderer of the started encoder. */
    EventRenderer renderer() {
        return renderer;
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
    public byte[] footerBytes() {
        return null;
    }
}
