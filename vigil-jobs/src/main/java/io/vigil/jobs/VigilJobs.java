package io.vigil.jobs;

import com.github.kagkarlsson.scheduler.SchedulerBuilder;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.logging.LogLevel;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.internal.FirstSeenValues;
import io.vigil.jobs.internal.BacklogMonitor;
import io.vigil.jobs.internal.JobTelemetry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Observes background jobs run by <a href="https://github.com/kagkarlsson/db-scheduler">db-scheduler</a>,
 * the persistent, cluster-safe job scheduler on PostgreSQL (or any JDBC database): the request that
 * enqueued a job and the instance that runs it end up in one trace, and every execution emits the
 * contract's task metrics and one log event, with the task fields in the MDC of all its log lines.
 *
 * <pre>{@code
 * VigilJobs jobs = VigilJobs.create(vigil);
 * OneTimeTask<JobData<Mail>> sendMail = Tasks.oneTime("send_mail", JobData.<Mail>type())
 *         .onFailure(jobs.retries(RetryPolicy.exponential(Duration.ofSeconds(10), 5)))
 *         .execute((job, ctx) -> mailer.send(job.getData().data()));
 * Scheduler scheduler = jobs.instrument(Scheduler.create(dataSource, sendMail)).build();
 * jobs.declare(sendMail); // its task series at 0 from the first scrape
 * jobs.monitorBacklog(dataSource);
 * scheduler.start();
 * // in a request:
 * jobs.enqueue(scheduler, sendMail, UUID.randomUUID().toString(), mail);
 * }</pre>
 *
 * <p>What one execution emits: a {@code CONSUMER} span {@code process <task>} (child of the
 * enqueuing span; for a job that already succeeded once — a recurring one — a new trace linked to
 * it) with {@code task.name}, {@code task.id}, {@code task.retries}, {@code task.status}, {@code
 * request.id}; {@code task_executions_total{task,status}}, {@code task_duration_seconds{task}},
 * {@code task_queue_wait_seconds{task}}, {@code task_retries_total{task}}; one log event ({@code
 * event_type=task}, {@code status}, {@code duration_seconds}, INFO/WARN for a retry/ERROR); the
 * MDC fields {@code task_id}, {@code task_name}, {@code queue}, {@code retries} (and the enqueuing
 * {@code request_id}) on every log line of the job, cleared afterwards. See {@link JobConventions}.
 *
 * <p>Thread-safe; one instance per service (its gauges are registered once). Telemetry failures
 * never fail a job. {@link #close()} stops the backlog count and unregisters the gauges.
 */
public final class VigilJobs implements AutoCloseable {
    /** Distinct task names kept as label values; further ones become {@code other}. */
    public static final int MAX_TASKS = 100;

    private static final AttributeKey<String> TASK = AttributeKey.stringKey(JobConventions.TASK_LABEL);

    private final TextMapPropagator propagator;
    private final String table;
    private final Duration backlogPeriod;
    private final FirstSeenValues taskNames = new FirstSeenValues(MAX_TASKS);
    // Read by the backlog monitor at each count.
    private final Set<String> declaredTasks = ConcurrentHashMap.newKeySet();
    private final JobTelemetry telemetry;
    private final Logger log;
    private final List<AutoCloseable> instruments = new ArrayList<>();
    private volatile BacklogMonitor backlog;

    private VigilJobs(Builder b) {
        this.propagator = b.openTelemetry.getPropagators().getTextMapPropagator();
        this.table = b.table;
        this.backlogPeriod = b.backlogPeriod;
        Meter meter = b.openTelemetry.getMeter("io.vigil.jobs");
        this.telemetry = new JobTelemetry(
                b.openTelemetry.getTracer("io.vigil.jobs"),
                meter,
                propagator,
                b.scrubber,
                b.queue != null ? b.queue : b.table,
                taskNames,
                b.loggerFactory.getLogger("vigil.jobs"));
        this.log = b.loggerFactory.getLogger("vigil.jobs");
        instruments.add(meter.gaugeBuilder(JobConventions.DUE_JOBS)
                .setDescription("Jobs due and not yet picked, per task")
                .ofLongs()
                .buildWithCallback(m -> {
                    BacklogMonitor monitor = backlog;
                    if (monitor != null) {
                        monitor.latest().forEach((task, n) -> m.record(n.due(), Attributes.of(TASK, task)));
                    }
                }));
        instruments.add(meter.gaugeBuilder(withoutSeconds(JobConventions.OLDEST_WAIT))
                .setDescription("Age of the oldest due, unpicked job, per task")
                .setUnit("s")
                .buildWithCallback(m -> {
                    BacklogMonitor monitor = backlog;
                    if (monitor != null) {
                        monitor.latest()
                                .forEach((task, n) -> m.record(n.oldestWaitSeconds(), Attributes.of(TASK, task)));
                    }
                }));
        instruments.add(meter.counterBuilder(JobConventions.BACKLOG_FAILURES)
                .setDescription("Failed counts of the job backlog")
                .buildWithCallback(m -> {
                    BacklogMonitor monitor = backlog;
                    if (monitor != null) {
                        m.record(monitor.failures());
                    }
                }));
        instruments.add(meter.gaugeBuilder(withoutSeconds(JobConventions.LAST_SUCCESS))
                .setDescription("When an execution of the task last succeeded (Unix seconds)")
                .setUnit("s")
                .buildWithCallback(m ->
                        telemetry.lastSuccess().forEach((task, t) -> m.record(t, Attributes.of(TASK, task)))));
    }

    private static String withoutSeconds(String name) {
        return name.substring(0, name.length() - "_seconds".length());
    }

    /** Jobs observed with {@code vigil}'s OpenTelemetry and scrubber, default settings. */
    public static VigilJobs create(Vigil vigil) {
        return builder(vigil).build();
    }

    /**
     * Starts configuring jobs observed with {@code vigil}'s OpenTelemetry and scrubber, and lists
     * {@link JobConventions#KIND} in {@code vigil.operations().catalogue()}, where dashboards and
     * alerts find their instruments.
     */
    public static Builder builder(Vigil vigil) {
        vigil.operations().register(JobConventions.KIND);
        // The runtime's logger factory: the job events go where the runtime's own events go (a test's context too).
        return new Builder(vigil.openTelemetry(), vigil.operations().scrubber()).loggerFactory(vigil.loggerFactory());
    }

    /** Starts configuring jobs observed with any OpenTelemetry instance and scrubber. */
    public static Builder builder(OpenTelemetry openTelemetry, Scrubber scrubber) {
        return new Builder(openTelemetry, scrubber);
    }

    /**
     * Adds the instrumentation to a scheduler being built: an execution interceptor and a
     * listener, and db-scheduler's own failure log turned down to DEBUG without stack trace (this
     * library's log event replaces it, scrubbed). Returns {@code builder}.
     */
    public SchedulerBuilder instrument(SchedulerBuilder builder) {
        return builder.addExecutionInterceptor(telemetry)
                .addSchedulerListener(telemetry)
                .failureLogging(LogLevel.DEBUG, false);
    }

    /**
     * Declares tasks the scheduler runs (those given to {@code Scheduler.create}, recurring ones too), so that their
     * {@code task_executions_total{task,status}} (every status: success, failure, retry, dead) and {@code
     * task_retries_total{task}} series exist at 0 from the first scrape: a counter series that appears only with its
     * first increment hides that increment from {@code rate()} and {@code increase()}, so the first failure of a task
     * would not show; with {@link #monitorBacklog} its {@code task_queue_due_jobs} and {@code
     * task_queue_oldest_wait_seconds} series exist at 0 too. A task not declared appears with its first execution (its
     * backlog with its first due job), as before. db-scheduler's builder does not
     * tell its tasks, hence this call. Returns this instance.
     */
    public VigilJobs declare(Task<?>... tasks) {
        for (Task<?> task : tasks) {
            telemetry.declare(task.getName());
            String label = taskNames.bound(task.getName());
            if (!label.equals(FirstSeenValues.OTHER)) {
                declaredTasks.add(label);
            }
        }
        return this;
    }

    /**
     * {@code data} with the current trace context and request id ({@code request_id} in the MDC),
     * to be stored with a job. Call it on the thread of the request that enqueues the job.
     */
    public <T> JobData<T> data(T data) {
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(Context.current(), carrier, (c, k, v) -> c.put(k, v));
        return new JobData<>(carrier, MDC.get(JobConventions.MDC_REQUEST_ID), data);
    }

    /**
     * Enqueues a job due now, with the current trace context and request id; does nothing when a
     * job of that task with that id exists. Returns whether it was enqueued.
     */
    public <T> boolean enqueue(SchedulerClient client, Task<JobData<T>> task, String id, T data) {
        return enqueue(client, task, id, data, Instant.now());
    }

    /** {@link #enqueue(SchedulerClient, Task, String, Object)}, due at {@code due}. */
    public <T> boolean enqueue(SchedulerClient client, Task<JobData<T>> task, String id, T data, Instant due) {
        return client.scheduleIfNotExists(new TaskInstance<>(task.getName(), id, data(data)), due);
    }

    /**
     * db-scheduler's {@code MaxRetriesFailureHandler} logic around its {@code
     * ExponentialBackoffFailureHandler}, configured by {@code policy}, reporting each failure as
     * {@code retry} or, past the limit, {@code dead} (the job is then removed). Unlike db-scheduler's
     * handler it logs nothing of its own: a dead job yields exactly one ERROR line, its {@code dead}
     * log event. Use it as a task's {@code onFailure}.
     */
    public <T> FailureHandler<T> retries(RetryPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        FailureHandler<T> backoff =
                new FailureHandler.ExponentialBackoffFailureHandler<>(policy.firstDelay(), policy.multiplier());
        FailureHandler<T> countedBackoff = (complete, operations) -> {
            telemetry.mark(complete, JobConventions.RETRY);
            backoff.onFailure(complete, operations);
        };
        // db-scheduler's MaxRetriesFailureHandler, but without the ERROR line it logs when the retries
        // are exhausted: the job's one "dead" log event (JobTelemetry) already says it, with the task
        // fields, the scrubbed error and the trace; a second ERROR would page twice for one job.
        int maxRetries = policy.maxRetries();
        return (complete, operations) -> {
            int failures = complete.getExecution().consecutiveFailures + 1;
            if (failures > maxRetries) {
                operations.stop();
                telemetry.mark(complete, JobConventions.DEAD);
            } else {
                countedBackoff.onFailure(complete, operations);
            }
        };
    }

    /**
     * Serves the backlog gauges ({@code task_queue_due_jobs}, {@code task_queue_oldest_wait_seconds})
     * from a count of the scheduler's table every {@link Builder#backlogPeriod} on a daemon thread of
     * its own. Calling it again does nothing.
     */
    public synchronized void monitorBacklog(DataSource dataSource) {
        if (backlog == null) {
            BacklogMonitor monitor = new BacklogMonitor(dataSource, table, taskNames, declaredTasks, log);
            monitor.start(backlogPeriod);
            backlog = monitor;
        }
    }

    /** Counts the backlog now, on the calling thread (after {@link #monitorBacklog}); never throws. */
    public void refreshBacklog() {
        BacklogMonitor monitor = backlog;
        if (monitor != null) {
            monitor.refresh();
        }
    }

    /** Stops the backlog count and unregisters the gauges. */
    @Override
    public synchronized void close() {
        if (backlog != null) {
            backlog.close();
        }
        for (AutoCloseable instrument : instruments) {
            try {
                instrument.close();
            } catch (Exception e) {
                // An observable instrument's close does not fail; nothing to report.
            }
        }
    }

    /** Configures {@link VigilJobs}. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private final Scrubber scrubber;
        private String table = "scheduled_tasks";
        private String queue;
        private Duration backlogPeriod = Duration.ofSeconds(15);
        private ILoggerFactory loggerFactory = LoggerFactory.getILoggerFactory();

        private Builder(OpenTelemetry openTelemetry, Scrubber scrubber) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            this.scrubber = Objects.requireNonNull(scrubber, "scrubber");
        }

        /** The scheduler's table (db-scheduler's {@code tableName}); default {@code scheduled_tasks}. */
        public Builder tableName(String table) {
            this.table = Objects.requireNonNull(table, "table");
            return this;
        }

        /** The {@code queue} log field and {@code messaging.destination.name}; default the table name. */
        public Builder queue(String queue) {
            this.queue = Objects.requireNonNull(queue, "queue");
            return this;
        }

        /** How often the backlog is counted; default 15 s. */
        public Builder backlogPeriod(Duration period) {
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("backlogPeriod must be positive: " + period);
            }
            this.backlogPeriod = period;
            return this;
        }

        /**
         * Where the job log events ({@code vigil.jobs}) go; default SLF4J's, {@link #builder(Vigil)} sets the
         * runtime's ({@link Vigil#loggerFactory()}).
         */
        public Builder loggerFactory(ILoggerFactory loggerFactory) {
            this.loggerFactory = Objects.requireNonNull(loggerFactory, "loggerFactory");
            return this;
        }

        /** The configured instance; registers its gauges. */
        public VigilJobs build() {
            return new VigilJobs(this);
        }
    }
}
