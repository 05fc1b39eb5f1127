package io.vigil.console.internal;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * The console's trace sampling ({@link TraceRetention}) ahead of the batch span processor that feeds its span exporter:
 * a span of a trace the console will not keep stops here as it ends, on the thread that ends it, instead of being
 * queued by the batch processor, copied into span data and batched on its worker thread, only for the exporter to drop
 * it. Above the console's rate that is nearly every span of a loaded service (issue 17). Everything else is the batch
 * processor's.
 */
public final class RetainingSpanProcessor implements SpanProcessor {
    private final SpanProcessor next;
    private final TraceRetention retention;

    RetainingSpanProcessor(SpanProcessor next, TraceRetention retention) {
        this.next = next;
        this.retention = retention;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        next.onStart(parentContext, span);
    }

    @Override
    public boolean isStartRequired() {
        return next.isStartRequired();
    }

    @Override
    public void onEnd(ReadableSpan span) {
        if (retention.keepsEndedSpan(span)) {
            next.onEnd(span);
        }
    }

    @Override
    public boolean isEndRequired() {
        return next.isEndRequired();
    }

    @Override
    public CompletableResultCode shutdown() {
        return next.shutdown();
    }

    @Override
    public CompletableResultCode forceFlush() {
        return next.forceFlush();
    }

    @Override
    public String toString() {
        return "RetainingSpanProcessor{" + next + "}";
    }
}
