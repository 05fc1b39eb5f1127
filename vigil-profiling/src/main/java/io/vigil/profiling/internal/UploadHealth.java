package io.vigil.profiling.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health of the profile uploads to one destination: counts outcomes and logs an outage once when
 * it starts and once when it ends, never once per failed upload.
 */
public final class UploadHealth {
    private static final Logger log = LoggerFactory.getLogger("io.vigil.profiling");

    private final String destination;
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicBoolean down = new AtomicBoolean();
    // Set by the agent's logger while an upload runs; uploads run on one exporter thread.
    private volatile String attemptError;

    public UploadHealth(String destination) {
        this.destination = destination;
    }

    /** Called before the agent's exporter tries one profile. */
    void beginAttempt() {
        attemptError = null;
    }

    /** The agent reported an upload error for the profile being sent. */
    void attemptFailed(String message) {
        attemptError = message;
    }

    /** Called after the agent's exporter returned for one profile (it never throws). */
    void endAttempt() {
        String error = attemptError;
        if (error == null) {
            succeeded();
        } else {
            failed(error);
        }
    }

    /** One profile was delivered. */
    public void succeeded() {
        succeeded.incrementAndGet();
        if (down.compareAndSet(true, false)) {
            log.info("Profiles reach {} again ({} profiles dropped during the outage)", destination, failed.get());
        }
    }

    /** One profile could not be delivered and is dropped. */
    public void failed(String reason) {
        failed.incrementAndGet();
        if (down.compareAndSet(false, true)) {
            log.warn(
                    "Profiles cannot reach {} ({}); they are dropped until it answers again. "
                            + "The service is not affected; further failures are logged at DEBUG.",
                    destination,
                    reason);
        } else {
            log.debug("Profile upload to {} failed: {}", destination, reason);
        }
    }

    public long succeededCount() {
        return succeeded.get();
    }

    public long failedCount() {
        return failed.get();
    }
}
