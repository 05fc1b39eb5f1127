package io.vigil.bench;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.console.ConsoleStats;
import io.vigil.console.VigilConsole;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One identity-service request's six spans into an embedded console sampling above its trace rate (issue 17), by where
 * the console's sampling runs: {@code exporter} — behind the SDK's batch span processor, in the console's span exporter
 * (before): every span is queued, copied into span data and batched on the processor's worker, then mostly dropped;
 * {@code ahead} — in front of the batch processor ({@code VigilConsole.filterSpans}, now): a span of a refused trace
 * stops as it ends. {@code off} is the six spans with no processor at all, so {@code mode − off} is the span path's own
 * cost.
 *
 * <p>The three pipelines are measured in alternating rounds in one JVM (off, exporter, ahead, then the reverse order),
 * so that all three see the same load on the shared machine (JMH would run them one after the other): per request, the
 * process's CPU time (every thread: the batch processor's worker, the console's ingest thread and the collector
 * included, from the first span until the console has stored the round), the request thread's own CPU time, and the
 * bytes every thread allocated. Each pipeline has its own console, warmed until it samples. The batch processor's
 * queue holds a whole round, so nothing is dropped there (a drop would make a pipeline look cheaper); each round prints
 * the spans the console neither stored, evicted nor counted as skipped (expected 0).
 *
 * <p>The share of refused traces does not depend on how fast the loop runs: trace ids are generated so that one trace in
 * {@code keptEvery} has the lowest possible id bits (kept whatever the console's fraction) and the others the highest
 * (refused as soon as the console samples at all) — 99 % refused by default, as in identity-service at 2,600 req/s with
 * the default 20 traces a second.
 *
 * <pre>java -Xms2g -Xmx2g -cp bench/target/benchmarks.jar io.vigil.bench.ConsoleSpanFilterCost [rounds=12]
 * [requests=200000] [keptEvery=100]</pre>
 */
public final class ConsoleSpanFilterCost {
    private static final Resource RESOURCE = Resource.getDefault()
            .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "identity-service")));
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static final int SPANS_PER_REQUEST = 6;

    private ConsoleSpanFilterCost() {}

    /** One pipeline: its console, and a tracer provider feeding it (or nothing, for {@code off}). */
    private static final class Pipeline {
        final String mode;
        final VigilConsole console;
        final SdkTracerProvider tracerProvider;
        final Tracer tracer;
        long requests;
        long accounted; // skipped + stored + evicted, at the end of the last round

        Pipeline(String mode, int queue, int keptEvery) {
            this.mode = mode;
            console = VigilConsole.builder()
                    .httpPort(0)
                    .grpcPort(-1)
                    .maxBytes(VigilConsole.DEFAULT_EMBEDDED_MAX_BYTES)
                    .tracesPerSecond(VigilConsole.DEFAULT_EMBEDDED_TRACES_PER_SECOND)
                    .start();
            SdkTracerProviderBuilder builder =
                    SdkTracerProvider.builder().setResource(RESOURCE).setIdGenerator(new KeptEvery(keptEvery));
            if (!mode.equals("off")) {
                SpanProcessor batch = BatchSpanProcessor.builder(console.spanExporter())
                        .setMaxQueueSize(queue)
                        .build();
                builder.addSpanProcessor(mode.equals("ahead") ? console.filterSpans(batch) : batch);
            }
            tracerProvider = builder.build();
            tracer = tracerProvider.get("io.vigil.http");
        }

        void run(int n) {
            for (int i = 0; i < n; i++) {
                request(tracer, requests++);
            }
            tracerProvider.forceFlush().join(60, TimeUnit.SECONDS);
            console.flush(Duration.ofSeconds(60));
        }

        /** Spans ended since the last call that the console neither stored, evicted nor counted as skipped. */
        long unaccounted(int n) {
            if (mode.equals("off")) {
                return 0;
            }
            ConsoleStats s = console.stats();
            long now = s.skippedSpans() + s.spans() + s.evicted();
            long lost = (long) n * SPANS_PER_REQUEST - (now - accounted);
            accounted = now;
            return lost;
        }
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int keptEvery = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        List<Pipeline> pipelines = new ArrayList<>();
        for (String mode : List.of("off", "exporter", "ahead")) {
            pipelines.add(new Pipeline(mode, requests * SPANS_PER_REQUEST, keptEvery));
        }
        // Warm-up: the JIT (10 s: the machine is shared), and each console past its first second (it keeps everything
        // until then).
        long warmUntil = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < warmUntil
                || pipelines.stream().skip(1).anyMatch(p -> p.console.stats().keptTraceFraction() >= 1.0)) {
            for (Pipeline p : pipelines) {
                p.run(requests / 10);
            }
        }
        for (Pipeline p : pipelines) {
            p.unaccounted(0); // from here on, counted per round
        }
        double[][] cpu = new double[3][rounds];
        double[][] thread = new double[3][rounds];
        double[][] bytes = new double[3][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 3; k++) {
                int m = r % 2 == 0 ? k : 2 - k; // off, exporter, ahead; then the reverse
                Pipeline p = pipelines.get(m);
                long cpu0 = OS.getProcessCpuTime();
                long thread0 = THREADS.getCurrentThreadCpuTime();
                long bytes0 = THREADS.getTotalThreadAllocatedBytes();
                p.run(requests);
                cpu[m][r] = (OS.getProcessCpuTime() - cpu0) / (double) requests;
                thread[m][r] = (THREADS.getCurrentThreadCpuTime() - thread0) / (double) requests;
                bytes[m][r] = (THREADS.getTotalThreadAllocatedBytes() - bytes0) / (double) requests;
                long lost = p.unaccounted(requests);
                System.out.printf(
                        Locale.ROOT,
                        "round %2d %-8s %7.0f ns CPU/request (request thread %6.0f), %6.0f B/request, kept fraction"
                                + " %.5f, unaccounted spans %d%n",
                        r + 1,
                        p.mode,
                        cpu[m][r],
                        thread[m][r],
                        bytes[m][r],
                        p.console.stats().keptTraceFraction(),
                        lost);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nmedians of %d rounds of %,d requests (6 spans each, 1 trace in %d kept), load average %.1f%n",
                rounds,
                requests,
                keptEvery,
                OS.getSystemLoadAverage());
        System.out.println("| pipeline | CPU ns/request | span path ns/request (− off) | request thread ns/request |"
                + " B/request | span path B/span (− off) |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        double cpuOff = median(cpu[0]);
        double bytesOff = median(bytes[0]);
        for (int m = 0; m < 3; m++) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %.0f | %.0f | %.0f | %.0f | %.0f |%n",
                    pipelines.get(m).mode,
                    median(cpu[m]),
                    median(cpu[m]) - cpuOff,
                    median(thread[m]),
                    median(bytes[m]),
                    (median(bytes[m]) - bytesOff) / SPANS_PER_REQUEST);
        }
        printRatio("span path CPU (process), ahead / exporter", cpu);
        printRatio("span path CPU (request thread), ahead / exporter", thread);
        for (Pipeline p : pipelines) {
            p.tracerProvider.shutdown().join(10, TimeUnit.SECONDS);
            p.console.close();
        }
    }

    /** The per-round ratio (ahead − off) / (exporter − off): each round's three phases saw the same load. */
    private static void printRatio(String what, double[][] perMode) {
        int rounds = perMode[0].length;
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ratio[r] = (perMode[2][r] - perMode[0][r]) / (perMode[1][r] - perMode[0][r]);
        }
        Arrays.sort(ratio);
        System.out.printf(
                Locale.ROOT,
                "%s, per round: median %.2f (quartiles %.2f–%.2f)%n",
                what,
                median(ratio),
                ratio[rounds / 4],
                ratio[(3 * rounds) / 4]);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** identity-service's {@code GET /api/v1/users/me} with a session check: server, operation, four client spans. */
    static void request(Tracer tracer, long i) {
        Span server = tracer.spanBuilder("GET /api/v1/users/me")
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", "GET")
                .setAttribute("http.route", "/api/v1/users/me")
                .setAttribute("url.path", "/api/v1/users/me")
                .setAttribute("url.scheme", "http")
                .setAttribute("server.address", "127.0.0.1")
                .setAttribute("network.protocol.version", "1.1")
                .setAttribute("http.response.status_code", 200L)
                .setAttribute("request.id", "req-" + i)
                .startSpan();
        Context ctx = Context.root().with(server);
        Span op = tracer.spanBuilder("user.get.me")
                .setParent(ctx)
                .setAttribute("operation.kind", "user")
                .setAttribute("user.id", "93831872-862a-4960-8c3a-07cf29ee1543")
                .setAttribute("outcome", "success")
                .startSpan();
        Context opCtx = ctx.with(op);
        client(tracer, opCtx, "SELECT identity.sessions", "sessions");
        client(tracer, opCtx, "SELECT identity.users", "users");
        client(tracer, opCtx, "SELECT identity.roles", "roles");
        client(tracer, opCtx, "UPDATE identity.sessions", "sessions");
        op.end();
        server.end();
    }

    private static void client(Tracer tracer, Context parent, String name, String table) {
        tracer.spanBuilder(name)
                .setParent(parent)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute("db.system.name", "postgresql")
                .setAttribute("db.operation.name", name.substring(0, name.indexOf(' ')))
                .setAttribute("db.collection.name", table)
                .setAttribute("db.query.text", "select * from " + table + " where id = ?")
                .startSpan()
                .end();
    }

    /**
     * Random ids, except the trace id's low 64 bits: 1 for one trace in {@code keptEvery} (always below the console's
     * threshold), all ones for the others (above it whenever the console samples).
     */
    static final class KeptEvery implements IdGenerator {
        private final int keptEvery;
        private long traces;

        KeptEvery(int keptEvery) {
            this.keptEvery = keptEvery;
        }

        @Override
        public String generateSpanId() {
            return SpanId.fromLong(ThreadLocalRandom.current().nextLong() | 1);
        }

        @Override
        public String generateTraceId() {
            long low = traces++ % keptEvery == 0 ? 1L : -1L;
            return TraceId.fromLongs(ThreadLocalRandom.current().nextLong() | 1, low);
        }
    }
}
