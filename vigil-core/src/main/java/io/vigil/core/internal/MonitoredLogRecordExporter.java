package io.vigil.core.internal;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.Collection;

/** A log record exporter whose failures are reported through {@link ExportHealth}. */
public final class MonitoredLogRecordExporter implements LogRecordExporter {
    private final LogRecordExporter delegate;
    private final ExportHealth health;

    public MonitoredLogRecordExporter(LogRecordExporter delegate, ExportHealth health) {
        this.delegate = delegate;
        this.health = health;
    }

    @Override
    public CompletableResultCode export(Collection<LogRecordData> logs) {
        return health.observe(delegate.export(logs));
    }

    @Override
    public CompletableResultCode flush() {
        return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return delegate.shutdown();
    }
}
