package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vigil.logback.VigilAsyncAppender;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One log event per "request" through {@link VigilAsyncAppender} (the stdout and OTLP hand-offs of a
 * service), with some request work between events so that the background thread goes idle between
 * them as it does in a service: {@code lingerMillis=0} wakes the background thread for every event
 * (the behaviour before), {@code 2} lets events gather (the default now); {@code none} is the request
 * work alone. Read with {@code -prof io.vigil.bench.CpuPerOpProfiler} (CPU of all threads per
 * request) and the score (time per request on the logging thread).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class AsyncHandoffBenchmark {
    /** {@code none}: no event; else the hand-off's linger in milliseconds. */
    @Param({"none", "0", "2"})
    public String linger;

    /** Request work between two events, in JMH's {@link Blackhole#consumeCPU} tokens. */
    @Param({"5000"})
    public int work;

    private VigilAsyncAppender appender;
    private Logger logger;

    @Setup(org.openjdk.jmh.annotations.Level.Trial)
    public void setUp() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        logger = context.getLogger("vigil.http.access");
        appender = new VigilAsyncAppender();
        appender.setContext(context);
        appender.setName("bench");
        appender.setMaxBlockMillis(0);
        if (!linger.equals("none")) {
            appender.setLingerMillis(Long.parseLong(linger));
        }
        AppenderBase<ILoggingEvent> sink = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                Blackhole.consumeCPU(50);
            }
        };
        sink.setContext(context);
        sink.start();
        appender.addAppender(sink);
        appender.start();
    }

    @TearDown(org.openjdk.jmh.annotations.Level.Trial)
    public void tearDown() {
        appender.stop();
        if (appender.droppedCount() > 0) {
            System.out.println("dropped " + appender.droppedCount());
        }
    }

    @Benchmark
    public void request() {
        Blackhole.consumeCPU(work);
        if (linger.charAt(0) != 'n') {
            appender.doAppend(
                    new LoggingEvent(Logger.FQCN, logger, Level.INFO, "GET /api/v1/users/me 200", null, null));
        }
    }
}
