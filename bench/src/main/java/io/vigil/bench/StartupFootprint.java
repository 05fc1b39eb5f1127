package io.vigil.bench;

import io.vigil.core.Vigil;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Map;

/**
 * Heap retained by a running {@code Vigil} runtime, and the wall time of its first start, measured
 * in this fresh JVM: {@code java -cp bench/target/benchmarks.jar io.vigil.bench.StartupFootprint}.
 */
public final class StartupFootprint {
    private StartupFootprint() {}

    public static void main(String[] args) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        long t0 = System.nanoTime();
        Vigil vigil = Vigil.builder()
                .environment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"))
                .build();
        long startNanos = System.nanoTime() - t0;
        vigil.metricsEndpoint().scrape(null); // the first scrape builds the exposition once
        long after = usedAfterGc(memory);
        System.out.printf(
                "first start: %.1f ms; heap retained by the running runtime (after GC): %.1f MiB%n",
                startNanos / 1e6, (after - before) / (1024.0 * 1024.0));
        vigil.close();
    }

    private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
