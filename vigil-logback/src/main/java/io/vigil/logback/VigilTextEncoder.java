package io.vigil.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.nio.charset.StandardCharsets;

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
public class VigilTextEncoder extends ContractEncoder {
    @Override
    public byte[] encode(ILoggingEvent event) {
        return renderer().text(event).getBytes(StandardCharsets.UTF_8);
    }
}
