package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vigil.logback.VigilJsonEncoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.logstash.logback.encoder.LogstashEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.event.KeyValuePair;

/**
 * JSON encoding throughput of one request log event (message, six MDC entries incl. trace ids, four
 * typed key-value pairs): Vigil's encoder (which also scrubs every value and the message) against
 * logstash-logback-encoder's {@code LogstashEncoder} with its defaults, in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class LogEncodingBenchmark {
    private VigilJsonEncoder vigil;
    private LogstashEncoder logstash;
    private LoggingEvent event;
    private LoggingEvent error;

    @Setup
    public void setUp() {
        LoggerContext context = new LoggerContext();
        vigil = new VigilJsonEncoder();
        vigil.setService("identity-service");
        vigil.setEnvironment("production");
        vigil.setHostname("pod-1");
        vigil.setContext(context);
        vigil.start();
        logstash = new LogstashEncoder();
        logstash.setContext(context);
        logstash.start();

        logger = context.getLogger("io.example.identity.AuthService");
        event = event(logger, null);
        error = event(logger, new IllegalStateException("token store unavailable"));
    }

    private Logger logger;
    private long sequence;

    /**
     * A line of another request: the same fields, but every request-scoped value (request id,
     * path, client address, trace ids, the duration in the message) a new String instance, as when
     * each request logs once — no encoder cache can recognise them.
     */
    private LoggingEvent nextRequestEvent() {
        long n = ++sequence;
        LoggingEvent e = new LoggingEvent(
                Logger.FQCN, logger, Level.INFO, "POST /api/v1/auth/login completed in {} ms", null, new Object[] {
                    (int) (n % 97)
                });
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("request_id", "550e8400-e29b-41d4-a716-" + (446655440000L + n));
        mdc.put("method", "POST");
        mdc.put("path", new String("/api/v1/auth/login"));
        mdc.put("endpoint", "/api/v1/auth/login");
        mdc.put("ip_address", "10.1.2." + (n & 0xff));
        mdc.put("trace_id", "0af7651916cd43dd8448eb21" + Long.toHexString(0x10000000L + (n & 0xfffffff)));
        mdc.put("span_id", Long.toHexString(0xb7ad6b7100000000L + n));
        e.setMDCPropertyMap(mdc);
        e.addKeyValuePair(new KeyValuePair("event_type", "authentication"));
        e.addKeyValuePair(new KeyValuePair("status", "success"));
        e.addKeyValuePair(new KeyValuePair("status_code", 200));
        e.addKeyValuePair(new KeyValuePair("duration_seconds", 0.042));
        return e;
    }

    private static LoggingEvent event(Logger logger, Throwable t) {
        LoggingEvent e = new LoggingEvent(
                Logger.FQCN,
                logger,
                t == null ? Level.INFO : Level.ERROR,
                "POST /api/v1/auth/login completed in {} ms",
                t,
                new Object[] {42});
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("request_id", "550e8400-e29b-41d4-a716-446655440000");
        mdc.put("method", "POST");
        mdc.put("path", "/api/v1/auth/login");
        mdc.put("endpoint", "/api/v1/auth/login");
        mdc.put("ip_address", "10.1.2.3");
        mdc.put("trace_id", "0af7651916cd43dd8448eb211c80319c");
        mdc.put("span_id", "b7ad6b7169203331");
        e.setMDCPropertyMap(mdc);
        e.addKeyValuePair(new KeyValuePair("event_type", "authentication"));
        e.addKeyValuePair(new KeyValuePair("status", "success"));
        e.addKeyValuePair(new KeyValuePair("status_code", 200));
        e.addKeyValuePair(new KeyValuePair("duration_seconds", 0.042));
        e.prepareForDeferredProcessing();
        return e;
    }

    @Benchmark
    public byte[] vigilJson() {
        return vigil.encode(event);
    }

    @Benchmark
    public byte[] logstashJson() {
        return logstash.encode(event);
    }

    /** Each line another request's (see {@link #nextRequestEvent}); building the event is included. */
    @Benchmark
    public byte[] vigilJsonNewRequest() {
        return vigil.encode(nextRequestEvent());
    }

    @Benchmark
    public byte[] logstashJsonNewRequest() {
        return logstash.encode(nextRequestEvent());
    }

    @Benchmark
    public byte[] vigilJsonWithException() {
        return vigil.encode(error);
    }

    @Benchmark
    public byte[] logstashJsonWithException() {
        return logstash.encode(error);
    }
}
