package io.vigil.logback.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggerContextVO;
import io.vigil.core.Scrubber;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;

/**
 * A view of an event with the message, MDC and key-value pairs scrubbed, and the exception carried
 * as scrubbed {@code exception.type}/{@code .message}/{@code .stacktrace} key-value pairs instead
 * of the throwable (whose own message and stack trace cannot be scrubbed in place). Handed to
 * OpenTelemetry's Logback bridge, which turns key-value pairs into log record attributes.
 */
public final class ScrubbedEvent implements ILoggingEvent {
    private final ILoggingEvent event;
    private final String message;
    private final Map<String, String> mdc;
    private final List<KeyValuePair> keyValuePairs;

    public ScrubbedEvent(ILoggingEvent event, Scrubber scrubber) {
        this.event = event;
        this.message = scrubber.scrubText(event.getFormattedMessage());
        Map<String, String> source = event.getMDCPropertyMap();
        if (source == null || source.isEmpty()) {
            this.mdc = Map.of();
        } else {
            Map<String, String> m = new HashMap<>(source.size() * 2);
            source.forEach((k, v) -> {
                if (!EventRenderer.TRACE_ID.equals(k)
                        && !EventRenderer.SPAN_ID.equals(k)
                        && !EventRenderer.TRACE_FLAGS.equals(k)) {
                    m.put(k, scrubber.scrubValue(k, v));
                }
            });
            this.mdc = m;
        }
        List<KeyValuePair> kvps = event.getKeyValuePairs();
        IThrowableProxy tp = event.getThrowableProxy();
        if ((kvps == null || kvps.isEmpty()) && tp == null) {
            this.keyValuePairs = null;
        } else {
            List<KeyValuePair> out = new ArrayList<>((kvps == null ? 0 : kvps.size()) + 3);
            if (kvps != null) {
                for (KeyValuePair kv : kvps) {
                    if (kv != null && kv.key != null) {
                        out.add(new KeyValuePair(kv.key, scrubber.scrubValue(kv.key, kv.value)));
                    }
                }
            }
            if (tp != null) {
                String exceptionMessage = scrubber.scrubText(tp.getMessage());
                out.add(new KeyValuePair("exception.type", tp.getClassName()));
                out.add(new KeyValuePair("exception.message", exceptionMessage));
                out.add(new KeyValuePair("exception.stacktrace", StackTraces.render(tp, exceptionMessage, scrubber)));
            }
            this.keyValuePairs = out;
        }
    }

    @Override
    public String getThreadName() {
        return event.getThreadName();
    }

    @Override
    public Level getLevel() {
        return event.getLevel();
    }

    @Override
    public String getMessage() {
        return message; // the template could hold secrets too; the scrubbed text stands in for it
    }

    @Override
    public Object[] getArgumentArray() {
        return null; // raw arguments are unscrubbed by nature
    }

    @Override
    public String getFormattedMessage() {
        return message;
    }

    @Override
    public String getLoggerName() {
        return event.getLoggerName();
    }

    @Override
    public LoggerContextVO getLoggerContextVO() {
        return event.getLoggerContextVO();
    }

    @Override
    public IThrowableProxy getThrowableProxy() {
        return null;
    }

    @Override
    public StackTraceElement[] getCallerData() {
        return event.getCallerData();
    }

    @Override
    public boolean hasCallerData() {
        return event.hasCallerData();
    }

    @Override
    public List<Marker> getMarkerList() {
        return event.getMarkerList();
    }

    @Override
    public Map<String, String> getMDCPropertyMap() {
        return mdc;
    }

    @Override
    @SuppressWarnings("deprecation")
    public Map<String, String> getMdc() {
        return mdc;
    }

    @Override
    public long getTimeStamp() {
        return event.getTimeStamp();
    }

    @Override
    public int getNanoseconds() {
        return event.getNanoseconds();
    }

    @Override
    public Instant getInstant() {
        return event.getInstant();
    }

    @Override
    public long getSequenceNumber() {
        return event.getSequenceNumber();
    }

    @Override
    public List<KeyValuePair> getKeyValuePairs() {
        return keyValuePairs;
    }

    @Override
    public void prepareForDeferredProcessing() {
        event.prepareForDeferredProcessing();
    }
}
