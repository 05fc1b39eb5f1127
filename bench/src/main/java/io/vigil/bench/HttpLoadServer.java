package io.vigil.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.javalin.Javalin;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.javalin.VigilJavalinPlugin;
import java.io.OutputStream;
import java.util.Collection;
import java.util.concurrent.CountDownLatch;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * The server of the HTTP overhead load run (bench/README.md): one Javalin route, {@code GET
 * /api/v1/users/{id}}, served either plain or with {@link VigilJavalinPlugin}.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.HttpLoadServer plain|sampled|unsampled|nolog|off PORT
 * }</pre>
 *
 * In the instrumented modes every request gets its span (sampled: recorded and handed to a batch
 * processor whose exporter discards; unsampled: TRACE_SAMPLE_RATE=0), the contract's HTTP metrics,
 * correlation id and MDC, and one JSON access-log line written through logstash-logback-encoder to
 * a null stream — the full per-request cost except the network hop to a collector. {@code nolog}:
 * sampled without the access log; {@code off}: the plugin on a runtime with ENABLE_OBSERVABILITY=false
 * (correlation ids and MDC only).
 */
public final class HttpLoadServer {
    private HttpLoadServer() {}

    public static void main(String[] args) throws InterruptedException {
        String mode = args.length > 0 ? args[0] : "sampled";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
        installJsonLogging();
        Vigil vigil = Vigil.builder()
                .config(VigilConfig.builder()
                        .enabled(!mode.equals("off"))
                        .traceSampleRate(mode.equals("unsampled") ? 0.0 : 1.0)
                        .build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer((t, cfg) -> t.addSpanProcessor(
                        BatchSpanProcessor.builder(new DiscardingExporter()).build())))
                .build();
        HttpServerTelemetry http = HttpServerTelemetry.builder(vigil)
                .accessLog(!mode.equals("nolog") && !mode.equals("off"))
                .build();
        Javalin app = Javalin.create(config -> {
                    if (!mode.equals("plain")) {
                        config.registerPlugin(new VigilJavalinPlugin(http));
                    }
                    config.routes.get("/api/v1/users/{id}", ctx -> {
                        RequestContext.current().ifPresent(r -> r.userId("u-" + ctx.pathParam("id")));
                        ctx.contentType("application/json").result("{\"id\":\"" + ctx.pathParam("id") + "\"}");
                    });
                })
                .start("127.0.0.1", port);
        System.out.println("serving " + mode + " on " + app.port());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            vigil.close();
            stop.countDown();
        }));
        stop.await();
    }

    private static void installJsonLogging() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(OutputStream.nullOutputStream());
        appender.setImmediateFlush(false);
        appender.start();
        root.addAppender(appender);
        root.setLevel(Level.WARN);
        context.getLogger(HttpServerTelemetry.ACCESS_LOGGER).setLevel(Level.INFO);
    }

    private static final class DiscardingExporter implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
