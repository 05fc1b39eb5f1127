package io.vigil.pipeline;

import io.vigil.core.Vigil;
import io.vigil.http.javalin.OrderlyShutdown;
import io.vigil.http.javalin.PortInUseException;
import io.vigil.http.javalin.ServiceArguments;
import io.vigil.kafka.embedded.KRaftBroker;
import io.vigil.logback.JavalinStartFailureFilter;
import io.vigil.logback.VigilLogging;
import io.vigil.pipeline.internal.Database;
import io.vigil.pipeline.internal.EventStore;
import io.vigil.pipeline.internal.LocalEventStore;
import io.vigil.pipeline.internal.S3EventStore;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;

/**
 * The event pipeline, the second reference application: the {@link IngestApi} on {@code PORT}, the
 * {@link AnalyticsConsumer} (unless {@code CONSUMER_ENABLED=false}) and {@code /metrics} on {@code
 * METRICS_PORT}, on one {@link Vigil} runtime. Without {@code KAFKA_BOOTSTRAP_SERVERS} it starts a
 * single-node KRaft broker in-process, in {@code DATA_DIR}, so it runs on a machine with nothing
 * installed; H2 in {@code DATA_DIR} unless {@code DATABASE_URL} is set; raw events in {@code
 * DATA_DIR/raw}, or in S3-compatible object storage when {@code S3_ENDPOINT} is set. See {@link PipelineConfig} for every variable.
 */
public final class EventPipeline implements AutoCloseable {
    /** The per-dependency status gauges (1 up, 0 down), document 002's names. */
    public static final List<String> STATUS_GAUGES = List.of("postgres_status", "kafka_status", "minio_status");

    /**
     * What SIGTERM may take beyond SHUTDOWN_TIMEOUT's drain before the process gives up on an orderly stop (each part
     * is bounded below it): the relay, the producer's flush, the consumer, telemetry.
     */
    static final Duration STOP_BEYOND_DRAIN = Duration.ofSeconds(40);

    private final List<Part> resources = new ArrayList<>(); // closed in reverse order
    private final Logger log;
    private final PipelineConfig config;
    private final IngestApi api;
    private final MetricsPort metrics;

    /** One part of the pipeline, and the line that says it stopped. */
    private record Part(AutoCloseable resource, String stopped) {}

    private EventPipeline(Vigil vigil, PipelineConfig configured) throws IOException {
        Logger log = vigil.loggerFactory().getLogger(EventPipeline.class.getName());
        this.log = log;
        try {
            PipelineConfig config = configured;
            if (config.kafkaBootstrapServers() == null) {
                KRaftBroker broker;
                try {
                    broker = KRaftBroker.start(config.dataDir().resolve("kafka"));
                } catch (KRaftBroker.DirectoryInUseException e) {
                    // Another pipeline on this host with the default DATA_DIR: say which setting separates them.
                    throw new KRaftBroker.DirectoryInUseException("DATA_DIR=" + config.dataDir()
                            + " is in use by another event-pipeline process (its embedded Kafka broker); give each"
                            + " instance a DATA_DIR of its own, or set KAFKA_BOOTSTRAP_SERVERS");
                }
                resources.add(new Part(broker, "Shutdown: embedded Kafka broker stopped"));
                config = config.withKafka(broker.bootstrapServers());
                log.info("embedded Kafka broker (KRaft) on {}", broker.bootstrapServers());
            }
            this.config = config;
            createTopics(config, log);
            EventStore store;
            if (config.s3() == null) {
                store = new LocalEventStore(config.dataDir().resolve("raw"));
            } else {
                S3EventStore s3 = new S3EventStore(config.s3());
                resources.add(new Part(s3, "Shutdown: object storage client closed"));
                store = s3;
                log.info("raw events in object storage: {}", config.s3());
            }
            Database events = new Database(vigil, config, "events");
            resources.add(new Part(events, "Shutdown: events database pool closed"));
            // Jetty, as identity-service's management port: problem+json for every error, Jetty's refusals included.
            this.metrics = MetricsPort.start(vigil, "0.0.0.0", config.metricsPort());
            resources.add(new Part(metrics, "Shutdown: metrics server stopped"));
            if (config.consumerEnabled()) {
                Database analytics = new Database(vigil, config, "analytics");
                resources.add(new Part(analytics, "Shutdown: analytics database pool closed"));
                resources.add(new Part(new AnalyticsConsumer(vigil, config, analytics), null));
            }
            this.api = new IngestApi(vigil, config, events, store);
            resources.add(new Part(api, null));
            log.info("event-pipeline: API on port {}, metrics on port {}", api.port(), metrics.port());
        } catch (RuntimeException | IOException e) {
            close();
            throw e;
        }
    }

