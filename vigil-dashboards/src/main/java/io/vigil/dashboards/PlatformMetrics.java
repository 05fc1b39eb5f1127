package io.vigil.dashboards;

import io.vigil.core.OperationKind;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The HTTP and platform metrics of the telemetry contract (section 2, second table) and the
 * exporters' metrics the stack scrapes, declared in this one place, each tagged with its source.
 * A service's catalogue holds the sources it exposes ({@link #of(Collection)}); the domain metrics
 * come from its operation kinds instead. When vigil-http publishes its own instrument catalogue,
 * its part of this list is replaced by it.
 */
public final class PlatformMetrics {
    /** Emitted by the HTTP server module's request instrumentation: every HTTP service. */
    public static final String HTTP = "vigil-http";
    /**
     * Emitted by the HTTP server module's WebSocket instrumentation, only for a service that serves
     * WebSocket endpoints: never implied, name it with {@code --platform}.
     */
    public static final String WEBSOCKET = "websocket";
    /**
     * Emitted by vigil-http's {@code TokenValidationTelemetry}, only for a service that validates bearer
     * tokens: never implied, name it with {@code --platform}.
     */
    public static final String TOKEN_VALIDATION = "token-validation";
    /**
     * Emitted by vigil-http's {@code RateLimitTelemetry} (and {@code InstrumentedBucket}), only for a
     * service that refuses work with a rate or concurrency limit: never implied, name it with {@code
     * --platform}. A service without one would otherwise get an alert that cannot fire and a panel
     * that always says "no data".
     */
    public static final String RATE_LIMIT = "rate-limit";
    /** Emitted by a service that issues tokens (the {@code active_tokens} gauge of its token store). */
    public static final String TOKENS = "token-store";
    /** Emitted by every Vigil runtime ({@code app_info}, JVM runtime metrics, export health). */
    public static final String CORE = "vigil-core";
    /** Emitted by the connection-pool instrumentation. */
    public static final String POOL = "db-pool";
    /** Emitted by message consumers. */
    public static final String CONSUMER = "consumer";
    /**
     * Emitted by vigil-kafka's consumers (its {@code KafkaCatalogue}): the consumer metrics with their
     * {@code topic} and {@code group} labels, and the dead-letter and lag-refresh counters. Its four
     * consumer metrics are also {@code MessageConsumption}'s, without those labels: a service whose
     * kinds declare them must not name this source.
     */
    public static final String KAFKA_CONSUMER = "kafka-consumer";
    /** Emitted by vigil-kafka's producers (its {@code KafkaCatalogue}). */
    public static final String KAFKA_PRODUCER = "kafka-producer";
    /**
     * Emitted by a service whose health check sets one status gauge per dependency (document 002's
     * {@code postgres_status}, {@code kafka_status}, {@code minio_status}: 1 up, 0 down).
     */
    public static final String DEPENDENCY_STATUS = "dependency-status";
    /**
     * Emitted by a job scheduler observed by vigil-jobs: the gauges of {@code JobConventions.GAUGES}
     * (its counters and histograms come from the {@code task_execution} kind).
     */
    public static final String TASKS = "task-queue";
    /** Written by Prometheus itself for every scrape target. */
    public static final String PROMETHEUS = "prometheus";
    /** Emitted by postgres-exporter. */
    public static final String POSTGRES_EXPORTER = "postgres-exporter";
    /** Emitted by redis-exporter. */
    public static final String REDIS_EXPORTER = "redis-exporter";
    /** Written by Tempo's metrics generator through remote write. */
    public static final String TEMPO = "tempo-metrics-generator";

    /**
     * Sources only a service that has them names with {@code --platform}: not part of {@code all}
     * ({@link #stackSources()}).
     */
    public static final Set<String> NAMED_ONLY = Set.of(KAFKA_CONSUMER, KAFKA_PRODUCER, DEPENDENCY_STATUS);

