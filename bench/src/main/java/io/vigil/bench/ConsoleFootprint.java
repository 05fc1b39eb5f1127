package io.vigil.bench;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.vigil.console.internal.Signal;
import io.vigil.console.internal.Store;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import zipkin2.codec.SpanBytesDecoder;
import zipkin2.storage.InMemoryStorage;

/**
 * Heap retained per stored span, vigil-console vs Zipkin's in-memory storage, the same 100,000 spans into each (no
 * eviction): {@code java -Xmx2g -cp bench/target/benchmarks.jar io.vigil.bench.ConsoleFootprint}.
 */
public final class ConsoleFootprint {
    private static final int BATCHES = 1_000;

    private ConsoleFootprint() {}

    public static void main(String[] args) throws Exception {
        byte[][] otlp = new byte[BATCHES][];
        byte[][] zipkin = new byte[BATCHES][];
        long otlpBytes = 0;
        long zipkinBytes = 0;
        for (int i = 0; i < BATCHES; i++) {
            otlp[i] = ConsoleSpans.otlp(i);
            zipkin[i] = ConsoleSpans.zipkin(i);
            otlpBytes += otlp[i].length;
            zipkinBytes += zipkin[i].length;
        }
        int spans = BATCHES * ConsoleSpans.SPANS_PER_BATCH;
        System.out.printf(
                "%d spans; wire size: OTLP %.0f B/span, Zipkin proto3 %.0f B/span%n",
                spans, (double) otlpBytes / spans, (double) zipkinBytes / spans);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

        long before = usedAfterGc(memory);
        long t0 = System.nanoTime();
        Store store = new Store(4L * 1024 * 1024 * 1024);
        for (byte[] b : otlp) {
            store.ingest(Signal.TRACES, ExportTraceServiceRequest.parseFrom(b));
        }
        long consoleNanos = System.nanoTime() - t0;
        long consoleRetained = usedAfterGc(memory) - before;
        System.out.printf(
                "vigil-console: %.0f B/span retained (estimate %.0f B/span), one cold pass %.0f spans/s%n",
                (double) consoleRetained / spans, (double) store.bytes() / spans, spans / (consoleNanos / 1e9));
        store = null;

        before = usedAfterGc(memory);
        t0 = System.nanoTime();
        InMemoryStorage zipkinStorage =
                InMemoryStorage.newBuilder().maxSpanCount(spans * 2).build();
        for (byte[] b : zipkin) {
            zipkinStorage
                    .spanConsumer()
                    .accept(SpanBytesDecoder.PROTO3.decodeList(b))
                    .execute();
        }
        long zipkinNanos = System.nanoTime() - t0;
        long zipkinRetained = usedAfterGc(memory) - before;
        System.out.printf(
                "zipkin in-memory: %.0f B/span retained, one cold pass %.0f spans/s%n",
                (double) zipkinRetained / spans, spans / (zipkinNanos / 1e9));
        if (store != null || zipkinStorage.acceptedSpanCount() < 0) {
            System.out.println(); // keeps both stores reachable until measured
        }
    }

    private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
