package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A peer's malformed {@code baggage} header is skipped quietly: it must not drive the log volume. */
class IncomingBaggageTest {
    private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    @Test
    void malformedBaggageMembersAreSkippedWithoutALogRecordEach() {
        List<LogRecord> published = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                published.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        // OpenTelemetry's baggage parser logs through java.util.logging; records reach this handler unless quietened.
        Logger parent = Logger.getLogger("io.opentelemetry.api");
        parent.addHandler(capture);
        try (Vigil vigil =
                Vigil.builder().environment(Map.of()).runtimeMetrics(false).build()) {
            String bad = IntStream.range(0, 500).mapToObj(i -> "k" + i + "=%zz").collect(Collectors.joining(","));
            Map<String, String> headers = Map.of(
                    "traceparent",
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                    "baggage",
                    bad + ",tenant=t-1");

            Context extracted = vigil.openTelemetry()
                    .getPropagators()
                    .getTextMapPropagator()
                    .extract(Context.root(), headers, HEADERS);

            // The request is served as before: its trace continued, the valid member kept, the bad ones skipped.
            assertThat(Span.fromContext(extracted).getSpanContext().getTraceId())
                    .isEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(Baggage.fromContext(extracted).asMap()).containsOnlyKeys("tenant");
            assertThat(published).isEmpty();
        } finally {
            parent.removeHandler(capture);
        }
    }
}
