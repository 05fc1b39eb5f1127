package io.vigil.bench;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.profiling.ProfilingConfig;
import io.vigil.profiling.VigilProfiling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Profiling overhead as a paired measurement in one JVM: rounds alternate profiling off and on
 * (ABBA order, so drift and background load hit both sides alike), each phase running {@link
 * ProfilingOverheadBenchmark}'s request for a fixed time; the result is the median of the per-round
 * ratios on/off, of throughput (ops per wall second) and of efficiency (ops per CPU second of the
 * whole process, profiler threads and signal handlers included). Where other processes share the
 * CPU, wall throughput swings with their load; the CPU-second figure is what a CPU-bound service
 * loses, and steady.
 *
 * <pre>{@code java -cp bench/target/benchmarks.jar io.vigil.bench.ProfilingOverhead [rounds] [seconds] [hashes]}</pre>
 */
public final class ProfilingOverhead {
    private ProfilingOverhead() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        Path dir = Files.createTempDirectory("vigil-profiles");
        VigilConfig config = VigilConfig.builder()
                .serviceName("bench")
                .profilingEnabled(true)
                .pyroscopeServerAddress(dir.toUri())
                .build();
        ProfilingConfig profiling = ProfilingConfig.builder(config).build();
        Toggle spanProfiles = new Toggle();
        ProfilingOverheadBenchmark workload = new ProfilingOverheadBenchmark();
        workload.profiling = "off";
        workload.hashes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        try (Vigil vigil = Vigil.builder()
                .config(config.toBuilder().profilingEnabled(false).build())
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer((t, c) -> t.addSpanProcessor(spanProfiles)))
                .build()) {
            workload.useRuntime(vigil);
            run(workload, 10); // JIT warm-up
            List<Double> ratios = new ArrayList<>();
            List<Double> cpuRatios = new ArrayList<>();
            double offSum = 0;
            double onSum = 0;
            for (int round = 0; round < rounds; round++) {
                double[] off;
                double[] on;
                if (round % 2 == 0) {
                    off = run(workload, seconds);
                    on = profiled(workload, profiling, spanProfiles, seconds);
                } else {
                    on = profiled(workload, profiling, spanProfiles, seconds);
                    off = run(workload, seconds);
                }
                ratios.add(on[0] / off[0]);
                cpuRatios.add(on[1] / off[1]);
                offSum += off[1];
                onSum += on[1];
                System.out.printf(
                        Locale.ROOT,
                        "round %2d: off %,.0f ops/s %,.0f ops/cpu-s, on %,.0f ops/s %,.0f ops/cpu-s%n",
                        round + 1,
                        off[0],
                        off[1],
                        on[0],
                        on[1]);
            }
            ratios.sort(Double::compare);
            cpuRatios.sort(Double::compare);
            System.out.printf(
                    Locale.ROOT,
                    "%d rounds of %.1f s: mean off %,.0f ops/cpu-s, on %,.0f ops/cpu-s%n"
                            + "on/off per CPU second: median %.3f (quartiles %.3f-%.3f)%n"
                            + "on/off per wall second: median %.3f (quartiles %.3f-%.3f)%n",
                    rounds,
                    seconds,
                    offSum / rounds,
                    onSum / rounds,
                    cpuRatios.get(rounds / 2),
                    cpuRatios.get(rounds / 4),
                    cpuRatios.get((3 * rounds) / 4),
                    ratios.get(rounds / 2),
                    ratios.get(rounds / 4),
                    ratios.get((3 * rounds) / 4));
        } finally {
            deleteAll(dir);
        }
    }

    private static double[] profiled(
            ProfilingOverheadBenchmark workload, ProfilingConfig config, Toggle spanProfiles, double seconds) {
        try (VigilProfiling session = VigilProfiling.start(config)) {
            if (!session.running()) {
                throw new IllegalStateException("profiling did not start");
            }
            spanProfiles.delegate = session.spanProcessor();
            try {
                return run(workload, seconds);
            } finally {
                spanProfiles.delegate = null;
            }
        }
    }

    /** Ops per wall second and per CPU second of this process. */
    private static double[] run(ProfilingOverheadBenchmark workload, double seconds) {
        var os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long ops = 0;
        long cpuStart = os.getProcessCpuTime();
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            for (int i = 0; i < 100; i++) {
                workload.request();
            }
            ops += 100;
        }
        double wall = (System.nanoTime() - start) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
        return new double[] {ops / wall, ops / cpu};
    }

    private static void deleteAll(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** Span profiles switched on and off with the profiler, on one SDK. */
    private static final class Toggle implements SpanProcessor {
        volatile SpanProcessor delegate;

        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
            SpanProcessor d = delegate;
            if (d != null) {
                d.onStart(parentContext, span);
            }
        }

        @Override
        public boolean isStartRequired() {
            return true;
        }

        @Override
        public void onEnd(ReadableSpan span) {
            SpanProcessor d = delegate;
            if (d != null) {
                d.onEnd(span);
            }
        }

        @Override
        public boolean isEndRequired() {
            return true;
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
