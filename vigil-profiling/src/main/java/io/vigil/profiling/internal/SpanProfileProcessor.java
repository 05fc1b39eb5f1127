package io.vigil.profiling.internal;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.pyroscope.labels.v2.LabelsSet;
import io.pyroscope.labels.v2.ScopedContext;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Links traces and profiles, as Pyroscope's span profiles define it: every local root span (no
 * parent, or a remote one, e.g. the HTTP server span of a request) gets the attribute {@code
 * pyroscope.profile.id} = its span id, and while it is open the profiler labels the samples of the
 * thread that started it with {@code profile_id} = that span id and {@code span_name}. Grafana's
 * trace view uses the attribute to offer "profiles for this span", which Pyroscope answers from
 * the labelled samples.
 *
 * <p>Samples are attributed to the thread that started the root span, for as long as it is open;
 * work the request hands to other threads is profiled, but not linked to the span.
 */
public final class SpanProfileProcessor implements SpanProcessor {
    /** The span attribute Grafana's trace-to-profiles link looks for. */
    public static final AttributeKey<String> PROFILE_ID = AttributeKey.stringKey("pyroscope.profile.id");

    private final ConcurrentHashMap<String, ScopedContext> open = new ConcurrentHashMap<>();
    private final Runnable onShutdown;

    public SpanProfileProcessor(Runnable onShutdown) {
        this.onShutdown = onShutdown;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        SpanContext parent = Span.fromContext(parentContext).getSpanContext();
        if (parent.isValid() && !parent.isRemote()) {
            return; // a child: its samples already carry the root's label
        }
        String spanId = span.getSpanContext().getSpanId();
        span.setAttribute(PROFILE_ID, spanId);
        open.put(spanId, new ScopedContext(new LabelsSet("profile_id", spanId, "span_name", span.getName())));
    }

    @Override
    public boolean isStartRequired() {
        return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        ScopedContext labels = open.remove(span.getSpanContext().getSpanId());
        if (labels != null) {
            labels.close();
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    /** Stops profiling: the profiler's lifetime is the tracer provider's. */
    @Override
    public CompletableResultCode shutdown() {
        open.values().forEach(ScopedContext::close);
        open.clear();
        onShutdown.run();
        return CompletableResultCode.ofSuccess();
    }
}