    /** Starts the pipeline on {@code vigil}, configured by {@code env} ({@link PipelineConfig}). */
    public static EventPipeline start(Vigil vigil, Map<String, String> env) throws IOException {
        return new EventPipeline(vigil, PipelineConfig.fromEnvironment(env));
    }

    /** Starts only the analytics consumer on {@code vigil} (another process's role; Kafka must be set). */
    public static AutoCloseable startConsumer(Vigil vigil, Map<String, String> env) {
        PipelineConfig config = PipelineConfig.fromEnvironment(env);
        if (config.kafkaBootstrapServers() == null) {
            throw new IllegalArgumentException("KAFKA_BOOTSTRAP_SERVERS is required for a consumer of its own");
        }
        createTopics(config, vigil.loggerFactory().getLogger(EventPipeline.class.getName()));
        Database analytics = new Database(vigil, config, "analytics");
        try {
            AnalyticsConsumer consumer = new AnalyticsConsumer(vigil, config, analytics);
            return () -> {
                consumer.close();
                analytics.close();
            };
        } catch (RuntimeException e) {
            analytics.close();
            throw e;
        }
    }

    private static void createTopics(PipelineConfig config, Logger log) {
        List<String> topics = new ArrayList<>(List.of(config.topic(), config.deadLetterTopic()));
        if (config.auditTopic() != null) {
            // Read before identity-service first publishes: created here if missing (an existing one is kept).
            topics.add(config.auditTopic());
        }
        Admin admin = Admin.create(Map.of("bootstrap.servers", config.kafkaBootstrapServers()));
        try {
            // One request for all, bounded: a broker that is down delays the start by 10 s, not more.
            var results = admin.createTopics(topics.stream()
                            .map(t -> new NewTopic(t, 1, (short) 1))
                            .toList())
                    .values();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> unanswered = new ArrayList<>();
            for (String topic : topics) {
                try {
                    results.get(topic).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        log.warn("topic {} not created: {}", topic, e.getCause().toString());
                    }
                } catch (TimeoutException e) {
                    unanswered.add(topic);
                }
            }
            if (!unanswered.isEmpty()) {
                // One line for the one outage, not one per topic.
                log.warn(
                        "topics {} not created: the broker did not answer (they are created on first use)", unanswered);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Not close(): it waits for the requests still pending, up to the client's default API timeout (60 s),
            // which made an unreachable broker delay the start by more than a minute.
            admin.close(Duration.ZERO);
        }
    }

    /** The API port. */
    public int port() {
        return api.port();
    }

    /** The port of {@code /metrics}. */
    public int metricsPort() {
        return metrics.port();
    }

    /** The broker in use (the embedded one's address when it was started here). */
    public String kafkaBootstrapServers() {
        return config.kafkaBootstrapServers();
    }

    /** The effective settings. */
    public PipelineConfig config() {
        return config;
    }

