package io.vigil.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A JMH benchmark's two variants as a paired measurement in one JVM: short phases alternate A and
 * B (ABBA order) on one thread, each phase's CPU time (of that thread), allocation and operation
 * count are read, and the result is the median of the per-round ratios A/B with its quartiles.
 *
 * <p>Why next to JMH: on the shared 2-core machine JMH runs the variants one after the other, so a
 * build starting between them moves the ratio by more than the effect measured (a run at load
 * average 15–20 gave ±200 % errors). Alternating phases of a fraction of a second expose both
 * variants to the same load, and thread CPU time per operation does not count the time the
 * thread waited for a core.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.PairedRatio operation [rounds] [phase-ms]
 * java -cp bench/target/benchmarks.jar io.vigil.bench.PairedRatio log [rounds] [phase-ms]
 * }</pre>
 *
 * <ul>
 *   <li>{@code operation}: {@link OperationBenchmark} sampled, A = {@code vigil}, B = {@code handStacked}, both
 *       sides' log lines through logstash-logback-encoder (the instrumentation like for like);
 *   <li>{@code operationVigilEncoder}: the same, both sides' lines through Vigil's encoder;
 *   <li>{@code operationShipped}: the same, each side as a team runs it: Vigil's lines through Vigil's encoder, the
 *       decorators' through logstash-logback-encoder;
 *   <li>{@code log}: {@link LogEncodingBenchmark}, A = {@code vigilJson}, B = {@code logstashJson};
 *   <li>{@code logNewRequest}: the same, each line another request's (no encoder cache hits);
 *   <li>{@code logError}: the same with an exception;
 *   <li>{@code websocket}: {@link WebSocketMessageBenchmark} sampled, A = {@code instrumented}, B = {@code plain};
 *   <li>{@code http}: {@link HttpServerBenchmark} sampled, A = {@code request}, B = {@link OperationBenchmark}'s
 *       {@code handStacked} as a yardstick: code the HTTP instrumentation does not touch, so the ratio from a jar
 *       built before an HTTP change and the one from a jar built after it compare, each measured under the same load
 *       as its yardstick;
 *   <li>{@code jdbc}: {@link JdbcBenchmark} sampled, A = {@code instrumented}, B = {@code plain} (the same statement
 *       on the unwrapped pool, which a vigil-jdbc change does not touch);
 *   <li>{@code accessLog}: {@link AccessLogBenchmark}, A = a request with its access-log line through VigilLogging's
 *       installed chain to a null stream, B = the same request without the line (the yardstick); CPU time and
 *       allocation of the stdout hand-off's thread, which encodes and writes the lines, are added to the caller's,
 *       and each phase ends when the hand-off has delivered all its lines. A − B is one line's cost, all threads.
 * </ul>
 */
public final class PairedRatio {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static volatile Object sink;

    private PairedRatio() {}

    private record Pair(
            String a, Supplier<Object> variantA, String b, Supplier<Object> variantB, Background background) {
        Pair(String a, Supplier<Object> variantA, String b, Supplier<Object> variantB) {
            this(a, variantA, b, variantB, null);
        }
    }

    /**
     * Work the variants leave to other threads: {@code settle} waits until it is done, and the threads' CPU time and
     * allocation are counted with the caller's.
     */
    private record Background(Runnable settle, long[] threadIds) {}

