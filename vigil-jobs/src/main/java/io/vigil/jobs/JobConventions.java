package io.vigil.jobs;

import static io.vigil.core.OperationKind.Trigger.END;
import static io.vigil.core.OperationKind.Trigger.START;

import io.vigil.core.OperationKind;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Every name the telemetry of a background job uses — metrics, span, log fields — declared once,
 * so dashboards and alerts can be generated from it like from the operation kinds.
 *
 * <p>{@link #KIND} declares the contract's counters and histograms ({@code task_executions_total},
 * {@code task_duration_seconds}, {@code task_queue_wait_seconds}, {@code task_retries_total}) in the
 * form of an {@link OperationKind}, so a catalogue built from kinds (vigil-dashboards' {@code
 * MetricCatalogue.of(kinds, others)}) lists them with their labels. It is a declaration only:
 * {@link VigilJobs} records these instruments itself, because a job's outcome has four values
 * ({@code success}, {@code failure}, {@code retry}, {@code dead}) and its queue wait is not the
 * duration of an operation; do not observe operations of this kind through {@code Operations}.
 * {@link VigilJobs#builder(io.vigil.core.Vigil)} registers it, so {@code Operations.catalogue()}
 * lists it. {@link #GAUGES} lists the gauges, which an operation kind cannot
 * declare. This class holds constants only and is thread-safe.
 */
public final class JobConventions {
    /** The metric label naming the task (db-scheduler's task name, a constant in code). */
    public static final String TASK_LABEL = "task";
    /** The metric label of the outcome. */
    public static final String STATUS_LABEL = "status";

    /** The execution succeeded. */
    public static final String SUCCESS = "success";
    /** The execution failed and the task's failure handler did not retry it (e.g. a recurring job's run). */
    public static final String FAILURE = "failure";
    /** The execution failed and is scheduled again, after a backoff. */
    public static final String RETRY = "retry";
    /** The execution failed for the last time: its retry limit is reached and the job is removed. */
    public static final String DEAD = "dead";
    /** Every value of the {@code status} label. */
    public static final Set<String> STATUSES = Set.of(SUCCESS, FAILURE, RETRY, DEAD);

    /** Counter: executions by task and outcome. */
    public static final String EXECUTIONS = "task_executions_total";
    /** Histogram, seconds: how long an execution ran (the job's body). */
    public static final String DURATION = "task_duration_seconds";
    /** Histogram, seconds: from the time the job was due to the time an instance started it. */
    public static final String QUEUE_WAIT = "task_queue_wait_seconds";
    /** Counter: executions that were retries of a failed one. */
    public static final String RETRIES = "task_retries_total";
    /** Gauge: jobs due now and not yet picked by any instance. */
    public static final String DUE_JOBS = "task_queue_due_jobs";
    /** Gauge, seconds: how long the oldest due, unpicked job has been waiting (0 when none). */
    public static final String OLDEST_WAIT = "task_queue_oldest_wait_seconds";
    /** Gauge, seconds since the epoch: when an execution of the task last succeeded in this process. */
    public static final String LAST_SUCCESS = "task_last_success_timestamp_seconds";

    /** Counter: failed counts of the backlog (the database did not answer); logged once per outage. */
    public static final String BACKLOG_FAILURES = "vigil_jobs_backlog_failures_total";

    /** The log field and metric label {@code event_type} of the per-execution log event. */
    public static final String EVENT_TYPE = "task";

    /** MDC keys bound to every log line of a job, as in document 003's Celery signals. */
    public static final String MDC_TASK_ID = "task_id";
    /** MDC key: the task's name. */
    public static final String MDC_TASK_NAME = "task_name";
    /** MDC key: the queue (the scheduler's table, or the name given to {@link VigilJobs.Builder#queue}). */
    public static final String MDC_QUEUE = "queue";
    /** MDC key: how many times this job failed before this execution. */
    public static final String MDC_RETRIES = "retries";
    /** MDC key of the request that enqueued the job (the contract's request correlation). */
    public static final String MDC_REQUEST_ID = "request_id";

    /**
     * The contract's task counters and histograms as an operation kind, for the instrument
     * catalogue. {@code task} is an open dimension bounded like {@link VigilJobs} bounds it.
     */
    public static final OperationKind KIND = OperationKind.builder("task_execution")
            .eventType(EVENT_TYPE)
            .openDimension(TASK_LABEL, "task.name", "task_name", VigilJobs.MAX_TASKS)
            .spanName(op -> "process " + op.value(0))
            .outcome(STATUS_LABEL, "task.status", OperationKind.OutcomeEncoding.STATUS)
            .durationSpanAttribute("task.duration_seconds")
            .subjectSpanAttribute("task.id")
            .counter(
                    EXECUTIONS,
                    "Job executions by task and outcome (success, failure, retry, dead)",
                    END,
                    TASK_LABEL,
                    STATUS_LABEL)
            .durationHistogram(DURATION, "Job execution duration", TASK_LABEL)
            .durationHistogram(QUEUE_WAIT, "Time from a job being due to an instance starting it", TASK_LABEL)
            .counter(RETRIES, "Job executions that retry a failed one", START, TASK_LABEL)
            .build();

    /**
     * One gauge of the job telemetry.
     *
     * @param name Prometheus exposition name
     * @param description what it measures
     * @param labels its label names
     */
    public record Gauge(String name, String description, List<String> labels) {
        /** Validates the components; {@code labels} is copied. */
        public Gauge {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
            labels = List.copyOf(labels);
        }
    }

    /** The gauges: backlog and oldest wait (read in the background, never during a scrape), last success. */
    public static final List<Gauge> GAUGES = List.of(
            new Gauge(DUE_JOBS, "Jobs due and not yet picked, per task", List.of(TASK_LABEL)),
            new Gauge(OLDEST_WAIT, "Age of the oldest due, unpicked job, per task", List.of(TASK_LABEL)),
            new Gauge(
                    LAST_SUCCESS, "When an execution of the task last succeeded (Unix seconds)", List.of(TASK_LABEL)));

    private JobConventions() {}
}
