package io.vigil.profiling.internal;

import io.pyroscope.javaagent.Snapshot;
import io.pyroscope.javaagent.api.Exporter;

/**
 * Wraps the agent's {@code /ingest} exporter to learn each upload's outcome: the agent never
 * throws, it logs, so the outcome is what {@link AgentLogger} heard while the upload ran.
 */
final class MonitoredExporter implements Exporter {
    private final Exporter delegate;
    private final UploadHealth health;

    MonitoredExporter(Exporter delegate, UploadHealth health) {
        this.delegate = delegate;
        this.health = health;
    }

    @Override
    public void export(Snapshot snapshot) {
        health.beginAttempt();
        try {
            delegate.export(snapshot);
        } catch (RuntimeException e) {
            health.attemptFailed(e.toString());
        }
        health.endAttempt();
    }

    @Override
    public void stop() {
        delegate.stop();
    }
}
