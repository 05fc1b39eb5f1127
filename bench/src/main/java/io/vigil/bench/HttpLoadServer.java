package io.vigil.bench;

import ch.qos.logback.classic.Level;
import io.javalin.Javalin;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.http.HttpServerTelemetry;
import io.vigil.http.RequestContext;
import io.vigil.http.javalin.VigilJavalinPlugin;
import io.vigil.logback.VigilJsonEncoder;
import io.vigil.logback.VigilLogging;
import java.util.concurrent.CountDownLatch;
import net.logstash.logback.encoder.LogstashEncoder;

/**
 * The server of the HTTP overhead load run (bench/README.md): one Javalin route, {@code GET
 * /api/v1/users/{id}}, served either plain or with {@link VigilJavalinPlugin}.
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.HttpLoadServer plain|sampled|unsampled|nolog|off|otlp|minimal PORT
 * }</pre>
 *
 * In the instrumented modes every request gets its span (sampled: recorded and handed to a batch
 * processor whose exporter discards; unsampled: TRACE_SAMPLE_RATE=0; otlp: recorded and exported, spans and log
 * records, over OTLP to {@code OTEL_EXPORTER_OTLP_ENDPOINT}, as a service with a collector runs), the contract's
 * HTTP metrics, correlation id and MDC, and one JSON access-log line. {@code nolog}: sampled without the access log;
 * {@code off}: the plugin on a runtime with ENABLE_OBSERVABILITY=false (correlation ids and MDC only). Every mode,
 * {@code plain} included, logs through what {@link VigilLogging#install(Vigil)} gives a service: the trace-context
 * appender, the bounded hand-off and the JSON encoder on stdout (the load script sends it to {@code /dev/null}).
 * Runs before 2026-11-30 wrote the access log through a synchronous encoder on the serving thread instead; {@code
 * ACCESS_LOG=sync} still does ({@code ACCESS_LOG_ENCODER=logstash} or a {@code -logstash} mode suffix: with
 * logstash-logback-encoder, as runs before 2026-11-29). The {@code agent} mode of the load script is {@code plain}
 * with the OpenTelemetry Java agent.
 *
 * <p>{@code minimal}: the floor of any HTTP instrumentation on the OpenTelemetry SDK, written by hand on the same SDK as
 * {@code sampled} (same sampler, batch processor and discarding exporter, same metric reader): a Javalin before and
 * after handler that extract the parent, start a server span with the semantic conventions' required and recommended
 * request attributes, make it current, and at the end name it by its route, set the status, end it and record the one
 * duration histogram the conventions define. No access line, MDC, correlation ids, scrubbing, bounded labels or the
 * contract's other metrics: what those cost is {@code sampled} minus this.
 */
public final class HttpLoadServer {
    private HttpLoadServer() {}

    public static void main(String[] args) throws InterruptedException {
        String requested = args.length > 0 ? args[0] : "sampled";
        // MODE-logstash: the access log through logstash-logback-encoder, as runs before 2026-11-29.
        boolean logstash = requested.endsWith("-logstash") || "logstash".equals(System.getenv("ACCESS_LOG_ENCODER"));
        String mode = requested.replace("-logstash", "");
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
        boolean sync = logstash || "sync".equals(System.getenv("ACCESS_LOG"));
        if (sync) {
            // The access log's encoder on the serving thread: Vigil's own, or logstash-logback-encoder as the earlier
            // runs used.
            VigilJsonEncoder vigilEncoder = new VigilJsonEncoder();
            vigilEncoder.setService("bench");
            vigilEncoder.setEnvironment("bench");
            BenchSupport.jsonLogsToNowhere(Level.WARN, logstash ? new LogstashEncoder() : vigilEncoder)
                    .getLogger(HttpServerTelemetry.ACCESS_LOGGER)
                    .setLevel(Level.INFO);
        }
        boolean otlp = mode.equals("otlp");
        // From the environment (OTEL_EXPORTER_OTLP_ENDPOINT for the otlp mode), as a service reads it.
        VigilConfig vigilConfig = VigilConfig.fromEnvironment().toBuilder()
                .serviceName("bench")
                .enabled(!mode.equals("off"))
                .traceSampleRate(mode.equals("unsampled") ? 0.0 : 1.0)
                .build();
        Vigil.Builder builder = Vigil.builder().config(vigilConfig).runtimeMetrics(false);
        if (!otlp) {
            builder.customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                    (t, cfg) -> t.addSpanProcessor(BatchSpanProcessor.builder(BenchSupport.discardingExporter())
                            .build())));
        }
        Vigil vigil = builder.build();
        VigilLogging logging = sync ? null : VigilLogging.install(vigil);
        HttpServerTelemetry http = HttpServerTelemetry.builder(vigil)
                .accessLog(!mode.equals("nolog") && !mode.equals("off"))
                .build();
        Javalin app = Javalin.create(config -> {
                    if (mode.equals("minimal")) {
                        MinimalServerSpans.install(config, vigil.openTelemetry());
                    } else if (!mode.equals("plain")) {
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
            if (logging != null) {
                logging.close();
            }
            stop.countDown();
        }));
        stop.await();
    }
}