    private static final List<Metric> ALL = List.of(
            // HTTP (contract: status_code, not status; endpoint is the route template)
            Metric.counter("http_requests_total", "HTTP requests", HTTP, "method", "endpoint", "status_code"),
            Metric.histogram("http_request_duration_seconds", "HTTP request duration", HTTP, "method", "endpoint"),
            Metric.gauge("http_requests_in_progress", "HTTP requests in flight", HTTP, "method", "endpoint"),
            Metric.histogram("http_request_size_bytes", "HTTP request body size", HTTP, "method", "endpoint"),
            Metric.histogram("http_response_size_bytes", "HTTP response body size", HTTP, "method", "endpoint"),
            Metric.counter("http_exceptions_total", "Unhandled exceptions by type", HTTP, "exception_type", "endpoint"),
            // bearer tokens and rate limits: their own sources, so a service without them gets no panel or alert
            // reading them (declared here, after HTTP's, so catalogues keep their order)
            Metric.counter("token_validation_total", "Bearer token validations", TOKEN_VALIDATION, "status"),
            Metric.counter(
                    "rate_limit_hits_total",
                    "Work refused by a rate or concurrency limit",
                    RATE_LIMIT,
                    "limit_type",
                    "endpoint"),
            // WebSocket: its own source, so an HTTP service without WebSockets gets no WebSocket row or alert
            Metric.gauge("ws_connections_active", "Open WebSocket connections", WEBSOCKET, "endpoint"),
            Metric.counter("ws_connections_total", "WebSocket connection attempts", WEBSOCKET, "endpoint", "status"),
            Metric.counter(
                    "ws_messages_received_total", "WebSocket messages received", WEBSOCKET, "endpoint", "handler"),
            Metric.counter("ws_messages_sent_total", "WebSocket messages sent", WEBSOCKET, "endpoint", "handler"),
            Metric.histogram(
                    "ws_message_processing_duration_seconds",
                    "WebSocket message handling duration",
                    WEBSOCKET,
                    "endpoint",
                    "handler"),
            // beyond the contract's five: what vigil-http's WebSocketMetrics also emits (WebSocketMetricsTest
            // checks the source against a runtime's scrape)
            Metric.histogram(
                    "ws_message_size_bytes",
                    "WebSocket message payload size by direction (received, sent)",
                    WEBSOCKET,
                    "endpoint",
                    "direction"),
            Metric.histogram(
                    "ws_connection_duration_seconds",
                    "How long accepted WebSocket connections stayed open",
                    WEBSOCKET,
                    "endpoint"),
            Metric.counter(
                    "ws_connections_closed_total",
                    "Closed WebSocket connections by close code (RFC 6455; others 'other')",
                    WEBSOCKET,
                    "endpoint",
                    "close_code"),
            Metric.counter(
                    "ws_message_errors_total",
                    "WebSocket errors by type (too_big, bad_frame, handler_error, io_error, error)",
                    WEBSOCKET,
                    "endpoint",
                    "error_type"),
            // token store (identity-service's)
            Metric.gauge("active_tokens", "Issued, unexpired, unrevoked tokens", TOKENS, "token_type"),
            // connection pool
            Metric.gauge("db_connections_active", "Pool connections in use", POOL, "pool"),
            Metric.gauge("db_connections_idle", "Idle pool connections", POOL, "pool"),
            Metric.gauge("db_connections_max", "Pool size limit", POOL, "pool"),
            Metric.gauge("db_connections_pending", "Threads waiting for a connection", POOL, "pool"),
            // message consumers (the rest of their metrics are MessageConsumption's)
            Metric.histogram(
                    "consumer_sink_insert_duration_seconds",
                    "Time to write a processed message to its sink",
                    CONSUMER,
                    "sink"),
            Metric.gauge("consumer_lag", "Messages not yet consumed", CONSUMER, "topic", "partition", "group"),
            // vigil-kafka (KafkaCatalogue; KafkaMetricsTest checks these against it)
            Metric.counter("consumer_messages_consumed_total", "Messages consumed", KAFKA_CONSUMER, "topic", "group"),
            Metric.counter(
                    "consumer_messages_processed_total",
                    "Messages processed by outcome",
                    KAFKA_CONSUMER,
                    "topic",
                    "group",
                    "status"),
            Metric.histogram(
                    "consumer_processing_duration_seconds",
                    "Message processing duration",
                    KAFKA_CONSUMER,
                    "topic",
                    "group"),
            Metric.counter(
                    "consumer_errors_total",
                    "Message processing errors by exception type",
                    KAFKA_CONSUMER,
                    "topic",
                    "group",
                    "error_type"),
            Metric.counter(
                    "consumer_dead_lettered_total",
                    "Poison messages sent to the dead-letter topic",
                    KAFKA_CONSUMER,
                    "topic",
                    "group",
                    "status"),
            Metric.histogram(
                    "consumer_sink_insert_duration_seconds",
                    "Time to write a processed message to its sink",
                    KAFKA_CONSUMER,
                    "sink"),
            Metric.gauge("consumer_lag", "Messages not yet consumed", KAFKA_CONSUMER, "topic", "partition", "group"),
            Metric.counter(
                    "consumer_lag_refresh_errors_total", "Failed consumer lag refreshes", KAFKA_CONSUMER, "group"),
            Metric.counter("producer_messages_sent_total", "Messages sent", KAFKA_PRODUCER, "topic", "status"),
            Metric.counter(
                    "producer_errors_total",
                    "Message send errors by exception type",
                    KAFKA_PRODUCER,
                    "topic",
                    "error_type"),
            Metric.histogram(
                    "producer_send_duration_seconds", "Time from send to acknowledgement", KAFKA_PRODUCER, "topic"),
            // per-dependency health (document 002)
            Metric.gauge(
                    "postgres_status", "The database answered the last health probe (1) or not (0)", DEPENDENCY_STATUS),
            Metric.gauge("kafka_status", "The broker answered the last health probe (1) or not (0)", DEPENDENCY_STATUS),
            Metric.gauge(
                    "minio_status",
                    "The object store answered the last health probe (1) or not (0)",
                    DEPENDENCY_STATUS),
            // job schedulers (vigil-jobs; the rest of their metrics are the task_execution kind's). Every
            // instance counts the shared job table: aggregate the backlog gauges with max, not sum.
            Metric.gauge("task_queue_due_jobs", "Jobs due and not yet picked, per task", TASKS, "task"),
            Metric.gauge(
                    "task_queue_oldest_wait_seconds", "Age of the oldest due, unpicked job, per task", TASKS, "task"),
            Metric.gauge(
                    "task_last_success_timestamp_seconds",
                    "When an execution of the task last succeeded (Unix seconds)",
                    TASKS,
                    "task"),
            Metric.counter("vigil_jobs_backlog_failures_total", "Failed counts of the job backlog", TASKS),
            // every Vigil runtime
            Metric.gauge(
                    "app_info",
                    "Always 1; labels describe the service",
                    CORE,
                    "version",
                    "java_version",
                    "environment"),
            Metric.counter("vigil_export_failures_total", "Failed OTLP export batches", CORE, "signal"),
            Metric.counter("vigil_label_overflow_total", "Label values folded into 'other'", CORE, "kind", "label"),
            Metric.gauge("jvm_memory_used_bytes", "JVM memory used", CORE, "jvm_memory_type", "jvm_memory_pool_name"),
            Metric.gauge(
                    "jvm_memory_committed_bytes",
                    "JVM memory committed",
                    CORE,
                    "jvm_memory_type",
                    "jvm_memory_pool_name"),
            Metric.gauge("jvm_memory_limit_bytes", "JVM memory limit", CORE, "jvm_memory_type", "jvm_memory_pool_name"),
            Metric.gauge(
                    "jvm_memory_used_after_last_gc_bytes",
                    "JVM memory used after the last GC",
                    CORE,
                    "jvm_memory_type",
                    "jvm_memory_pool_name"),
            Metric.histogram("jvm_gc_duration_seconds", "GC pause duration", CORE, "jvm_gc_name", "jvm_gc_action"),
            Metric.gauge("jvm_thread_count", "JVM threads", CORE, "jvm_thread_daemon", "jvm_thread_state"),
            Metric.counter("jvm_class_loaded_total", "Classes loaded", CORE),
            Metric.counter("jvm_class_unloaded_total", "Classes unloaded", CORE),
            Metric.gauge("jvm_class_count", "Classes currently loaded", CORE),
            Metric.counter("jvm_cpu_time_seconds_total", "CPU time used by the JVM", CORE),
            Metric.gauge("jvm_cpu_count", "Processors available to the JVM", CORE),
            Metric.gauge("jvm_cpu_recent_utilization", "Recent CPU utilization of the JVM (0-1)", CORE),
            // Prometheus
            Metric.gauge("up", "1 when the last scrape of the target succeeded", PROMETHEUS),
            // postgres-exporter
            Metric.gauge("pg_up", "1 when the exporter reaches PostgreSQL", POSTGRES_EXPORTER),
            Metric.gauge("pg_stat_database_numbackends", "Backends connected", POSTGRES_EXPORTER, "datname"),
            Metric.counter("pg_stat_database_xact_commit", "Transactions committed", POSTGRES_EXPORTER, "datname"),
            Metric.counter("pg_stat_database_xact_rollback", "Transactions rolled back", POSTGRES_EXPORTER, "datname"),
            Metric.counter("pg_stat_database_blks_hit", "Buffer cache hits", POSTGRES_EXPORTER, "datname"),
            Metric.counter("pg_stat_database_blks_read", "Blocks read from disk", POSTGRES_EXPORTER, "datname"),
            Metric.counter("pg_stat_database_deadlocks", "Deadlocks detected", POSTGRES_EXPORTER, "datname"),
            Metric.gauge("pg_database_size_bytes", "Database size", POSTGRES_EXPORTER, "datname"),
            // redis-exporter
            Metric.gauge("redis_up", "1 when the exporter reaches Redis", REDIS_EXPORTER),
            Metric.gauge("redis_connected_clients", "Connected clients", REDIS_EXPORTER),
            Metric.gauge("redis_memory_used_bytes", "Memory used", REDIS_EXPORTER),
            // Tempo metrics generator (span metrics and service graph)
            Metric.counter(
                    "traces_spanmetrics_calls_total",
                    "Spans by service, name, kind and status",
                    TEMPO,
                    "service",
                    "span_name",
                    "span_kind",
                    "status_code"),
            Metric.histogram(
                    "traces_spanmetrics_latency",
                    "Span duration in seconds",
                    TEMPO,
                    "service",
                    "span_name",
                    "span_kind",
                    "status_code"),
            Metric.counter(
                    "traces_service_graph_request_total",
                    "Requests between two services",
                    TEMPO,
                    "client",
                    "server",
                    "connection_type"),
            Metric.counter(
                    "traces_service_graph_request_failed_total",
                    "Failed requests between two services",
                    TEMPO,
                    "client",
                    "server",
                    "connection_type"));

