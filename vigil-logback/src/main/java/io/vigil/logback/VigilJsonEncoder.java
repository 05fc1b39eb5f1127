package io.vigil.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.vigil.core.Scrubber;

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
public class VigilJsonEncoder extends ContractEncoder {
    @Override
    public byte[] encode(ILoggingEvent event) {
        return renderer().json(event);
    }
}
