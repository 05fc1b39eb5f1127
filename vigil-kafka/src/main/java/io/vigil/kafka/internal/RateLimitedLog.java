package io.vigil.kafka.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs poison records at most once per interval: a stream of bad records (a producer shipping
 * garbage) must not flood the logs. The next line that is logged says how many were left out
 * ({@code suppressed}); every one of them is still counted in the metrics.
 *
 * <p>This class is internal and may change without notice.
 */
public final class RateLimitedLog {
    private final Logger logger;
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger logger, long intervalNanos) {
        this.logger = logger;
        this.intervalNanos = intervalNanos;
    }

    /** Logs a WARN line with {@code fields} (key, value pairs) unless one was logged within the interval. */
    public void warn(String message, Throwable error, Object... fields) {
        long now = System.nanoTime();
        long allowed = nextAllowed.get();
        if ((allowed != Long.MIN_VALUE && now - allowed < 0)
                || !nextAllowed.compareAndSet(allowed, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        var event = logger.atWarn().setMessage(message).setCause(error);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            event = event.addKeyValue(String.valueOf(fields[i]), fields[i + 1]);
        }
        event.addKeyValue("suppressed", suppressed.getAndSet(0)).log();
    }
}
