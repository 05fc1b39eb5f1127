package io.vigil.bench;

import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.HttpServerAccessor;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.logback.VigilAsyncAppender;
import io.vigil.logback.VigilLogging;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.LoggerFactory;

/**
 * One access-log line, whole: a request through {@link HttpServerTelemetry} with its access log against the same
 * request without it, both sampled, with {@link VigilLogging} installed as a service installs it (trace-context
 * appender, stdout hand-off, {@code VigilJsonEncoder}, line batching) writing to a null stream. The difference of the
 * two is what the line costs from {@code writeAccessLog} to the bytes in the stream, on every thread: {@link
 * PairedRatio}'s {@code accessLog} suite adds the hand-off thread's CPU time and allocation to the caller's, and waits
 * at the end of each phase until the hand-off has delivered every line of it.
 *
 * <p>Each request is another one: a new request id, and its path, peer address and user agent new String instances
 * of the same text, as a server's request parser makes them (no identity cache can recognise them); a GET answered
 * 200 with 20 bytes.
 */
public final class AccessLogBenchmark {
    private Vigil vigil;
    private VigilLogging logging;
    private HttpServerTelemetry withLog;
    private HttpServerTelemetry withoutLog;
    private final Exchange exchange = new Exchange();
    private long logged;

    public void setUp() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        VigilConfig config = VigilConfig.builder()
                .serviceName("bench")
                .environment("bench")
                .lokiEnabled(false)
                .traceSampleRate(1.0)
                .build();
        logging = VigilLogging.builder(config)
                .loggerContext(context)
                .output(OutputStream.nullOutputStream())
                .install();
        vigil = Vigil.builder()
                .config(config)
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (t, cfg) -> t.addSpanProcessor(BatchSpanProcessor.builder(BenchSupport.discardingExporter())
                                .build())))
                .build();
        withLog = HttpServerTelemetry.builder(vigil).accessLog(true).build();
        withoutLog = HttpServerTelemetry.builder(vigil).accessLog(false).build();
    }

    public void tearDown() {
        logging.close();
        vigil.close();
    }

    /** A request whose access-log line goes through the installed chain. */
    public String withAccessLog() {
        logged++;
        return request(withLog);
    }

    /** The same request without the line: the yardstick, code the access log does not run. */
    public String withoutAccessLog() {
        return request(withoutLog);
    }

    private String request(HttpServerTelemetry http) {
        RequestContext r = http.start(exchange, exchange, exchange);
        // Ended while attached, as the adapters end a synchronous request: the line needs no attachment of its own.
        try (Scope ignored = r.attach()) {
            r.route("/api/v1/users/{id}");
            r.end();
        }
        return r.requestId();
    }

    /** The stdout hand-off, whose thread encodes and writes the lines. */
    VigilAsyncAppender handoff() {
        return logging.stdoutHandoff();
    }

    /** Waits (parked, not spinning) until the hand-off has delivered or dropped every line logged so far. */
    void awaitDelivered() {
        VigilAsyncAppender h = handoff();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (h.deliveredCount() + h.droppedCount() < logged) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the hand-off did not deliver the lines within 10 s");
            }
            LockSupport.parkNanos(200_000);
        }
    }

    /** A GET of {@code /api/v1/users/42} from a browser, answered 200 with 20 bytes. */
    static final class Exchange implements HttpServerAccessor<Exchange, Exchange> {
        private static final String USER_AGENT =
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

        @Override
        public String method(Exchange r) {
            return "GET";
        }

        @Override
        public String scheme(Exchange r) {
            return "http";
        }

        @Override
        public String path(Exchange r) {
            return new String("/api/v1/users/42");
        }

        @Override
        public String query(Exchange r) {
            return null;
        }

        @Override
        public List<String> requestHeader(Exchange r, String name) {
            return name.equals("User-Agent") ? List.of(new String(USER_AGENT)) : List.of();
        }

        @Override
        public String peerAddress(Exchange r) {
            return new String("127.0.0.1");
        }

        @Override
        public Integer peerPort(Exchange r) {
            return 50000;
        }

        @Override
        public String protocolVersion(Exchange r) {
            return "1.1";
        }

        @Override
        public long requestBodySize(Exchange r) {
            return -1;
        }

        @Override
        public int status(Exchange r) {
            return 200;
        }

        @Override
        public long responseBodySize(Exchange r) {
            return 20;
        }

        @Override
        public List<String> responseHeader(Exchange r, String name) {
            return List.of();
        }

        @Override
        public void setResponseHeader(Exchange r, String name, String value) {}
    }
}
