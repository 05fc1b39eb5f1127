package io.vigil.console.internal;

import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Which spans and log records an embedded console keeps when its host serves more traces per second than a viewer
 * needs. Every record the console keeps lives in the host's heap until it is evicted, where the garbage collector
 * copies and marks it: at a loaded service's rate (thousands of requests a second, seven records each) that is most of
 * what the embedded console costs the service (bench/README, issue 17), while its byte bound would hold only seconds of
 * history. Above the configured rate the console keeps a fraction of traces chosen by trace id — all spans and logs of
 * a kept trace, none of the others — so what it shows are whole traces, and minutes of them.
 *
 * <p>The fraction is re-computed once a second from the local root spans (those without a parent in this process)
 * seen in the last second: {@code min(1, rate / roots per second)}; within the second, once more roots have come than
 * the rate at that fraction allows, it falls to {@code rate / roots so far}, so a burst after a quiet second keeps about
 * {@code rate × (1 + ln(roots / rate))} traces, not all of them. Trace ids are random (W3C), so comparing the low 63
 * bits of the id with a threshold keeps the same trace on every export thread without any per-trace state. Spans with
 * an error status and log records at WARN or above are always kept, as are log records outside any trace. Metrics are
 * never sampled (they are aggregates already).
 *
 * <p>A rate of 0 keeps everything. Thread-safe: the span and log exporters call it from their own threads, the span
 * filter ahead of the batch processor ({@link RetainingSpanProcessor}) from the threads that end spans.
 */
public final class TraceRetention {
    private static final long WINDOW_NANOS = 1_000_000_000L;

    private final int tracesPerSecond;
    private final LongSupplier nanoTime;
    // Counted on the request threads when the filter sits ahead of the batch processor: no shared hot counter.
    private final LongAdder skippedSpans = new LongAdder();
    private final AtomicLong skippedLogs = new AtomicLong();
    // Kept iff the trace id's low 63 bits are at most this: Long.MAX_VALUE keeps every trace.
    private volatile long keepAtMost = Long.MAX_VALUE;
    private volatile double keptFraction = 1.0;
    private long windowStart;
    private long roots;

    /**
     * @param tracesPerSecond traces per second kept before sampling starts; 0 keeps everything
     * @param nanoTime a monotonic clock ({@code System::nanoTime}; tests pass their own)
     */
    public TraceRetention(int tracesPerSecond, LongSupplier nanoTime) {
        if (tracesPerSecond < 0) {
            throw new IllegalArgumentException("tracesPerSecond must be >= 0, got " + tracesPerSecond);
        }
        this.tracesPerSecond = tracesPerSecond;
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong();
    }

    /** Traces per second kept before sampling starts; 0 = no sampling. */
    public int tracesPerSecond() {
        return tracesPerSecond;
    }

    /** The fraction of traces kept now (1 while the rate is below the bound). */
    public double keptFraction() {
        return keptFraction;
    }

    /** Spans not kept so far. */
    public long skippedSpans() {
        return skippedSpans.sum();
    }

    /** Log records not kept so far. */
    public long skippedLogs() {
        return skippedLogs.get();
    }

    /**
     * The spans of one export batch to keep; {@code spans} itself when all are kept. Taken span by span in the batch's
     * order (the order they ended), each local root counted as it comes — the decisions {@link #keepsEndedSpan} takes
     * for the same spans ahead of the batch processor.
     */
    public Collection<SpanData> spans(Collection<SpanData> spans) {
        if (tracesPerSecond == 0) {
            return spans;
        }
        countRoots(0); // an export closes a window that is over, even with no root in it
        List<SpanData> kept = null; // the spans itself until one is refused
        int i = 0;
        for (SpanData s : spans) {
            if (isLocalRoot(s.getParentSpanContext())) {
                countRoots(1);
            }
            long threshold = keepAtMost;
            boolean keep = threshold == Long.MAX_VALUE
                    || keeps(s.getSpanContext(), threshold)
                    || s.getStatus().getStatusCode() == StatusCode.ERROR;
            if (!keep && kept == null) {
                kept = new ArrayList<>(spans.size());
                int j = 0;
                for (SpanData earlier : spans) {
                    if (j++ == i) {
                        break;
                    }
                    kept.add(earlier);
                }
            } else if (keep && kept != null) {
                kept.add(s);
            }
            i++;
        }
        if (kept == null) {
            return spans;
        }
        skippedSpans.add(spans.size() - kept.size());
        return kept;
    }

