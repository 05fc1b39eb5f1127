package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import io.vigil.logback.VigilAsyncAppender;
import io.vigil.logback.VigilJsonEncoder;
import io.vigil.logback.internal.LineBatchingOutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.infra.Blackhole;
import org.slf4j.event.KeyValuePair;

/**
 * {@link AsyncHandoffBenchmark}'s two hand-offs as a paired measurement (see {@link PairedRatio} for
 * why): both appenders run in one JVM, phases alternate between them (ABBA), and each phase reads the
 * thread CPU time of the logging thread and of that appender's background thread, per event. A =
 * {@code lingerMillis=0} (a wake-up per event, the behaviour before), B = the default 2 ms; other lingers
 * with {@code linger-a}/{@code linger-b}.
 *
 * <p>{@code sink=null} (default): the appenders behind the hand-off do almost nothing, so the figure is the
 * hand-off's own. {@code sink=file}: each hand-off writes what a service's stdout gets — a JSON access-log line
 * (Vigil's encoder) through the stdout writer {@code VigilLogging} installs ({@code OutputStreamAppender}
 * without per-line flush, {@code LineBatchingOutputStream}, flushed after each batch) into a file, so the
 * per-batch system calls are counted as a service pays them.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.HandoffCost [rounds=30] [phase-ms=200] [work-tokens=5000] \
 *     [linger-a=0] [linger-b=2] [sink=null|file]
 * }</pre>
 */
public final class HandoffCost {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private HandoffCost() {}

    public static void main(String[] args) throws InterruptedException, java.io.IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long phaseNanos = (args.length > 1 ? Long.parseLong(args[1]) : 200) * 1_000_000L;
        int work = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
        long lingerA = args.length > 3 ? Long.parseLong(args[3]) : 0;
        long lingerB = args.length > 4 ? Long.parseLong(args[4]) : 2;
        boolean file = args.length > 5 && args[5].equals("file");
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        Logger logger = context.getLogger("vigil.http.access");
        VigilAsyncAppender a = appender(context, "a", lingerA, file);
        VigilAsyncAppender b = appender(context, "b", lingerB, file);
        long ta = workerId("vigil-log-a");
        long tb = workerId("vigil-log-b");
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
                "%d rounds of %d ms, %d tokens of work per event, sink %s; thread CPU ns per event (means), logging"
                        + " thread + background thread:%n",
                rounds,
                phaseNanos / 1_000_000,
                work,
                file ? "file (JSON line, stdout writer)" : "null");
        System.out.printf(
                Locale.ROOT,
                "  linger %d ms: %7.0f + %7.0f (wall %7.0f)%n",
                lingerA,
                sa[0] / rounds,
                sa[1] / rounds,
                sa[2] / rounds);
        System.out.printf(
                Locale.ROOT,
                "  linger %d ms: %7.0f + %7.0f (wall %7.0f)%n",
                lingerB,
                sb[0] / rounds,
                sb[1] / rounds,
                sb[2] / rounds);
        System.out.printf(
                Locale.ROOT,
                "  total (%d ms ÷ %d ms), median of rounds: %.3f (quartiles %.3f–%.3f); dropped %d / %d%n",
                lingerB,
                lingerA,
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

    private static VigilAsyncAppender appender(LoggerContext context, String name, long linger, boolean file)
            throws java.io.IOException {
        VigilAsyncAppender a = new VigilAsyncAppender();
        a.setContext(context);
        a.setName(name);
        a.setMaxBlockMillis(0);
        a.setLingerMillis(linger);
        if (file) {
            java.nio.file.Path path = java.nio.file.Files.createTempFile("handoff-" + name, ".log");
            path.toFile().deleteOnExit();
            VigilJsonEncoder encoder = new VigilJsonEncoder();
            encoder.setService("bench");
            encoder.setEnvironment("bench");
            encoder.setContext(context);
            encoder.start();
            OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
            out.setOutputStream(LineBatchingOutputStream.of(new java.io.FileOutputStream(path.toFile())));
            out.setImmediateFlush(false);
            out.setEncoder(encoder);
            out.setContext(context);
            out.start();
            a.addAppender(out);
        } else {
            AppenderBase<ILoggingEvent> sink = new AppenderBase<>() {
                @Override
                protected void append(ILoggingEvent e) {
                    Blackhole.consumeCPU(50);
                }
            };
            sink.setContext(context);
            sink.start();
            a.addAppender(sink);
        }
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
            LoggingEvent event =
                    new LoggingEvent(Logger.FQCN, logger, Level.INFO, "GET /api/v1/users/me 200", null, null);
            // An access-log line's fields (≈ 450 bytes of JSON with the encoder's own).
            event.addKeyValuePair(new KeyValuePair("event_type", "http_request"));
            event.addKeyValuePair(new KeyValuePair("status_code", 200));
            event.addKeyValuePair(new KeyValuePair("duration_seconds", (n % 1000) / 1e6));
            event.addKeyValuePair(new KeyValuePair("request_id", "6f1c2a8e-1d4b-4c7a-9e3f-" + (100_000_000_000L + n)));
            event.addKeyValuePair(new KeyValuePair("method", "GET"));
            event.addKeyValuePair(new KeyValuePair("path", "/api/v1/users/me"));
            event.addKeyValuePair(new KeyValuePair("endpoint", "/api/v1/users/me"));
            event.addKeyValuePair(new KeyValuePair("ip_address", "127.0.0.1"));
            event.addKeyValuePair(new KeyValuePair("response_size_bytes", 212));
            appender.doAppend(event);
            n++;
        }
        long wall = System.nanoTime() - start;
        long c1 = THREADS.getCurrentThreadCpuTime();
        long w1 = THREADS.getThreadCpuTime(worker);
        return new double[] {(c1 - c0) / (double) n, (w1 - w0) / (double) n, wall / (double) n};
    }
}