    public static void main(String[] args) {
        String suite = args.length > 0 ? args[0] : "operation";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        long phaseNanos = (args.length > 2 ? Long.parseLong(args[2]) : 250) * 1_000_000L;
        Pair pair = pair(suite);
        // Warm-up: C2 compiles both variants before anything is counted.
        for (int i = 0; i < 20; i++) {
            phase(pair.variantA(), phaseNanos, pair.background());
            phase(pair.variantB(), phaseNanos, pair.background());
        }
        List<Double> cpu = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        double[] sumA = new double[3];
        double[] sumB = new double[3];
        for (int round = 0; round < rounds; round++) {
            double[] a;
            double[] b;
            if (round % 2 == 0) {
                a = phase(pair.variantA(), phaseNanos, pair.background());
                b = phase(pair.variantB(), phaseNanos, pair.background());
            } else {
                b = phase(pair.variantB(), phaseNanos, pair.background());
                a = phase(pair.variantA(), phaseNanos, pair.background());
            }
            cpu.add(a[0] / b[0]);
            wall.add(a[2] / b[2]);
            for (int i = 0; i < 3; i++) {
                sumA[i] += a[i];
                sumB[i] += b[i];
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%s: %d rounds of %d ms per variant; per operation: thread CPU ns, allocated B, wall ns (means)%n",
                suite,
                rounds,
                phaseNanos / 1_000_000);
        System.out.printf(
                Locale.ROOT,
                "  %-14s %9.0f ns cpu %8.0f B %9.0f ns wall%n",
                pair.a(),
                sumA[0] / rounds,
                sumA[1] / rounds,
                sumA[2] / rounds);
        System.out.printf(
                Locale.ROOT,
                "  %-14s %9.0f ns cpu %8.0f B %9.0f ns wall%n",
                pair.b(),
                sumB[0] / rounds,
                sumB[1] / rounds,
                sumB[2] / rounds);
        System.out.printf(
                Locale.ROOT,
                "  %s/%s CPU per op: median %.3f (quartiles %.3f–%.3f); wall: median %.3f%n",
                pair.a(),
                pair.b(),
                quantile(cpu, 0.5),
                quantile(cpu, 0.25),
                quantile(cpu, 0.75),
                quantile(wall, 0.5));
        System.exit(0); // the SDKs' daemon threads must not keep the JVM alive
    }

    private static Pair pair(String suite) {
        switch (suite) {
            case "operation", "operationVigilEncoder", "operationShipped" -> {
                OperationBenchmark bench = new OperationBenchmark();
                bench.mode = "sampled";
                bench.exemplars = "on";
                bench.encoder = switch (suite) {
                    case "operationVigilEncoder" -> "vigil";
                    case "operationShipped" -> "shipped";
                    default -> "logstash";
                };
                bench.setUp();
                return new Pair("vigil", bench::vigil, "handStacked", bench::handStacked);
            }
            case "log", "logNewRequest", "logError" -> {
                LogEncodingBenchmark bench = new LogEncodingBenchmark();
                bench.setUp();
                return suite.equals("log")
                        ? new Pair("vigilJson", bench::vigilJson, "logstashJson", bench::logstashJson)
                        : suite.equals("logNewRequest")
                                ? new Pair(
                                        "vigilJsonNewRequest",
                                        bench::vigilJsonNewRequest,
                                        "logstashJsonNewRequest",
                                        bench::logstashJsonNewRequest)
                                : new Pair(
                                        "vigilJsonWithException",
                                        bench::vigilJsonWithException,
                                        "logstashJsonWithException",
                                        bench::logstashJsonWithException);
            }
            case "websocket" -> {
                WebSocketMessageBenchmark bench = new WebSocketMessageBenchmark();
                bench.mode = "sampled";
                bench.setUp();
                return new Pair("instrumented", bench::instrumented, "plain", bench::plain);
            }
            case "http" -> {
                HttpServerBenchmark bench = new HttpServerBenchmark();
                bench.mode = "sampled";
                bench.setUp();
                OperationBenchmark yardstick = new OperationBenchmark();
                yardstick.mode = "sampled";
                yardstick.exemplars = "on";
                yardstick.setUp();
                return new Pair("httpRequest", bench::request, "yardstick", yardstick::handStacked);
            }
            case "jdbc" -> {
                JdbcBenchmark bench = new JdbcBenchmark();
                bench.mode = "sampled";
                bench.setUp();
                return new Pair("jdbcStatement", bench::instrumented, "plainStatement", bench::plain);
            }
            case "accessLog" -> {
                AccessLogBenchmark bench = new AccessLogBenchmark();
                bench.setUp();
                long[] handoff = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName()
                                .equals("vigil-log-" + bench.handoff().getName()))
                        .mapToLong(Thread::threadId)
                        .toArray();
                if (handoff.length != 1) {
                    throw new IllegalStateException("expected one stdout hand-off thread, found " + handoff.length);
                }
                return new Pair(
                        "accessLog",
                        bench::withAccessLog,
                        "noAccessLog",
                        bench::withoutAccessLog,
                        new Background(bench::awaitDelivered, handoff));
            }
            default ->
                throw new IllegalArgumentException(
                        "unknown suite " + suite
                                + "; operation, operationVigilEncoder, operationShipped, log, logNewRequest, logError, websocket, http, jdbc, accessLog");
        }
    }

    /** Runs {@code op} for about {@code nanos}; returns CPU ns, allocated bytes and wall ns per operation. */
    private static double[] phase(Supplier<Object> op, long nanos, Background background) {
        Object last = null;
        long ops = 0;
        if (background != null) {
            background.settle().run(); // the other variant's leftovers are not billed to this one
        }
        long cpu0 = THREADS.getCurrentThreadCpuTime() + backgroundCpu(background);
        long alloc0 = THREADS.getCurrentThreadAllocatedBytes() + backgroundAllocation(background);
        long start = System.nanoTime();
        long deadline = start + nanos;
        long now;
        do {
            for (int i = 0; i < 64; i++) {
                last = op.get(); // kept live through sink, so the work cannot be eliminated
            }
            ops += 64;
            now = System.nanoTime();
        } while (now < deadline);
        if (background != null) {
            background.settle().run();
        }
        long alloc = THREADS.getCurrentThreadAllocatedBytes() + backgroundAllocation(background) - alloc0;
        long cpu = THREADS.getCurrentThreadCpuTime() + backgroundCpu(background) - cpu0;
        sink = last;
        return new double[] {(double) cpu / ops, (double) alloc / ops, (double) (now - start) / ops};
    }

    private static long backgroundCpu(Background background) {
        long sum = 0;
        if (background != null) {
            for (long id : background.threadIds()) {
                sum += Math.max(0, THREADS.getThreadCpuTime(id));
            }
        }
        return sum;
    }

    private static long backgroundAllocation(Background background) {
        long sum = 0;
        if (background != null) {
            for (long id : background.threadIds()) {
                sum += Math.max(0, THREADS.getThreadAllocatedBytes(id));
            }
        }
        return sum;
    }

    private static double quantile(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get((int) Math.round(q * (sorted.size() - 1)));
    }
}
