package io.vigil.core.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * {@link ExportHealth}'s pattern for a telemetry step that runs synchronously (on a request's
 * thread, say): every failure is counted ({@code vigil_telemetry_failures_total{component}}), the
 * first of an outage is logged at WARN with its reason, and the first success after it at INFO.
 * Failures never reach the caller. Thread-safe; {@link #succeeded()} costs one volatile read while
 * healthy.
 */
public final class FailureLog {
    /** The counter every component's failures go to, labelled {@code component}. */
    public static final String METRIC = "vigil_telemetry_failures_total";

    private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("component");

    private final Logger log;
    private final String component;
    private final String what;
    private final String consequence;
    private final AtomicBoolean failing = new AtomicBoolean();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong inOutage = new AtomicLong();

    /**
     * @param component the metric label, snake case ({@code http_server})
     * @param what what fails, for the log ({@code "Recording HTTP telemetry"})
     * @param consequence what happens meanwhile ({@code "requests are served without it"})
     */
    public FailureLog(Logger log, String component, String what, String consequence) {
        this.log = log;
        this.component = component;
        this.what = what;
        this.consequence = consequence;
    }

    /** Counts one failure; logs it when it starts an outage. */
    public void failed(Throwable e) {
        failures.increment();
        inOutage.incrementAndGet();
        if (failing.compareAndSet(false, true)) {
            log.warn(
                    "{} is failing ({}); {}; failures are counted in {} and the next message comes on recovery",
                    what,
                    e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    consequence,
                    METRIC + "{component=\"" + component + "\"}");
        }
    }

    /** Marks a success; logs the recovery when it ends an outage. */
    public void succeeded() {
        if (failing.get() && failing.compareAndSet(true, false)) {
            log.info("{} recovered after {} failures", what, inOutage.getAndSet(0));
        }
    }

    /** Failures so far. */
    public long failures() {
        return failures.sum();
    }

    /** Whether the last outcome was a failure. */
    public boolean failing() {
        return failing.get();
    }

    /** Reports the failures as {@link #METRIC} on {@code meter}; close the result to stop. */
    public AutoCloseable register(Meter meter) {
        Attributes attrs = Attributes.of(COMPONENT, component);
        return meter.counterBuilder(METRIC)
                .setDescription("Failures of Vigil's own telemetry steps, by component; the service is unaffected")
                .buildWithCallback(m -> m.record(failures.sum(), attrs));
    }
}