    /**
     * Whether an ending span goes on to the console: the decision {@link #spans} takes for it in an export batch, taken
     * as the span ends instead — ahead of the batch span processor, so that a span of a trace the console will not keep
     * is never queued, copied or batched. A local root counts into the rate's window; the span is kept when its trace
     * is kept or its status is ERROR; a refusal counts as a skipped span. An unsampled span is passed on uncounted: the
     * batch processor drops it itself, so the exporter never counted it either.
     */
    public boolean keepsEndedSpan(ReadableSpan span) {
        if (tracesPerSecond == 0) {
            return true;
        }
        SpanContext context = span.getSpanContext();
        if (!context.isSampled()) {
            return true;
        }
        if (isLocalRoot(span.getParentSpanContext())) {
            countRoots(1);
        }
        long threshold = keepAtMost;
        if (threshold == Long.MAX_VALUE || keeps(context, threshold)) {
            return true;
        }
        // Only a refused span pays for its status, which a ReadableSpan shows only through its data: on an ended span
        // that is one small wrapper around the span's own fields, no copy.
        if (span.toSpanData().getStatus().getStatusCode() == StatusCode.ERROR) {
            return true;
        }
        skippedSpans.increment();
        return false;
    }

    /** The log records of one export batch to keep; {@code logs} itself when all are kept. */
    public Collection<LogRecordData> logs(Collection<LogRecordData> logs) {
        long threshold = keepAtMost;
        if (tracesPerSecond == 0 || threshold == Long.MAX_VALUE) {
            return logs;
        }
        List<LogRecordData> kept = new ArrayList<>(logs.size());
        for (LogRecordData l : logs) {
            SpanContext c = l.getSpanContext();
            if (!c.isValid()
                    || keeps(c, threshold)
                    || l.getSeverity().getSeverityNumber() >= Severity.WARN.getSeverityNumber()) {
                kept.add(l);
            }
        }
        skippedLogs.addAndGet(logs.size() - kept.size());
        return kept;
    }

    /**
     * Whether a log record below WARN of the trace with this id (32 lowercase hex digits) is kept now — the same
     * decision {@link #logs} takes, for a filter ahead of the log pipeline so that a record the console would drop is
     * never built. A refusal is counted as a skipped log record; an invalid id is kept (a record outside any trace).
     */
    public boolean keepsTraceLog(String traceId) {
        long threshold = keepAtMost;
        if (tracesPerSecond == 0 || threshold == Long.MAX_VALUE || !TraceId.isValid(traceId)) {
            return true;
        }
        if (keeps(traceId, threshold)) {
            return true;
        }
        skippedLogs.incrementAndGet();
        return false;
    }

    /** Closes the window when a second has passed (the batch at hand starts the next one), then counts its roots. */
    private synchronized void countRoots(int n) {
        long now = nanoTime.getAsLong();
        long elapsed = now - windowStart;
        if (elapsed >= WINDOW_NANOS) {
            double perSecond = roots * 1e9 / elapsed;
            double fraction = perSecond <= tracesPerSecond ? 1.0 : tracesPerSecond / perSecond;
            keptFraction = fraction;
            keepAtMost = fraction >= 1.0 ? Long.MAX_VALUE : (long) (fraction * Long.MAX_VALUE);
            windowStart = now;
            roots = 0;
        }
        roots += n;
        // More roots in this window than the rate, at the fraction still in force: the last window's rate no longer
        // holds — typically a burst after a quiet spell, whose window said "keep everything" (a service that was idle
        // for 30 s and is loaded again kept every trace of its first loaded second: 150 times the rate, all of it
        // stored for minutes, issue 17). Until the window closes, keep no more than the rate would of the roots seen.
        if (roots * keptFraction > tracesPerSecond) {
            double fraction = (double) tracesPerSecond / roots;
            keptFraction = fraction;
            keepAtMost = (long) (fraction * Long.MAX_VALUE);
        }
    }

    /** A span without a parent in this process: the start of a trace here, what the rate counts. */
    private static boolean isLocalRoot(SpanContext parent) {
        return !parent.isValid() || parent.isRemote();
    }

    private static boolean keeps(SpanContext context, long threshold) {
        return keeps(context.getTraceId(), threshold);
    }

    private static boolean keeps(String traceId, long threshold) {
        return (lowBits(traceId) >>> 1) <= threshold;
    }

    /** The trace id's last 16 hex digits as a long (OpenTelemetry's ids are valid lowercase hex). */
    static long lowBits(String traceId) {
        long v = 0;
        for (int i = traceId.length() - 16; i < traceId.length(); i++) {
            char c = traceId.charAt(i);
            v = (v << 4) | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return v;
    }
}
