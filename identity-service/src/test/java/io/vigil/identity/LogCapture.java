package io.vigil.identity;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Records every log event of the process while open: the log signal, as tests see it. */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    LogCapture() {
        setName("test-capture");
        start();
        root.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent e) {
        e.prepareForDeferredProcessing();
        events.add(e);
    }

    /** The key-value pairs of an event as a map. */
    static Map<String, Object> fields(ILoggingEvent e) {
        if (e.getKeyValuePairs() == null) {
            return Map.of();
        }
        return e.getKeyValuePairs().stream()
                .filter(kv -> kv.value != null)
                .collect(Collectors.toMap(kv -> kv.key, kv -> kv.value, (a, b) -> b));
    }

    /** Events whose fields include every given key/value. */
    List<Map<String, Object>> events(Map<String, Object> match) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ILoggingEvent e : events) {
            Map<String, Object> f = fields(e);
            if (match.entrySet().stream().allMatch(m -> Objects.equals(f.get(m.getKey()), m.getValue()))) {
                out.add(f);
            }
        }
        return out;
    }

    /** Every event as one line of text: message, fields, MDC and exception. */
    List<String> lines() {
        return events.stream()
                .map(e -> e.getFormattedMessage() + " " + fields(e) + " " + e.getMDCPropertyMap() + " "
                        + (e.getThrowableProxy() == null
                                ? ""
                                : e.getThrowableProxy().getMessage()))
                .toList();
    }

    /** Every event recorded so far. */
    List<ILoggingEvent> all() {
        return List.copyOf(events);
    }

    boolean any(Predicate<Map<String, Object>> p) {
        return events.stream().map(LogCapture::fields).anyMatch(p);
    }

    @Override
    public void close() {
        root.detachAppender(this);
        stop();
    }
}