    private PlatformMetrics() {}

    /**
     * Every HTTP, platform and exporter metric, in declaration order (a name may appear under two
     * sources, identically declared).
     */
    public static List<Metric> all() {
        return ALL;
    }

    /**
     * What {@code --platform all} means: every source except {@link #NAMED_ONLY}, whose metrics are a
     * service's own clients and gauges rather than the stack's.
     */
    public static Set<String> stackSources() {
        Set<String> sources = sources();
        sources.removeAll(NAMED_ONLY);
        return sources;
    }

    /** Every source name, in declaration order. */
    public static Set<String> sources() {
        Set<String> sources = new LinkedHashSet<>();
        ALL.forEach(m -> sources.add(m.source()));
        return sources;
    }

    /** The metrics of the given sources, in declaration order; an unknown source is refused. */
    public static List<Metric> of(Collection<String> sources) {
        Set<String> known = sources();
        for (String s : sources) {
            if (!known.contains(s)) {
                throw new IllegalArgumentException("unknown metric source '" + s + "'; known: " + known);
            }
        }
        return ALL.stream().filter(m -> sources.contains(m.source())).toList();
    }

    /**
     * The sources a Vigil HTTP service with these operation kinds exposes: the HTTP server module,
     * the runtime and Prometheus's own {@code up}, plus the connection pool when a kind records
     * database operations, the consumer gauges when one consumes messages, the token store when
     * one issues tokens, and the task-queue gauges when one runs background jobs. WebSocket
     * endpoints, bearer-token validation and rate limits are not visible in the kinds, and exporters
     * and Tempo belong to a stack, not a service: name them explicitly.
     */
    public static Set<String> implied(Collection<OperationKind> kinds) {
        Set<String> sources = new LinkedHashSet<>(List.of(HTTP, CORE, PROMETHEUS));
        for (OperationKind kind : kinds) {
            for (OperationKind.Instrument i : kind.instruments()) {
                switch (i.name()) {
                    case "database_operations_total" -> sources.add(POOL);
                    case "consumer_messages_consumed_total" -> sources.add(CONSUMER);
                    case "token_operations_total" -> sources.add(TOKENS);
                    case "task_executions_total" -> sources.add(TASKS);
                    default -> {}
                }
            }
        }
        return sources;
    }
}
