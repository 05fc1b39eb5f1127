package io.vigil.console.internal;

import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;

/**
 * One export call of an in-process SDK exporter: the SDK's own (immutable) data, converted to records on the ingest
 * thread without an OTLP round trip.
 */
public sealed interface DirectBatch {
    /** The batch as an OTLP export request, for the data directory only (replayed like any received request). */
    byte[] toOtlp();

    /** Spans from a span processor. */
    record Spans(Collection<SpanData> items) implements DirectBatch {
        @Override
        public byte[] toOtlp() {
            return bytes(TraceRequestMarshaler.create(items));
        }
    }

    /** Log records from a log record processor. */
    record Logs(Collection<LogRecordData> items) implements DirectBatch {
        @Override
        public byte[] toOtlp() {
            return bytes(LogsRequestMarshaler.create(items));
        }
    }

    /** Metrics from a metric reader's collection. */
    record Metrics(Collection<MetricData> items) implements DirectBatch {
        @Override
        public byte[] toOtlp() {
            return bytes(MetricsRequestMarshaler.create(items));
        }
    }

    private static byte[] bytes(Marshaler m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.getBinarySerializedSize());
        try {
            m.writeBinaryTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }
}
