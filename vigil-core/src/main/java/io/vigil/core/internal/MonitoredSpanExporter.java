package io.vigil.core.internal;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/** A span exporter whose failures are reported through {@link ExportHealth}. */
public final class MonitoredSpanExporter implements SpanExporter {
    private final SpanExporter delegate;
    private final ExportHealth health;

    public MonitoredSpanExporter(SpanExporter delegate, ExportHealth health) {
        this.delegate = delegate;
        this.health = health;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        return health.observe(delegate.export(spans));
    }

    @Override
    public CompletableResultCode flush() {
        return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return delegate.shutdown();
    }

    @Override
    public String toString() {
        return "MonitoredSpanExporter{" + delegate + "}";
    }
}
