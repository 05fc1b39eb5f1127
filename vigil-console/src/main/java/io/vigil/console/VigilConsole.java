package io.vigil.console;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.DefaultAggregationSelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vigil.console.internal.ConsoleCpu;
import io.vigil.console.internal.DirectExporters;
import io.vigil.console.internal.GrpcReceiver;
import io.vigil.console.internal.HttpApi;
import io.vigil.console.internal.Ingest;
import io.vigil.console.internal.Queries;
import io.vigil.console.internal.QuietServerLogs;
import io.vigil.console.internal.Signal;
import io.vigil.console.internal.Store;
import io.vigil.console.internal.TraceRetention;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vigil console: a local OTLP viewer. It receives traces, logs and metrics over OTLP/HTTP (protobuf and JSON) and
 * OTLP/gRPC, keeps them in memory within a byte bound (oldest first out), optionally persists them to a data
 * directory, and serves a JSON query API under {@code /api/} and a web UI on its HTTP port.
 *
 * <pre>{@code
 * try (VigilConsole console = VigilConsole.builder().httpPort(0).grpcPort(0).start()) {
 *     System.out.println(console.uiUrl());
 * }
 * }</pre>
 */
public final class VigilConsole implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VigilConsole.class);

    /** The standalone console's byte bound ({@code --max-bytes}' default): 256 MiB of its own heap. */
    public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;

    /**
     * The bound for a console embedded in a service: 64 MiB, and at most an eighth of the heap ({@link
     * Builder#maxBytes}' default). Its records live in the service's heap, where the collector copies and marks them on
     * every cycle; a quarter of the standalone bound still holds minutes of a developer's traffic (bench/README, issue
     * 17).
     */
    public static final long DEFAULT_EMBEDDED_MAX_BYTES = 64L * 1024 * 1024;

    /**
     * The suggested trace rate for a console embedded in a service: 20 traces a second kept, a consistent fraction by
     * trace id above that (errors and WARN logs always). Every kept record lives in the service's heap until evicted,
     * copied by every young collection until it is promoted: keeping all of a loaded service's traces cost it 10 % of
     * its throughput and doubled its p99 in collector pauses, and at 100 a second the young pauses were still about
     * twice console-off's, while the byte bound held 1.5 minutes (bench/README, issue 17). Twenty traces a second is
     * more than anyone reads, keeps several minutes in view, and brings the pauses back near console-off's.
     */
    public static final int DEFAULT_EMBEDDED_TRACES_PER_SECOND = 20;

    /**
     * How long an HTTP request may send nothing of its body before it is answered 408 ({@link
     * Builder#bodyIdleTimeout}): an OTLP exporter sends its batch at once, so ten seconds without a byte is a client
     * that stalled, not one that is slow.
     */
    public static final Duration DEFAULT_BODY_IDLE_TIMEOUT = Duration.ofSeconds(10);

    private final Settings settings;
    private final String token;
    private final Store store;
    private final Ingest ingest;
    private final GrpcReceiver grpc;
    private final HttpApi http;
    private final DirectExporters direct;
    private final ConsoleCpu cpu = new ConsoleCpu();
    private final List<AutoCloseable> instruments = new ArrayList<>();

    private record Settings(
            String host,
            int httpPort,
            int grpcPort,
            long maxBytes,
            int tracesPerSecond,
            Path dataDir,
            String token,
            boolean auth,
            Duration bodyIdleTimeout,
            boolean fallBackToFreePort) {}

    /** Binds a listener to a port; {@link PortInUseException} when the port is taken. */
    private interface Listener<T> {
        T bind(int port) throws IOException;
    }

    private VigilConsole(Settings s) throws IOException {
        this.settings = s;
        this.token = s.auth() ? (s.token() != null ? s.token() : randomToken()) : null;
        this.store = new Store(s.maxBytes());
        // The hand-over queue holds at most a sixteenth of the store (at least 4 MiB), counted as the requests take
        // decoded (receivers reserve it before decoding): a burst is absorbed, a flood is refused with a retryable
        // status instead of piling up in the heap.
        this.ingest = new Ingest(
                store::ingest, store::ingest, s.dataDir(), s.maxBytes(), Math.max(4L * 1024 * 1024, s.maxBytes() / 16));
        GrpcReceiver g = null;
        HttpApi h = null;
        try {
            g = s.grpcPort() < 0
                    ? null
                    : bind(s, true, s.grpcPort(), port -> new GrpcReceiver(s.host(), port, ingest), GrpcReceiver::port);
            Queries queries = new Queries(store);
            h = bind(
                    s,
                    false,
                    s.httpPort(),
                    // Javalin's and Jetty's start lines would read as the embedding service's own server's.
                    port -> QuietServerLogs.quietly(() ->
                            new HttpApi(s.host(), port, ingest, queries, token, this::statsMap, s.bodyIdleTimeout())),
                    HttpApi::port);
        } catch (IOException | RuntimeException e) {
            if (g != null) {
                g.close();
            }
            ingest.close();
            throw e;
        }
        this.grpc = g;
        this.http = h;
        this.direct = new DirectExporters(ingest, new TraceRetention(s.tracesPerSecond(), System::nanoTime));
    }

    /**
     * {@code listener} on {@code port}, or, when that port is taken and the settings allow it, on a free one, said in
     * one WARN line: an embedded console must not stop its service from starting because a port is taken (by a second
     * instance of the service, say), and the console's URL says where it is.
     */
    private static <T> T bind(
            Settings s, boolean grpc, int port, Listener<T> listener, java.util.function.ToIntFunction<T> bound)
            throws IOException {
        try {
            return listener.bind(port);
        } catch (PortInUseException e) {
            if (!s.fallBackToFreePort() || port == 0) {
                throw e;
            }
            T fallback = listener.bind(0);
            log.warn(
                    "Vigil console: {} port {} on {} is in use by another process; listening on port {} instead",
                    grpc ? "OTLP/gRPC" : "HTTP",
                    port,
                    s.host(),
                    bound.applyAsInt(fallback));
            return fallback;
        }
    }

    private static String randomToken() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * A builder with the defaults: loopback, HTTP 4318 and gRPC 4317 (a free port when taken), {@link
     * #DEFAULT_EMBEDDED_MAX_BYTES} but at most an eighth of this JVM's heap, no persistence, a random token.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** The HTTP port (OTLP/HTTP, query API and UI) actually bound. */
    public int httpPort() {
        return http.port();
    }

    /** The OTLP/gRPC port actually bound, or -1 when gRPC is disabled. */
    public int grpcPort() {
        return grpc == null ? -1 : grpc.port();
    }

    /** The token the UI and API require, or null when authentication is disabled. */
    public String token() {
        return token;
    }

    /** The base URL of the HTTP port, e.g. {@code http://127.0.0.1:4318}; OTLP/HTTP exporters append /v1/…. */
    public String httpEndpoint() {
        return "http://" + hostForUrl() + ":" + httpPort();
    }

    /** The OTLP/gRPC endpoint, e.g. {@code http://127.0.0.1:4317}, or null when gRPC is disabled. */
    public String grpcEndpoint() {
        return grpc == null ? null : "http://" + hostForUrl() + ":" + grpcPort();
    }

    /**
     * The standard OpenTelemetry variables that point an SDK at this console, and only those: {@code
     * OTEL_EXPORTER_OTLP_ENDPOINT} and {@code _PROTOCOL}, gRPC when it is on, else OTLP/HTTP protobuf. To configure a
     * {@code Vigil} runtime, use {@link #otlpEnvironment(Map)}: these two variables alone, read as a whole
     * environment, leave every other setting (the service name, the sampling rate, the metric interval) at its
     * default.
     */
    public Map<String, String> otlpEnvironment() {
        return grpc != null
                ? Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", grpcEndpoint(), "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
                : Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", httpEndpoint(), "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    }

    /**
     * {@code base} (normally {@code System.getenv()}) with this console's OTLP settings laid over it: what to read a
     * service's telemetry configuration from ({@code VigilConfig.fromEnvironment(console.otlpEnvironment(
     * System.getenv()))}), so that {@code SERVICE_NAME}, {@code DEPLOYMENT_ENVIRONMENT}, {@code TRACE_SAMPLE_RATE},
     * {@code METRICS_COLLECTION_INTERVAL} and every other variable keep their meaning while the data goes to the
     * console. {@link #otlpEnvironment()}'s two variables replace the base's; the per-signal endpoints and protocols
     * ({@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, …) and {@code TEMPO_ENDPOINT} are left out, so that no signal goes
     * elsewhere and only the console is configured. {@code base} is not changed.
     */
    public Map<String, String> otlpEnvironment(Map<String, String> base) {
        Map<String, String> env = new LinkedHashMap<>(Objects.requireNonNull(base, "base"));
        env.remove("TEMPO_ENDPOINT");
        for (String signal : new String[] {"TRACES", "METRICS", "LOGS"}) {
            env.remove("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT");
            env.remove("OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL");
        }
        env.putAll(otlpEnvironment());
        return Map.copyOf(env);
    }

    /**
     * A span exporter that hands spans to this console in-process: no OTLP encoding, no loopback HTTP. Its
     * {@code export} only enqueues (a full queue drops the batch, counted), so put it behind a batch span processor as
     * you would an OTLP exporter. What the console shows is the same as for the spans sent over OTLP.
     */
    public SpanExporter spanExporter() {
        return direct.spans();
    }

    /**
     * {@code processor} with this console's trace sampling ({@link Builder#tracesPerSecond}) ahead of it, when it is a
     * {@link BatchSpanProcessor} exporting to one of this console's {@link #spanExporter() span exporters}: a span of a
     * trace the console will not keep is refused as it ends, before the batch processor queues, copies and batches it
     * only for the exporter to drop it — above the rate, that is nearly every span of a loaded service. The decisions
     * and the counts ({@link ConsoleStats#skippedSpans()}) are the exporter's own, which then leaves them to the filter.
     * Any other processor (one whose exporter also feeds other exporters included) is returned as it is, as is every
     * processor when the console keeps all traces. Give that exporter to that one batch processor only: behind the
     * filter it no longer samples. An embedding process passes it as {@code Vigil.Builder.exportInProcess(…,
     * console::filterSpans)}, or to the SDK autoconfigure's {@code addSpanProcessorCustomizer}.
     */
    public SpanProcessor filterSpans(SpanProcessor processor) {
        return direct.filterAhead(processor);
    }

    /** A log record exporter into this console in-process; see {@link #spanExporter()}. */
    public LogRecordExporter logRecordExporter() {
        return direct.logs();
    }

    /**
     * Whether this console keeps the routine (below WARN) log records of the trace with a given id (32 hex digits),
     * as decided by its trace sampling ({@code Builder.tracesPerSecond}) at the moment of asking; refusals are counted
     * as skipped log records. An embedding process puts it ahead of its log pipeline (vigil-logback's {@code
     * VigilLogging.Builder.otlpTraceFilter}) so that records the console would drop are never built: without it, the
     * service maps, scrubs and batches every log event only for the console to discard most of them under load.
     */
    public Predicate<String> logRetention() {
        TraceRetention retention = direct.retention();
        return retention::keepsTraceLog;
    }

    /** A metric exporter into this console in-process, cumulative with the SDK's default aggregations. */
    public MetricExporter metricExporter() {
        return metricExporter(
                AggregationTemporalitySelector.alwaysCumulative(), DefaultAggregationSelector.getDefault());
    }

    /**
     * A metric exporter into this console in-process with the given temporality and default aggregation (those of the
     * OTLP exporter it replaces, so the console sees what that one would have sent).
     */
    public MetricExporter metricExporter(
            AggregationTemporalitySelector temporality, DefaultAggregationSelector aggregation) {
        return direct.metrics(temporality, aggregation);
    }

    /**
     * Parses a byte count as {@code --max-bytes} takes it: a plain number, or one with a {@code k}/{@code m}/{@code g}
     * suffix (powers of 1024; {@code 64m}, {@code 64MiB}).
     *
     * @throws IllegalArgumentException when {@code s} is not such a count
     */
    public static long parseBytes(String s) {
        return VigilConsoleMain.parseBytes(s);
    }

    /** CPU time the console's own threads (ingest, HTTP) have used so far: its cost to a host that embeds it. */
    public Duration cpuTime() {
        return Duration.ofNanos(cpu.nanos());
    }

    /**
     * Reports the console's own cost on {@code openTelemetry}'s meter {@code io.vigil.console}: {@code
     * vigil_console_cpu_seconds_total} (seconds of its threads' CPU time), {@code vigil_console_ingested_total} and
     * {@code vigil_console_dropped_total} (items handed over by the in-process exporters, or dropped because the
     * ingest queue was full, by {@code signal}), {@code vigil_console_skipped_total} (spans and log records the
     * in-process exporters, or the filters ahead of them, did not keep above the trace rate, by {@code signal}) and
     * {@code vigil_console_stored_bytes} (bytes held).
     * Stopped by {@link #close()}.
     */
    public void registerMetrics(OpenTelemetry openTelemetry) {
        Meter meter = openTelemetry.getMeter("io.vigil.console");
        AttributeKey<String> signalKey = AttributeKey.stringKey("signal");
        Map<Signal, Attributes> bySignal = new LinkedHashMap<>();
        for (Signal s : Signal.values()) {
            bySignal.put(s, Attributes.of(signalKey, s.name().toLowerCase(Locale.ROOT)));
        }
        synchronized (instruments) {
            instruments.add(meter.counterBuilder("vigil_console_cpu_seconds_total")
                    .ofDoubles()
                    .setUnit("s")
                    .setDescription("CPU time used by the telemetry console's own threads (ingest, HTTP)")
                    .buildWithCallback(m -> m.record(cpu.nanos() / 1e9)));
            instruments.add(meter.counterBuilder("vigil_console_ingested_total")
                    .setDescription("Spans, log records and metric points handed to the console in-process")
                    .buildWithCallback(m -> bySignal.forEach((s, a) -> m.record(direct.accepted(s), a))));
            instruments.add(meter.counterBuilder("vigil_console_dropped_total")
                    .setDescription(
                            "Spans, log records and metric points the console refused: its ingest queue was full")
                    .buildWithCallback(m -> bySignal.forEach((s, a) -> m.record(direct.dropped(s), a))));
            TraceRetention retention = direct.retention();
            instruments.add(meter.counterBuilder("vigil_console_skipped_total")
                    .setDescription("Spans and log records the console did not keep: above its trace rate, sampled by"
                            + " trace id")
                    .buildWithCallback(m -> {
                        m.record(retention.skippedSpans(), bySignal.get(Signal.TRACES));
                        m.record(retention.skippedLogs(), bySignal.get(Signal.LOGS));
                    }));
            instruments.add(meter.upDownCounterBuilder("vigil_console_stored_bytes")
                    .setUnit("By")
                    .setDescription("Estimated heap bytes the console's store holds")
                    .buildWithCallback(m -> m.record(store.bytes())));
        }
    }

    /** The URL to open in a browser: it carries the token, which the UI trades for a cookie. */
    public String uiUrl() {
        return httpEndpoint() + "/" + (token == null ? "" : "?token=" + token);
    }

    private String hostForUrl() {
        String h = settings.host();
        if (h.equals("0.0.0.0") || h.equals("::")) {
            return "localhost";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /**
     * Waits until every export request accepted before this call is stored and visible to queries (receivers answer
     * the sender before storing). For tests and demos.
     *
     * @return false if that took longer than {@code timeout}
     */
    public boolean flush(Duration timeout) {
        try {
            return ingest.flush(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What the console holds and what it refused, now. */
    public ConsoleStats stats() {
        long[] c = store.counts();
        return new ConsoleStats(
                c[0],
                c[1],
                c[2],
                c[3],
                store.bytes(),
                store.maxBytes(),
                c[4],
                ingest.acceptedRequests(),
                ingest.droppedRequests(),
                ingest.diskBytes(),
                direct.retention().tracesPerSecond(),
                direct.retention().keptFraction(),
                direct.retention().skippedSpans(),
                direct.retention().skippedLogs());
    }

    private Map<String, Object> statsMap() {
        ConsoleStats s = stats();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spans", s.spans());
        m.put("logs", s.logs());
        m.put("points", s.points());
        m.put("traces", s.traces());
        m.put("storedBytes", s.storedBytes());
        m.put("maxBytes", s.maxBytes());
        m.put("evicted", s.evicted());
        m.put("acceptedRequests", s.acceptedRequests());
        m.put("droppedRequests", s.droppedRequests());
        m.put("diskBytes", s.diskBytes());
        m.put("tracesPerSecond", s.tracesPerSecond());
        m.put("keptTraceFraction", s.keptTraceFraction());
        m.put("skippedSpans", s.skippedSpans());
        m.put("skippedLogs", s.skippedLogs());
        return m;
    }

    /** Stops the receivers and the UI, then writes out what is queued (with persistence) and closes the data files. */
    @Override
    public void close() {
        synchronized (instruments) {
            for (AutoCloseable i : instruments) {
                try {
                    i.close();
                } catch (Exception e) {
                    // an observable instrument's close does not fail
                }
            }
            instruments.clear();
        }
        direct.close();
        QuietServerLogs.quietly(http::close);
        if (grpc != null) {
            grpc.close();
        }
        ingest.close();
    }

    /** Builds a {@link VigilConsole}; every setting has a default. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int httpPort = 4318;
        private int grpcPort = 4317;
        private long maxBytes = embeddedMaxBytes(Runtime.getRuntime().maxMemory());
        private int tracesPerSecond;
        private Path dataDir;
        private String token;
        private boolean auth = true;
        private Duration bodyIdleTimeout = DEFAULT_BODY_IDLE_TIMEOUT;
        private boolean fallBackToFreePort = true;

        private Builder() {}

        /** The address to bind; loopback by default, so nothing outside this machine can reach the console. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The HTTP port (0 = any free port). */
        public Builder httpPort(int port) {
            this.httpPort = checkPort(port);
            return this;
        }

        /** The OTLP/gRPC port (0 = any free port, -1 = no gRPC receiver). */
        public Builder grpcPort(int port) {
            this.grpcPort = port == -1 ? -1 : checkPort(port);
            return this;
        }

        /**
         * The store's bound in bytes of heap (estimated from above); at least 1 MiB. By default {@link
         * #DEFAULT_EMBEDDED_MAX_BYTES} (64 MiB), and at most an eighth of this JVM's maximum heap: the records live in
         * the heap of the process that builds the console — a service's, when embedded. The standalone console
         * ({@code vigil-console.jar}) sets {@link #DEFAULT_MAX_BYTES} unless {@code --max-bytes} says otherwise.
         */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < 1024 * 1024) {
                throw new IllegalArgumentException("maxBytes must be at least 1 MiB, got " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /**
         * Keeps at most about this many traces a second of what the in-process exporters ({@link #spanExporter()},
         * {@link #logRecordExporter()}) hand over; above it, a fraction of traces chosen by trace id, each whole —
         * spans with an error status and log records at WARN or above always, and log records outside a trace. 0
         * (the default) keeps everything. What is not kept is counted ({@link ConsoleStats#skippedSpans()}). Data
         * received over OTLP is always kept: a sender has its own sampler, and a standalone console's heap is its own.
         * An embedded console should use {@link #DEFAULT_EMBEDDED_TRACES_PER_SECOND}.
         */
        public Builder tracesPerSecond(int tracesPerSecond) {
            if (tracesPerSecond < 0) {
                throw new IllegalArgumentException(
                        "tracesPerSecond must be >= 0 (0 keeps all), got " + tracesPerSecond);
            }
            this.tracesPerSecond = tracesPerSecond;
            return this;
        }

        /** A directory to persist received data in, replayed at the next start; null (the default) = memory only. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** A fixed token for the UI and API instead of a random one. */
        public Builder token(String token) {
            if (token != null && token.length() < 8) {
                throw new IllegalArgumentException("a token must be at least 8 characters");
            }
            this.token = token;
            return this;
        }

        /** Turns the UI/API token off (anyone who can reach the port can read the data). */
        public Builder disableAuth() {
            this.auth = false;
            return this;
        }

        /**
         * How long an HTTP request may send nothing of its body (or read nothing of its answer) before the console
         * gives up on it: a stalled body is answered 408 with a problem document, an unread answer's connection is
         * closed; {@link #DEFAULT_BODY_IDLE_TIMEOUT} by default. Bodies are read without a thread, so clients that
         * stall hold connections until then, never the HTTP threads; a slow body that keeps moving is never cut off.
         */
        public Builder bodyIdleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.toMillis() < 1) {
                throw new IllegalArgumentException("bodyIdleTimeout must be at least 1 ms, got " + timeout);
            }
            this.bodyIdleTimeout = timeout;
            return this;
        }

        /**
         * What {@link #start()} does when a port given to {@link #httpPort} or {@link #grpcPort} is taken by another
         * process. {@code true} (the default, for a console embedded in a service, which must not stop the service
         * from starting): it listens on a free port instead and logs one WARN line naming both ports; {@link
         * VigilConsole#uiUrl()} and {@link VigilConsole#httpPort()} give the port it took. {@code false} (the
         * standalone console, whose user chose the port to point senders at): {@code start()} throws {@link
         * PortInUseException}.
         */
        public Builder fallBackToFreePort(boolean fallBackToFreePort) {
            this.fallBackToFreePort = fallBackToFreePort;
            return this;
        }

        /** {@link #DEFAULT_EMBEDDED_MAX_BYTES}, at most an eighth of {@code maxHeapBytes}, at least 1 MiB. */
        static long embeddedMaxBytes(long maxHeapBytes) {
            return Math.max(1L << 20, Math.min(DEFAULT_EMBEDDED_MAX_BYTES, maxHeapBytes / 8));
        }

        private static int checkPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            return port;
        }

        /**
         * Binds the ports, replays the data directory if any, and starts receiving. A taken port is replaced by a free
         * one unless {@link #fallBackToFreePort(boolean) fallBackToFreePort(false)}.
         *
         * @throws PortInUseException when a port is taken and {@code fallBackToFreePort(false)}
         * @throws UncheckedIOException when a listener or the data directory cannot be set up otherwise
         */
        public VigilConsole start() {
            try {
                return new VigilConsole(new Settings(
                        host,
                        httpPort,
                        grpcPort,
                        maxBytes,
                        tracesPerSecond,
                        dataDir,
                        token,
                        auth,
                        bodyIdleTimeout,
                        fallBackToFreePort));
            } catch (IOException e) {
                throw new UncheckedIOException("vigil-console could not start: " + e.getMessage(), e);
            }
        }
    }
}
