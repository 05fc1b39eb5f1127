package io.vigil.console.internal;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * SDK exporters that hand the SDK's data to the console's ingest queue as it is: no OTLP encoding, no loopback HTTP, no
 * parsing. {@code export} only enqueues (never blocks; a full queue drops the batch and counts it), so the SDK's batch
 * processors and metric reader — already off the request threads — stay cheap; conversion and storing happen on the
 * console's ingest thread. The batch is copied (references only): the SDK's batch processors reuse their list once
 * {@code export} has returned.
 */
public final class DirectExporters {
    /** Estimated queue bytes per item: about a stored record's size, so the queue bound means the same as for OTLP. */
    private static final int SPAN_BYTES = 1024;

    private static final int LOG_BYTES = 512;
    private static final int POINT_BYTES = 256;

    private final Ingest ingest;
    private final TraceRetention retention;
    private final AtomicLongArray accepted = new AtomicLongArray(Signal.values().length);
    private final AtomicLongArray dropped = new AtomicLongArray(Signal.values().length);
    private volatile boolean closed;

    public DirectExporters(Ingest ingest, TraceRetention retention) {
        this.ingest = ingest;
        this.retention = retention;
    }

    /** What the span and log exporters keep above the console's trace rate. */
    public TraceRetention retention() {
        return retention;
    }

    /** Items (spans, log records, metric points) of a signal handed to the ingest queue so far. */
    public long accepted(Signal signal) {
        return accepted.get(signal.ordinal());
    }

    /** Items of a signal dropped because the ingest queue was full or the console closed. */
    public long dropped(Signal signal) {
        return dropped.get(signal.ordinal());
    }

    /** After this, exports fail at once (the console is gone) instead of queueing for a stopped thread. */
    public void close() {
        closed = true;
    }

    private CompletableResultCode offer(Signal signal, DirectBatch batch, int items, int itemBytes) {
        if (items == 0) {
            return CompletableResultCode.ofSuccess();
        }
        int bytes = (int) Math.min(Integer.MAX_VALUE, (long) items * itemBytes);
        if (!closed && ingest.offer(signal, batch, bytes)) {
            accepted.addAndGet(signal.ordinal(), items);
            return CompletableResultCode.ofSuccess();
        }
        dropped.addAndGet(signal.ordinal(), items);
        return CompletableResultCode.ofFailure();
    }

    /** A span exporter into the console. */
    public SpanExporter spans() {
        return new ConsoleSpanExporter();
    }

    /**
     * {@code processor} with the console's trace sampling ahead of it when it is a batch span processor exporting to one
     * of this console's span exporters (see {@link RetainingSpanProcessor}); that exporter then passes on everything
     * it is given, the decisions having been taken, and counted, once. Any other processor is returned as it is — one
     * whose exporter also feeds others (a composite) included, since their spans must not be sampled — as is every
     * processor when the console keeps all traces.
     */
    public SpanProcessor filterAhead(SpanProcessor processor) {
        if (retention.tracesPerSecond() == 0
                || !(processor instanceof BatchSpanProcessor batch)
                || !(batch.getSpanExporter() instanceof ConsoleSpanExporter exporter)
                || exporter.owner() != this) {
            return processor;
        }
        exporter.filteredAhead = true;
        return new RetainingSpanProcessor(batch, retention);
    }

    private final class ConsoleSpanExporter implements SpanExporter {
        // Set once, while the SDK is built (before any span), when a filter ahead of this exporter's batch processor
        // has taken over the sampling: filtering again here would count the batch's roots a second time, and could
        // cut a kept trace in two if the kept fraction changed between a span's end and its export.
        private volatile boolean filteredAhead;

        DirectExporters owner() {
            return DirectExporters.this;
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            // Sampled out before anything is queued or converted: a trace the console will not keep costs no more.
            Collection<SpanData> kept = filteredAhead ? spans : retention.spans(spans);
            return offer(Signal.TRACES, new DirectBatch.Spans(List.copyOf(kept)), kept.size(), SPAN_BYTES);
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess(); // handed over is delivered: nothing is buffered here
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess(); // the console owns the queue and closes it
        }

        @Override
        public String toString() {
            return "VigilConsoleSpanExporter";
        }
    }

    /** A log record exporter into the console. */
    public LogRecordExporter logs() {
        return new LogRecordExporter() {
            @Override
            public CompletableResultCode export(Collection<LogRecordData> logs) {
                Collection<LogRecordData> kept = retention.logs(logs);
                return offer(Signal.LOGS, new DirectBatch.Logs(List.copyOf(kept)), kept.size(), LOG_BYTES);
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public String toString() {
                return "VigilConsoleLogRecordExporter";
            }
        };
    }

    /**
     * A metric exporter into the console, with the given temporality and default aggregation (pass the OTLP exporter's
     * to see exactly what it would have sent).
     */
    public MetricExporter metrics(AggregationTemporalitySelector temporality, DefaultAggregationSelector aggregation) {
        return new MetricExporter() {
            @Override
            public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
                return temporality.getAggregationTemporality(instrumentType);
            }

            @Override
            public Aggregation getDefaultAggregation(InstrumentType instrumentType) {
                return aggregation.getDefaultAggregation(instrumentType);
            }

            @Override
            public MemoryMode getMemoryMode() {
                // The data is read later, on the ingest thread: it must not be reused by the next collection.
                return MemoryMode.IMMUTABLE_DATA;
            }

            @Override
            public CompletableResultCode export(Collection<MetricData> metrics) {
                int points = 0;
                for (MetricData m : metrics) {
                    points += m.getData().getPoints().size();
                }
                return offer(Signal.METRICS, new DirectBatch.Metrics(List.copyOf(metrics)), points, POINT_BYTES);
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public String toString() {
                return "VigilConsoleMetricExporter";
            }
        };
    }
}
