package io.vigil.profiling.internal;

import io.pyroscope.javaagent.api.Logger;
import java.util.IllegalFormatException;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * The Pyroscope agent's log output, routed to SLF4J. The agent logs an ERROR per failed upload
 * attempt (and per retry); those are handed to {@link UploadHealth}, which turns an outage into
 * one warning. Everything else the agent says is DEBUG, except its own errors.
 */
final class AgentLogger implements Logger {
    private static final org.slf4j.Logger log = LoggerFactory.getLogger("io.vigil.profiling.pyroscope");

    private final UploadHealth health;
    private volatile String lastError;
    private volatile boolean quietStartErrors;

    AgentLogger(UploadHealth health) {
        this.health = health;
    }

    @Override
    public void log(Level level, String format, Object... args) {
        boolean uploadError = format.startsWith("Error uploading") || format.startsWith("Gave up uploading");
        if (level == Level.ERROR && !uploadError) {
            String message = format(format, args);
            lastError = message;
            if (quietStartErrors) {
                log.debug("Pyroscope agent: {}", message); // the caller reports the outcome once
            } else {
                log.warn("Pyroscope agent: {}", message);
            }
        } else if (log.isDebugEnabled()) {
            log.debug("Pyroscope agent: {}", format(format, args));
        }
        if (uploadError && format.startsWith("Error uploading")) {
            health.attemptFailed(format(format, args));
        }
    }

    /** While starting, the agent's errors are the caller's to report (it may retry). */
    void quietStartErrors(boolean quiet) {
        quietStartErrors = quiet;
    }

    /** The last error the agent reported about itself (not about uploads), if any. */
    String lastError() {
        return lastError;
    }

    private static String format(String format, Object... args) {
        try {
            return String.format(Locale.ROOT, format, args);
        } catch (IllegalFormatException e) {
            return format;
        }
    }
}
