package io.vigil.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * {@code -prof io.vigil.bench.CpuPerOpProfiler}: CPU time of the whole benchmark JVM per operation
 * ({@code ·cpu.per.op}, ns), background threads (batch span processor, GC) included.
 *
 * <p>Why: on the shared 2-core machine the wall-clock score moves with whatever else runs (a run
 * at load average 15 showed 40× the quiet score), while the CPU an operation costs does not — the
 * same figure {@code http-load.sh} reports per request.
 */
public final class CpuPerOpProfiler implements InternalProfiler {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long cpuBefore;

    @Override
    public String getDescription() {
        return "process CPU time per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        cpuBefore = OS.getProcessCpuTime();
    }

    @Override
    @SuppressWarnings("rawtypes") // JMH's InternalProfiler declares the raw Result in this signature
    public List<? extends Result> afterIteration(
            BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
        long cpu = OS.getProcessCpuTime() - cpuBefore;
        long ops = result.getMetadata().getMeasuredOps();
        double perOp = ops == 0 ? Double.NaN : (double) cpu / ops;
        return List.of(new ScalarResult("cpu.per.op", perOp, "ns/op", AggregationPolicy.AVG));
    }
}
