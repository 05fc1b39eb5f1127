package io.vigil.core.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.LoggerProvider;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;

/**
 * The SDK with tracing off ({@code TRACING_ENABLED=false}): its meters, logs bridge and propagators, and OpenTelemetry's
 * no-op tracers. The SDK's own tracer, sampling everything out, still gives every span a fresh trace and span id;
 * made current around a domain operation, a job or a consumed record, those ids went onto the log lines written
 * inside it — ids of spans that are never recorded, which no trace backend can resolve (an outside tester found them
 * on an operation's lines while the request's access log, made with a no-op tracer already, had none). A no-op
 * tracer's span carries its parent's context: none, unless the caller put a valid one there.
 */
public final class UntracedOpenTelemetry implements OpenTelemetry {
    private final OpenTelemetry delegate;

    public UntracedOpenTelemetry(OpenTelemetry delegate) {
        this.delegate = delegate;
    }

    @Override
    public TracerProvider getTracerProvider() {
        return TracerProvider.noop();
    }

    @Override
    public MeterProvider getMeterProvider() {
        return delegate.getMeterProvider();
    }

    @Override
    public LoggerProvider getLogsBridge() {
        return delegate.getLogsBridge();
    }

    @Override
    public ContextPropagators getPropagators() {
        return delegate.getPropagators();
    }

    @Override
    public String toString() {
        return "UntracedOpenTelemetry{" + delegate + "}";
    }
}
