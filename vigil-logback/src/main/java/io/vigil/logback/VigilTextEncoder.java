package io.vigil.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import io.vigil.core.Scrubber;
import io.vigil.logback.internal.EventRenderer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A Logback encoder for {@code LOG_FORMAT=text}: readable, colourless lines with the same fields and
 * scrubbing as {@link VigilJsonEncoder}.
 *
 * <pre>
 * 2025-01-31T10:15:30.123Z INFO  [main] io.example.Users - user created user_id=42 request_id=ab12 trace_id=… span_id=…
 * </pre>
 *
 * Control characters in messages and values are shown escaped ({@code \n}), and stack-trace lines
 * are indented by a tab, so a line starting at column 0 is always a new event.
 */
public class VigilTextEncoder extends EncoderBase<ILoggingEvent> {
    private String service;
    private String environment;
    private Scrubber scrubber = Scrubber.defaults();
    private EventRenderer renderer;

    public void setService(String service) {
        this.service = service;
    }

    public void setEnvironment(String environment) {
        this.environment = environment;
    }

    /** Privacy rules (default {@link Scrubber#defaults()}). */
    public void setScrubber(Scrubber scrubber) {
        this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
    }

    @Override
    public void start() {
        renderer = VigilJsonEncoder.renderer(service, environment, null, scrubber);
        super.start();
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return renderer.text(event).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
