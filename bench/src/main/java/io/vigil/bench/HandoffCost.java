package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vigil.logback.VigilAsyncAppender;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link AsyncHandoffBenchmark}'s two hand-offs as a paired measurement (see {@link PairedRatio} for
 * why): both appenders run in one JVM, phases alternate between them (ABBA), and each phase reads the
 * thread CPU time of the logging thread and of that appender's background thread, per event. A =
 * {@code lingerMillis=0} (a wake-up per event, the behaviour before), B = the default 2 ms.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.HandoffCost [rounds=30] [phase-ms=200] [work-tokens=5000]
 * }</pre>
 */
public final class HandoffCost {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private HandoffCost() {}

    public static void main(String[] args) throws InterruptedException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long phaseNanos = (args.length > 1 ? Long.parseLong(args[1]) : 200) * 1_000_000L;
        int work = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        Logger logger = context.getLogger("vigil.http.access");
        VigilAsyncAppender a = appender(context, "linger0", 0);
        VigilAsyncAppender b = appender(context, "linger2", 2);
        long ta = workerId("vigil-log-linger0");
        long tb = workerId("vigil-log-linger2");
        for (int i = 0; i < 20; i++) {
            phase(a, logger, ta, phaseNanos, work);
            phase(b, logger, tb, phaseNanos, work);
        }
        List<Double> ratio = new ArrayList<>();
        double[] sa = new double[3];
        double[] sb = new double[3];
        for (int r = 0; r < rounds; r++) {
            double[] x;
            double[] y;
            if (r % 2 == 0) {
                x = phase(a, logger, ta, phaseNanos, work);
                y = phase(b, logger, tb, phaseNanos, work);
            } else {
                y = phase(b, logger, tb, phaseNanos, work);
                x = phase(a, logger, ta, phaseNanos, work);
            }
            ratio.add((y[0] + y[1]) / (x[0] + x[1]));
            for (int i = 0; i < 3; i++) {
                sa[i] += x[i];
                sb[i] += y[i];
            }
        }
        Collections.sort(ratio);
        System.out.printf(
                Locale.ROOT,
                "%d rounds of %d ms, %d tokens of work per event; thread CPU ns per event (means), logging thread +"
                        + " background thread:%n",
                rounds,
                phaseNanos / 1_000_000,
                work);
        System.out.printf(
                Locale.ROOT,
                "  linger 0 ms: %7.0f + %7.0f (wall %7.0f)%n",
                sa[0] / rounds,
                sa[1] / rounds,
                sa[2] / rounds);
        System.out.printf(
                Locale.ROOT,
                "  linger 2 ms: %7.0f + %7.0f (wall %7.0f)%n",
                sb[0] / rounds,
                sb[1] / rounds,
                sb[2] / rounds);
        System.out.printf(
                Locale.ROOT,
                "  total (2 ms ÷ 0 ms), median of rounds: %.3f (quartiles %.3f–%.3f); dropped %d / %d%n",
                ratio.get(rounds / 2),
                ratio.get(rounds / 4),
                ratio.get(3 * rounds / 4),
                a.droppedCount(),
                b.droppedCount());
        // The same work without any event, to subtract: the logging thread's CPU per event above includes it.
        long t0 = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < 20_000; i++) {
            Blackhole.consumeCPU(work);
        }
        System.out.printf(
                Locale.ROOT, "  the work alone: %.0f ns%n", (THREADS.getCurrentThreadCpuTime() - t0) / 20_000.0);
        a.stop();
        b.stop();
    }

    private static VigilAsyncAppender appender(LoggerContext context, String name, long linger) {
        VigilAsyncAppender a = new VigilAsyncAppender();
        a.setContext(context);
        a.setName(name);
        a.setMaxBlockMillis(0);
        a.setLingerMillis(linger);
        AppenderBase<ILoggingEvent> sink = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                Blackhole.consumeCPU(50);
            }
        };
        sink.setContext(context);
        sink.start();
        a.addAppender(sink);
        a.start();
        return a;
    }

    private static long workerId(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t.threadId();
            }
        }
        throw new IllegalStateException("no thread " + name);
    }

    /** {producer CPU, worker CPU, wall} per event. */
    private static double[] phase(VigilAsyncAppender appender, Logger logger, long worker, long nanos, int work) {
        long w0 = THREADS.getThreadCpuTime(worker);
        long c0 = THREADS.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long n = 0;
        while (System.nanoTime() - start < nanos) {
            Blackhole.consumeCPU(work);
            appender.doAppend(
                    new LoggingEvent(Logger.FQCN, logger, Level.INFO, "GET /api/v1/users/me 200", null, null));
            n++;
        }
        long wall = System.nanoTime() - start;
        long c1 = THREADS.getCurrentThreadCpuTime();
        long w1 = THREADS.getThreadCpuTime(worker);
        return new double[] {(c1 - c0) / (double) n, (w1 - w0) / (double) n, wall / (double) n};
    }
}
