package io.vigil.jobs.internal;

import com.github.kagkarlsson.scheduler.event.AbstractSchedulerListener;
import com.github.kagkarlsson.scheduler.event.ExecutionChain;
import com.github.kagkarlsson.scheduler.event.ExecutionInterceptor;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.Execution;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.vigil.core.Scrubber;
import io.vigil.core.internal.FirstSeenValues;
import io.vigil.jobs.JobConventions;
import io.vigil.jobs.JobData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * The adapter between db-scheduler and Vigil: as an {@link ExecutionInterceptor} it starts each
 * execution's {@code CONSUMER} span (child of the enqueuing span, or linked to it when the job ran
 * before — a recurring one), binds the task fields to the MDC and records the queue wait; as a
 * listener it ends the execution once db-scheduler has applied the outcome, so the failure handler
 * has said whether a failure is a {@code retry} or {@code dead}, and then counts it, records the
 * duration and writes the one log event.
 *
 * <p>db-scheduler calls interceptor, failure handler and {@code onExecutionComplete} one after the
 * other on the thread that ran the job, so the execution in flight is handed between them in a
 * thread-local of this instance. Thread-safe.
 */
public final class JobTelemetry extends AbstractSchedulerListener implements ExecutionInterceptor {
    private final Logger log;
    private static final AttributeKey<String> TASK = AttributeKey.stringKey(JobConventions.TASK_LABEL);
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey(JobConventions.STATUS_LABEL);
    private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    private static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");
    private static final AttributeKey<String> EXCEPTION_STACKTRACE = AttributeKey.stringKey("exception.stacktrace");
    private static final List<Double> DURATION_BUCKETS =
            List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0);
    private static final List<Double> WAIT_BUCKETS =
            List.of(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0);

    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final Scrubber scrubber;
    private final String queue;
    private final FirstSeenValues taskNames;
    private final LongCounter executions;
    private final LongCounter retries;
    private final DoubleHistogram duration;
    private final DoubleHistogram queueWait;
    private final Map<String, Double> lastSuccess = new ConcurrentHashMap<>();
    private final ThreadLocal<InFlight> inFlight = new ThreadLocal<>();

    /** Creates the instruments on {@code meter}; {@code queue} is the {@code queue} field of every job. */
    public JobTelemetry(
            Tracer tracer,
            Meter meter,
            TextMapPropagator propagator,
            Scrubber scrubber,
            String queue,
            FirstSeenValues taskNames,
            Logger log) {
        this.log = log;
        this.tracer = tracer;
        this.propagator = propagator;
        this.scrubber = scrubber;
        this.queue = queue;
        this.taskNames = taskNames;
        this.executions = meter.counterBuilder(JobConventions.EXECUTIONS)
                .setDescription("Job executions by task and outcome (success, failure, retry, dead)")
                .build();
        this.retries = meter.counterBuilder(JobConventions.RETRIES)
                .setDescription("Job executions that retry a failed one")
                .build();
        this.duration = meter.histogramBuilder(stripSeconds(JobConventions.DURATION))
                .setDescription("Job execution duration")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
                .build();
        this.queueWait = meter.histogramBuilder(stripSeconds(JobConventions.QUEUE_WAIT))
                .setDescription("Time from a job being due to an instance starting it")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(WAIT_BUCKETS)
                .build();
    }

    /**
     * Creates the counter series of task {@code taskName} at 0 — {@code task_executions_total} for every status and
     * {@code task_retries_total} — so that they exist from the first scrape: a series that appears only with its
     * first increment hides that increment from {@code rate()} and {@code increase()}. A name past the bound of task
     * names ({@code other}) is not pre-registered.
     */
    public void declare(String taskName) {
        String task = taskNames.bound(taskName);
        if (task.equals(FirstSeenValues.OTHER)) {
            return;
        }
        for (String status : JobConventions.STATUSES) {
            executions.add(0, Attributes.of(TASK, task, STATUS, status));
        }
        retries.add(0, Attributes.of(TASK, task));
    }

    static String stripSeconds(String name) {
        return name.substring(0, name.length() - "_seconds".length());
    }

    /** Task label → Unix seconds of its last success in this process; read by the gauge. */
    public Map<String, Double> lastSuccess() {
        return lastSuccess;
    }

    /** The execution in flight on this thread, between the interceptor and the listener. */
    private static final class InFlight {
        final String taskName;
        final String id;
        final String task;
        final Span span;
        final Context context;
        final Map<String, String> mdc;
        double seconds;
        double waitSeconds;
        Throwable error;
        String status;

        InFlight(String taskName, String id, String task, Span span, Context context, Map<String, String> mdc) {
            this.taskName = taskName;
            this.id = id;
            this.task = task;
            this.span = span;
            this.context = context;
            this.mdc = mdc;
        }

        boolean is(Execution execution) {
            return execution != null
                    && execution.taskInstance != null
                    && taskName.equals(execution.taskInstance.getTaskName())
                    && id.equals(execution.taskInstance.getId());
        }
    }

    @Override
    public CompletionHandler<?> execute(TaskInstance<?> instance, ExecutionContext ctx, ExecutionChain chain) {
        InFlight stale = inFlight.get();
        if (stale != null) {
            // The listener did not run for the previous execution on this thread: end it anyway.
            inFlight.remove();
            finish(stale, stale.error == null ? JobConventions.SUCCESS : JobConventions.FAILURE);
        }
        InFlight job;
        Map<String, String> previousMdc = MDC.getCopyOfContextMap();
        try {
            job = start(instance, ctx);
        } catch (RuntimeException e) {
            // Telemetry never stops a job from running.
            restoreMdc(previousMdc);
            log.warn("could not start the telemetry of a job execution", e);
            return chain.proceed(instance, ctx);
        }
        long t0 = System.nanoTime();
        try (Scope ignored = job.context.makeCurrent()) {
            CompletionHandler<?> result = chain.proceed(instance, ctx);
            job.seconds = (System.nanoTime() - t0) / 1e9;
            inFlight.set(job);
            return result;
        } catch (RuntimeException | Error e) {
            job.seconds = (System.nanoTime() - t0) / 1e9;
            job.error = e;
            inFlight.set(job);
            throw e;
        } finally {
            restoreMdc(previousMdc);
        }
    }

    private InFlight start(TaskInstance<?> instance, ExecutionContext ctx) {
        Execution execution = ctx.getExecution();
        String taskName = instance.getTaskName();
        String task = taskNames.bound(taskName);
        Instant now = Instant.now();
        double waited = execution == null
                ? 0
                : Math.max(0, Duration.between(execution.executionTime, now).toNanos() / 1e9);
        int failuresBefore = execution == null ? 0 : execution.consecutiveFailures;

        JobData<?> envelope = envelope(instance);
        Context parent = Context.root();
        SpanContext link = null;
        String requestId = null;
        if (envelope != null) {
            requestId = envelope.requestId();
            if (!envelope.carrier().isEmpty()) {
                Context enqueued = propagator.extract(Context.root(), envelope.carrier(), GETTER);
                if (RecurringTask.INSTANCE.equals(instance.getId())
                        || (execution != null && execution.lastSuccess != null)) {
                    // A recurring job (db-scheduler's recurring instance id, or a job that already
                    // succeeded once): each run is a trace of its own, linked to the span that
                    // scheduled it, not one ever-growing trace.
                    link = Span.fromContext(enqueued).getSpanContext();
                    parent = Baggage.fromContext(enqueued).storeInContext(Context.root());
                } else {
                    parent = enqueued;
                }
            }
        }
        SpanBuilder b = tracer.spanBuilder("process " + task)
                .setParent(parent)
                .setSpanKind(SpanKind.CONSUMER)
                .setStartTimestamp(now)
                .setAttribute("messaging.system", "db-scheduler")
                .setAttribute("messaging.operation.type", "process")
                .setAttribute("messaging.destination.name", queue)
                .setAttribute("task.name", taskName)
                .setAttribute("task.id", instance.getId())
                .setAttribute("task.retries", (long) failuresBefore)
                .setAttribute("task.queue_wait_seconds", waited);
        if (requestId != null) {
            b.setAttribute("request.id", requestId);
        }
        if (link != null && link.isValid()) {
            b.addLink(link);
        }
        Span span = b.startSpan();
        Context context = parent.with(span);

        Attributes taskOnly = Attributes.of(TASK, task);
        queueWait.record(waited, taskOnly, context);
        if (failuresBefore > 0) {
            retries.add(1, taskOnly);
        }

        MDC.put(JobConventions.MDC_TASK_ID, instance.getId());
        MDC.put(JobConventions.MDC_TASK_NAME, taskName);
        MDC.put(JobConventions.MDC_QUEUE, queue);
        MDC.put(JobConventions.MDC_RETRIES, Integer.toString(failuresBefore));
        if (requestId != null) {
            MDC.put(JobConventions.MDC_REQUEST_ID, requestId);
        } else {
            // Never the request id of whatever ran on this thread before.
            MDC.remove(JobConventions.MDC_REQUEST_ID);
        }
        InFlight job = new InFlight(taskName, instance.getId(), task, span, context, MDC.getCopyOfContextMap());
        job.waitSeconds = waited;
        return job;
    }

    private static JobData<?> envelope(TaskInstance<?> instance) {
        try {
            return instance.getData() instanceof JobData<?> d ? d : null;
        } catch (RuntimeException e) {
            // Data that cannot be read fails the job itself, in db-scheduler's own path.
            return null;
        }
    }

    /**
     * Called by the failure handlers {@code VigilJobs} builds: the failure of the execution in
     * flight on this thread ends as {@code status} ({@code retry} or {@code dead}).
     */
    public void mark(ExecutionComplete complete, String status) {
        InFlight job = inFlight.get();
        if (job != null && job.is(complete.getExecution())) {
            job.status = status;
        }
    }

    @Override
    public void onExecutionComplete(ExecutionComplete complete) {
        InFlight job = inFlight.get();
        if (job == null || !job.is(complete.getExecution())) {
            return;
        }
        inFlight.remove();
        boolean ok = complete.getResult() == ExecutionComplete.Result.OK;
        if (!ok && job.error == null) {
            job.error = complete.getCause().orElse(null);
        }
        finish(job, ok ? JobConventions.SUCCESS : job.status != null ? job.status : JobConventions.FAILURE);
    }

    private void finish(InFlight job, String status) {
        Map<String, String> previousMdc = MDC.getCopyOfContextMap();
        try {
            Span span = job.span;
            span.setAttribute("task.status", status);
            span.setAttribute("task.duration_seconds", job.seconds);
            Throwable error = JobConventions.SUCCESS.equals(status) ? null : job.error;
            if (error != null) {
                span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
                // Not Span.recordException: its message and stack trace would bypass the scrubber.
                span.addEvent(
                        "exception",
                        Attributes.of(
                                EXCEPTION_TYPE, error.getClass().getName(),
                                EXCEPTION_MESSAGE, scrubber.scrubText(String.valueOf(error.getMessage())),
                                EXCEPTION_STACKTRACE, scrubber.scrubText(stackTrace(error))));
            } else if (JobConventions.SUCCESS.equals(status)) {
                span.setStatus(StatusCode.OK);
            } else {
                span.setStatus(StatusCode.ERROR, status);
            }
            span.end();

            executions.add(1, Attributes.of(TASK, job.task, STATUS, status));
            duration.record(job.seconds, Attributes.of(TASK, job.task), job.context);
            if (JobConventions.SUCCESS.equals(status)) {
                lastSuccess.put(job.task, System.currentTimeMillis() / 1000.0);
            }
            MDC.setContextMap(job.mdc);
            try (Scope ignored = job.context.makeCurrent()) {
                log(job, status, error);
            }
        } catch (RuntimeException e) {
            log.warn("could not record the telemetry of a job execution", e);
        } finally {
            restoreMdc(previousMdc);
        }
    }

    private void log(InFlight job, String status, Throwable error) {
        Level level = switch (status) {
            case JobConventions.SUCCESS -> Level.INFO;
            case JobConventions.RETRY -> Level.WARN;
            default -> Level.ERROR;
        };
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        var b = log.atLevel(level)
                .addKeyValue("event_type", JobConventions.EVENT_TYPE)
                .addKeyValue("status", status)
                .addKeyValue("duration_seconds", job.seconds)
                .addKeyValue("queue_wait_seconds", job.waitSeconds);
        if (error != null) {
            b.addKeyValue("error_type", error.getClass().getSimpleName())
                    .addKeyValue("error_message", scrubber.scrubText(String.valueOf(error.getMessage())))
                    .setCause(error);
        }
        b.log("task " + job.taskName + " " + status);
    }

    private static void restoreMdc(Map<String, String> mdc) {
        if (mdc == null || mdc.isEmpty()) {
            MDC.clear();
        } else {
            MDC.setContextMap(mdc);
        }
    }

    private static String stackTrace(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString();
    }
}
