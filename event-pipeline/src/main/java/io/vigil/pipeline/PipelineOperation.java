package io.vigil.pipeline;

import static io.vigil.core.OperationKind.Trigger.END;

import io.vigil.core.Operation;
import io.vigil.core.OperationKind;
import java.util.Set;

/**
 * The event pipeline's own operation kinds, declared once. Span names are document 002's: {@code
 * ingest_event} with children {@code minio_upload} (the raw event stored), {@code kafka_publish},
 * {@code postgres_insert}; health probes {@code postgres_check}, {@code kafka_check}, {@code
 * minio_check}. They name the role (object storage, broker, database); the backend in use (a local
 * directory, H2, …) is the span attribute {@code pipeline.backend}.
 */
public final class PipelineOperation {
    /**
     * One ingest request: span {@code ingest_event}, {@code events_ingested_total{status}}, {@code
     * event_ingest_duration_seconds}, a log event with {@code event_type=ingest}.
     */
    public static final OperationKind INGEST = OperationKind.builder("event_ingest")
            .eventType("ingest")
            .spanName(op -> op.name())
            .outcome("status", "pipeline.ingest.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("pipeline.ingest.failure_reason", Set.of("idempotency_key_reused", "in_progress"))
            .durationSpanAttribute("pipeline.ingest.duration_seconds")
            .counter("events_ingested_total", "Ingest requests by outcome", END, "status")
            .durationHistogram("event_ingest_duration_seconds", "Ingest request duration")
            .build();

    /**
     * One step of the pipeline: {@code pipeline_steps_total{step,status}}, {@code
     * pipeline_step_duration_seconds{step}}; routine successes log at DEBUG (the ingest event says
     * it all). A step whose dependency is unavailable is a {@code failure} ({@code unavailable}, no
     * stack trace in its log line); any other exception an {@code error}.
     */
    public static final OperationKind STEP = OperationKind.builder("pipeline_step")
            .eventType("pipeline_step")
            .dimension("step", "pipeline.step", Set.of("store", "publish", "insert", "analytics_insert"))
            .spanName(op -> op.name())
            .outcome("status", "pipeline.step.status", OperationKind.OutcomeEncoding.STATUS)
            // A dependency that does not answer: an expected failure, logged at WARN without a stack trace.
            .failureReasons("pipeline.step.failure_reason", Set.of("unavailable"))
            .durationSpanAttribute("pipeline.step.duration_seconds")
            .counter("pipeline_steps_total", "Pipeline steps by outcome", END, "step", "status")
            .durationHistogram("pipeline_step_duration_seconds", "Pipeline step duration", "step")
            .routineSuccess("step", "store", "publish", "insert", "analytics_insert")
            .build();

    /**
     * One dependency probe of {@code GET /health} or of the background round that keeps the status
     * gauges current: {@code health_checks_total{dependency,status}}, {@code
     * health_check_duration_seconds{dependency}}.
     */
    public static final OperationKind HEALTH = OperationKind.builder("health_probe")
            .eventType("health")
            .dimension("dependency", "pipeline.dependency", Set.of("database", "kafka", "storage"))
            .spanName(op -> op.name())
            .outcome("status", "pipeline.dependency.status", OperationKind.OutcomeEncoding.STATUS)
            .failureReasons("pipeline.dependency.failure_reason", Set.of("unavailable"))
            .counter("health_checks_total", "Dependency probes by outcome", END, "dependency", "status")
            .durationHistogram("health_check_duration_seconds", "Dependency probe duration", "dependency")
            .routineSuccess("dependency", "database", "kafka", "storage")
            .build();

    /** The ingest request. */
    public static final Operation INGEST_EVENT = INGEST.operation("ingest_event");
    /** The raw event written to storage. */
    public static final Operation STORE = STEP.operation("minio_upload", "store");
    /** The event published to the pipeline topic. */
    public static final Operation PUBLISH = STEP.operation("kafka_publish", "publish");
    /** The event recorded in the database. */
    public static final Operation INSERT = STEP.operation("postgres_insert", "insert");
    /** One batch written to the analytics table by the consumer. */
    public static final Operation ANALYTICS_INSERT = STEP.operation("analytics_insert", "analytics_insert");
    /** The database probe. */
    public static final Operation DATABASE_CHECK = HEALTH.operation("postgres_check", "database");
    /** The broker probe. */
    public static final Operation KAFKA_CHECK = HEALTH.operation("kafka_check", "kafka");
    /** The storage probe. */
    public static final Operation STORAGE_CHECK = HEALTH.operation("minio_check", "storage");

    private PipelineOperation() {}
}
