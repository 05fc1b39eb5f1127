package io.vigil.kafka.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * A telemetry step that threw (a propagator, an exporter's processor, a broken instrument): logged
 * once per {@code VigilKafka}, then skipped quietly, so producing and consuming go on.
 *
 * <p>This class is internal and may change without notice.
 */
public final class TelemetryFailures {
    private final Logger logger;
    private final AtomicBoolean logged = new AtomicBoolean();

    public TelemetryFailures(Logger logger) {
        this.logger = logger;
    }

    public void failed(String what, RuntimeException e) {
        if (logged.compareAndSet(false, true)) {
            logger.atWarn()
                    .setMessage("Kafka telemetry failed; records are sent and processed without it")
                    .addKeyValue("telemetry_part", what)
                    .setCause(e)
                    .log();
        }
    }
}
