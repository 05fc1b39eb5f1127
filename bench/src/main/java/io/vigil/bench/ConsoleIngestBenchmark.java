package io.vigil.bench;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.vigil.console.internal.Signal;
import io.vigil.console.internal.Store;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import zipkin2.codec.SpanBytesDecoder;
import zipkin2.storage.InMemoryStorage;

/**
 * Ingest rate in spans/s, from wire bytes to stored and queryable: vigil-console's store fed OTLP/protobuf export
 * requests, and Zipkin server's in-memory storage fed the same spans as Zipkin proto3 (what its HTTP collector
 * does: decode the list, then store it). Both run bounded and in steady state (evicting), holding about the same
 * number of spans: the console at its default 256 MiB (about 530,000 of these spans), Zipkin at its default 500,000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ConsoleSpans.SPANS_PER_BATCH)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class ConsoleIngestBenchmark {
    private static final int BATCHES = 2_000; // 200,000 distinct spans, then they repeat

    private byte[][] otlp;
    private byte[][] zipkin;
    private int next;
    private Store store;
    private InMemoryStorage zipkinStorage;

    @Setup(Level.Trial)
    public void setUp() {
        otlp = new byte[BATCHES][];
        zipkin = new byte[BATCHES][];
        for (int i = 0; i < BATCHES; i++) {
            otlp[i] = ConsoleSpans.otlp(i);
            zipkin[i] = ConsoleSpans.zipkin(i);
        }
        store = new Store(256L * 1024 * 1024);
        zipkinStorage = InMemoryStorage.newBuilder().maxSpanCount(500_000).build();
    }

    @Benchmark
    public void vigilConsole() throws IOException {
        byte[] batch = otlp[next++ % BATCHES];
        store.ingest(Signal.TRACES, ExportTraceServiceRequest.parseFrom(batch));
    }

    @Benchmark
    public void zipkinInMemory() throws IOException {
        byte[] batch = zipkin[next++ % BATCHES];
        zipkinStorage
                .spanConsumer()
                .accept(SpanBytesDecoder.PROTO3.decodeList(batch))
                .execute();
    }
}