    /**
     * Stops the API (in-flight requests finish, then the outbox relay and the producer), the consumer (its last batch
     * written and committed), the metrics server, the pools and the embedded broker, in that order, one line each.
     * Every part is bounded in time; one that fails is logged and the rest still stop. Idempotent.
     */
    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            Part part = resources.get(i);
            try {
                part.resource().close();
                if (part.stopped() != null) {
                    log.info(part.stopped());
                }
            } catch (Exception e) {
                // keep closing the rest
                log.warn(
                        "Shutdown: {} did not stop cleanly: {}",
                        part.resource().getClass().getSimpleName(),
                        e.toString());
            }
        }
        resources.clear();
    }

    /** Runs the pipeline until SIGTERM. */
    static final String USAGE = "usage: java -jar event-pipeline.jar   (the ingest API and the consumer; configured by"
            + " environment variables: PORT, METRICS_PORT, KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, …, see README)";

    /**
     * What the command line asks for: -1 to start the pipeline, else the exit code once answered. The pipeline takes
     * no arguments: {@code --help} used to start it (and a port in use then made it exit 1).
     */
    static int commandLine(String[] args, PrintStream out, PrintStream err) {
        return ServiceArguments.check("event-pipeline", USAGE, args, out, err);
    }

    public static void main(String[] args) {
        int code = commandLine(args, System.out, System.err);
        if (code == 0) {
            return;
        }
        if (code > 0) {
            System.exit(code);
        }
        // SIGTERM (and Ctrl-C) ask for an orderly stop, run on the main thread, after which the process exits 0, as
        // identity-service does: a requested stop is a success. Left to the JVM, SIGTERM would exit 143 — also while
        // starting, when no shutdown hook ran at all and the start's last log lines were lost. So the handlers come
        // before anything logs; a stop asked for while starting is honoured once the start is done.
        OrderlyShutdown shutdown = OrderlyShutdown.listen("event-pipeline");
        // java.util.logging (the OpenTelemetry SDK's own reports, e.g. an OTEL_* value it refuses) goes through the
        // same
        // JSON lines as the rest, as in identity-service: it printed two plain-text lines on stderr.
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putIfAbsent("SERVICE_NAME", "event-pipeline");
        Vigil vigil = Vigil.builder().environment(env).build();
        VigilLogging logging = VigilLogging.install(vigil);
        quietLibraries();
        EventPipeline pipeline;
        try {
            pipeline = start(vigil, env);
        } catch (Throwable e) {
            exitOnFailedStart(vigil, logging, e);
            return;
        }
        // Any other way out (System.exit elsewhere, SIGHUP) still stops in order (a shutdown hook). Each part is
        // bounded
        // on its own; SHUTDOWN_TIMEOUT plus STOP_BEYOND_DRAIN bounds their sum, should one of them hang regardless.
        Duration stopBound = pipeline.config.shutdownTimeout().plus(STOP_BEYOND_DRAIN);
        shutdown.stopWith(() -> {
                    pipeline.log.info("Shutdown: stopping (at most {} s)", stopBound.toSeconds());
                    pipeline.close();
                    pipeline.log.info("Shutdown: flushing telemetry");
                    logging.close();
                    vigil.close();
                })
                .awaitThenExit(stopBound);
    }

    /**
     * Ends a start that failed as identity-service does: one ERROR line (a configuration error names its variable,
     * without a stack trace), the log lines and telemetry flushed, then exit code 2 for a configuration error and 1
     * for anything else.
     */
    private static void exitOnFailedStart(Vigil vigil, VigilLogging logging, Throwable e) {
        boolean configuration = e instanceof IllegalArgumentException;
        try {
            Logger log = vigil.loggerFactory().getLogger(EventPipeline.class.getName());
            if (configuration) {
                log.error("event-pipeline cannot start: configuration error: {}", e.getMessage());
            } else if (e instanceof PortInUseException || e instanceof KRaftBroker.DirectoryInUseException) {
                // The port or directory and the variable are all there is to say: no stack trace.
                log.error("event-pipeline cannot start: {}", e.getMessage());
            } else {
                log.error("event-pipeline cannot start: {}", e.toString(), e);
            }
            logging.close();
            vigil.close();
        } catch (Throwable reportFailed) {
            e.printStackTrace();
        }
        System.exit(configuration ? 2 : 1);
    }

    /**
     * The embedded broker and the clients log every configuration at INFO, Jetty, Javalin and the pools every start
     * and stop; their warnings are enough (as in identity-service). Javalin's own "Failed to start" line goes: the
     * start's failure is reported once, naming the port's variable.
     */
    private static void quietLibraries() {
        JavalinStartFailureFilter.install();
        for (String name : List.of(
                "kafka",
                "org.apache.kafka",
                "state.change.logger",
                "org.eclipse.jetty",
                "io.javalin",
                "com.zaxxer.hikari")) {
            if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
                l.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
        // Jetty warns once per request with a malformed Host ("Bad Authority"): the client's mistake, answered 400;
        // a client could otherwise write as many WARN lines as it sends requests.
        if (org.slf4j.LoggerFactory.getLogger("org.eclipse.jetty.util.HostPort")
                instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        // As in identity-service: the client warns twice a second for as long as a broker is unreachable; the
        // health check (kafka_status) and the publish failures already say so, the reconnect warnings only bury them.
        if (org.slf4j.LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient")
                instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }
}
