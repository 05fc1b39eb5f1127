package io.vigil.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code Scrubber.defaults().scrubText} of two builds in one JVM — each jar (e.g. a copy of benchmarks.jar from the
 * previous commit, and this one) in a class loader of its own — alternating short phases on one thread (ABBA), so
 * both builds see the same machine; per text, the median and quartiles of the per-round ratio new ÷ base of the
 * thread's CPU time per call. As {@link PairedRatio} does for two variants of one build, and for the same reason:
 * JMH runs one build after the other, and on a shared machine that moves the ratio more than the change does.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.ScrubBuildPair BASE.jar NEW.jar [rounds] [phase-ms]
 * }</pre>
 */
public final class ScrubBuildPair {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static volatile Object sink;

    /** Ordinary values a service scrubs on every request and log line, then one that holds a credential. */
    static final String[] TEXTS = {
        "/api/v1/users/6f1c2a9e-8a47-4f7e-9d3b-2f0c5e8a1b7d",
        "POST /api/v1/auth/login completed in 42 ms",
        "page=2&page_size=20&sort=created_at",
        "q=mario+kart&page=2",
        "/api/v1/users/mario%40mushroom.example",
        "6f1c2a9e-8a47-4f7e-9d3b-2f0c5e8a1b7d",
        "GET /api/v1/users/{id} 200",
        "user_id=42 order_id=17 took 12 ms at 2026-11-30T11:00:00.123Z",
        "deploy with ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 failed",
    };

    private ScrubBuildPair() {}

    /** {@code Scrubber.defaults()::scrubText} of the build in {@code jar}, as a handle taking the text. */
    static MethodHandle scrubTextOf(String jar) throws Exception {
        ClassLoader loader =
                new URLClassLoader(new URL[] {Path.of(jar).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> scrubber = Class.forName("io.vigil.core.Scrubber", true, loader);
        Object defaults = scrubber.getMethod("defaults").invoke(null);
        return MethodHandles.publicLookup()
                .findVirtual(scrubber, "scrubText", MethodType.methodType(String.class, String.class))
                .bindTo(defaults);
    }

    // Two copies of the same loop, one per build: with one shared call site, the JIT's profile of the first build's
    // handle shaped the code both ran (a text came out 1.3 × in one JVM and 2.3 × in the next).
    static double baseCpuNanosPerCall(MethodHandle scrub, String text, long phaseNanos) throws Throwable {
        long cpu = THREADS.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long calls = 0;
        Object last = null;
        while (System.nanoTime() - start < phaseNanos) {
            for (int i = 0; i < 256; i++) {
                last = (String) scrub.invokeExact(text);
            }
            calls += 256;
        }
        sink = last;
        return (THREADS.getCurrentThreadCpuTime() - cpu) / (double) calls;
    }

    static double newCpuNanosPerCall(MethodHandle scrub, String text, long phaseNanos) throws Throwable {
        long cpu = THREADS.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long calls = 0;
        Object last = null;
        while (System.nanoTime() - start < phaseNanos) {
            for (int i = 0; i < 256; i++) {
                last = (String) scrub.invokeExact(text);
            }
            calls += 256;
        }
        sink = last;
        return (THREADS.getCurrentThreadCpuTime() - cpu) / (double) calls;
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: ScrubBuildPair BASE.jar NEW.jar [rounds] [phase-ms]");
            System.exit(2);
        }
        MethodHandle base = scrubTextOf(args[0]);
        MethodHandle candidate = scrubTextOf(args[1]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        long phase = (args.length > 3 ? Long.parseLong(args[3]) : 100) * 1_000_000L;
        System.out.printf("%-64s %9s %17s %12s %12s%n", "text", "new÷base", "(q1 – q3)", "base ns", "new ns");
        for (String text : TEXTS) {
            for (int w = 0; w < 10; w++) { // warm-up: both builds compiled before the first measured round
                baseCpuNanosPerCall(base, text, phase);
                newCpuNanosPerCall(candidate, text, phase);
            }
            double[] ratio = new double[rounds];
            double baseSum = 0;
            double newSum = 0;
            for (int r = 0; r < rounds; r++) {
                double a;
                double b;
                if (r % 2 == 0) {
                    a = baseCpuNanosPerCall(base, text, phase);
                    b = newCpuNanosPerCall(candidate, text, phase);
                } else {
                    b = newCpuNanosPerCall(candidate, text, phase);
                    a = baseCpuNanosPerCall(base, text, phase);
                }
                ratio[r] = b / a;
                baseSum += a;
                newSum += b;
            }
            Arrays.sort(ratio);
            System.out.printf(
                    Locale.ROOT,
                    "%-64s %9.3f   (%.3f – %.3f) %12.1f %12.1f%n",
                    text.length() > 62 ? text.substring(0, 62) + ".." : text,
                    ratio[rounds / 2],
                    ratio[rounds / 4],
                    ratio[3 * rounds / 4],
                    baseSum / rounds,
                    newSum / rounds);
        }
    }
}
