package io.vigil.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vigil.core.ContextPropagation;
import io.vigil.test.LogEvent;
import io.vigil.test.TestDatabase;
import io.vigil.test.VigilExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What vigil-jobs promises, on one database: the subclasses run it on PostgreSQL and on H2. All
 * tests share the class's database and use task names of their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JobsContract {
    private static final Logger LOG = LoggerFactory.getLogger("app.jobs");
    private static final Duration AWAIT = Duration.ofSeconds(30);

    @RegisterExtension
    // The job's own lines (application code, on the global logger) are part of what these tests check.
    final VigilExtension telemetry = VigilExtension.create().capturingApplicationLogs();

    private TestDatabase db;
    private VigilJobs jobs;
    private final List<Scheduler> schedulers = new ArrayList<>();
    private String prefix;

    abstract TestDatabase newDatabase();

    @BeforeAll
    void database() {
        db = newDatabase();
    }

    @AfterAll
    void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void jobs(TestInfo test) {
        jobs = VigilJobs.create(telemetry.runtime());
        prefix = test.getTestMethod().orElseThrow().getName().toLowerCase() + "_";
    }

    @AfterEach
    void stopSchedulers() {
        schedulers.forEach(Scheduler::stop);
        schedulers.clear();
        jobs.close();
        MDC.clear();
    }

    private Scheduler scheduler(String name, int threads, Task<?>... tasks) {
        Scheduler s = jobs.instrument(Scheduler.create(db.dataSource(), tasks))
                .schedulerName(() -> name)
                .pollingInterval(Duration.ofMillis(50))
                .threads(threads)
                .shutdownMaxWait(Duration.ofSeconds(5))
                .build();
        schedulers.add(s);
        return s;
    }

    private Scheduler started(String name, Task<?>... tasks) {
        Scheduler s = scheduler(name, 2, tasks);
        s.start();
        return s;
    }

    private double metric(String name, String task, String status) {
        Map<String, String> labels = status == null ? Map.of("task", task) : Map.of("task", task, "status", status);
        return telemetry.metrics().value(name, labels);
    }

    private SpanData consumerSpan(String task) {
        return telemetry.span("process " + task);
    }

    @Test
    void theEnqueuingRequestsTraceContinuesInTheInstanceThatRunsTheJob() {
        String task = prefix + "send";
        List<String> ranOn = new CopyOnWriteArrayList<>();
        List<Map<String, String>> mdc = new CopyOnWriteArrayList<>();
        OneTimeTask<JobData<String>> send = Tasks.oneTime(task, JobData.<String>type())
                .execute((job, ctx) -> {
                    ranOn.add(ctx.getExecution().pickedBy);
                    LOG.info("sending {}", job.getData().data());
                    mdc.add(MDC.getCopyOfContextMap());
                });
        // Instance A only enqueues (it is never started); instance B runs the job.
        Scheduler a = scheduler("instance-a", 1, send);
        started("instance-b", send);

        Tracer tracer = telemetry.runtime().openTelemetry().getTracer("test");
        Span request =
                tracer.spanBuilder("POST /signup").setSpanKind(SpanKind.SERVER).startSpan();
        MDC.put("request_id", "req-42");
        try (Scope ignored = request.makeCurrent()) {
            assertThat(jobs.enqueue(a, send, "welcome-1", "welcome mail")).isTrue();
        } finally {
            request.end();
            MDC.remove("request_id");
        }

        // The task log event is the execution's last signal (after the span, the counter, the durations).
        await().atMost(AWAIT)
                .until(() ->
                        telemetry.metrics().value(JobConventions.EXECUTIONS, Map.of("task", task, "status", "success"))
                                        == 1
                                && telemetry.logs("task").size() == 1);
        SpanData consumer = consumerSpan(task);
        assertThat(ranOn).containsExactly("instance-b");
        assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(consumer.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
        assertThat(consumer.getParentSpanId())
                .isEqualTo(request.getSpanContext().getSpanId());
        assertThat(consumer.getAttributes().asMap().toString())
                .contains("task.name=" + task, "task.id=welcome-1", "request.id=req-42", "task.status=success");
        assertThat(consumer.getStatus().getStatusCode()).isEqualTo(StatusCode.OK);
        assertThat(mdc.getFirst())
                .containsEntry("task_id", "welcome-1")
                .containsEntry("task_name", task)
                .containsEntry("queue", "scheduled_tasks")
                .containsEntry("retries", "0")
                .containsEntry("request_id", "req-42");
        LogEvent line = telemetry.logs().stream()
                .filter(e -> e.message().equals("sending welcome mail"))
                .findFirst()
                .orElseThrow();
        assertThat(line.traceId()).isEqualTo(request.getSpanContext().getTraceId());
        assertThat(line.spanId()).isEqualTo(consumer.getSpanId());

        LogEvent event = telemetry.logs("task").getFirst();
        assertThat(event.level()).isEqualTo("INFO");
        assertThat(event.fields()).containsEntry("status", "success").containsKey("duration_seconds");
        assertThat(event.mdc()).containsEntry("task_id", "welcome-1").containsEntry("task_name", task);
        assertThat(event.spanId()).isEqualTo(consumer.getSpanId());
        assertThat(metric("task_duration_seconds_count", task, null)).isEqualTo(1);
        assertThat(metric("task_queue_wait_seconds_count", task, null)).isEqualTo(1);
        assertThat(metric(JobConventions.RETRIES, task, null)).isZero();
        assertThat(telemetry.metrics().find(JobConventions.LAST_SUCCESS, Map.of("task", task)))
                .hasValueSatisfying(
                        s -> assertThat(s.value()).isGreaterThan(Instant.now().getEpochSecond() - 60.0));
    }

    @Test
    void aFailingJobRetriesWithBackoffIsCountedAndEndsDeadAfterItsLimit() {
        String task = prefix + "notify";
        List<Instant[]> attempts = new CopyOnWriteArrayList<>(); // {due, started}
        OneTimeTask<JobData<String>> notify = Tasks.oneTime(task, JobData.<String>type())
                .onFailure(jobs.retries(new RetryPolicy(Duration.ofMillis(200), 2.0, 2)))
                .execute((job, ctx) -> {
                    attempts.add(new Instant[] {ctx.getExecution().executionTime, Instant.now()});
                    throw new IllegalStateException("webhook refused the mail to j.doe@example.com");
                });
        Scheduler s = started("instance-a", notify);
        jobs.enqueue(s, notify, "n-1", "payload");

        // The dead attempt's metric, span and log event are written one after the other on the scheduler's thread:
        // wait for all three, not the first alone.
        await().atMost(AWAIT)
                .until(() -> metric(JobConventions.EXECUTIONS, task, "dead") == 1
                        && telemetry.logs("task").size() == 3
                        && telemetry.spans().stream()
                                        .filter(sp -> sp.getName().equals("process " + task))
                                        .count()
                                == 3);
        assertThat(attempts).hasSize(3);
        assertThat(metric(JobConventions.EXECUTIONS, task, "retry")).isEqualTo(2);
        assertThat(metric(JobConventions.EXECUTIONS, task, "success")).isZero();
        assertThat(metric(JobConventions.EXECUTIONS, task, "failure")).isZero();
        assertThat(metric(JobConventions.RETRIES, task, null)).isEqualTo(2);
        // Backoff: each retry was due at least the policy's delay after the failed attempt, doubling.
        Duration firstGap = Duration.between(attempts.get(0)[1], attempts.get(1)[0]);
        Duration secondGap = Duration.between(attempts.get(1)[1], attempts.get(2)[0]);
        assertThat(firstGap).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(secondGap).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        // Dead: removed from the table, never run again.
        assertThat(SchedulerTables.rows(db, task)).isZero();

        List<SpanData> spans = telemetry.spans().stream()
                .filter(sp -> sp.getName().equals("process " + task))
                .toList();
        assertThat(spans).hasSize(3);
        assertThat(spans)
                .allSatisfy(sp -> assertThat(sp.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR));
        assertThat(spans.stream().map(sp -> sp.getAttributes().asMap().toString()))
                .anySatisfy(a -> assertThat(a).contains("task.status=dead", "task.retries=2"));
        assertThat(spans.getFirst()
                        .getEvents()
                        .getFirst()
                        .getAttributes()
                        .asMap()
                        .toString())
                .contains("j***@example.com")
                .doesNotContain("j.doe@example.com");

        List<LogEvent> events = telemetry.logs("task");
        assertThat(events).extracting(LogEvent::level).containsExactly("WARN", "WARN", "ERROR");
        assertThat(events).extracting(e -> e.field("status")).containsExactly("retry", "retry", "dead");
        assertThat(events).extracting(e -> e.mdc().get("retries")).containsExactly("0", "1", "2");
        assertThat(events.getLast().fields())
                .containsEntry("error_type", "IllegalStateException")
                .containsEntry("error_message", "webhook refused the mail to j***@example.com");
        assertThat(events.getLast().exceptionType()).isEqualTo(IllegalStateException.class.getName());
        assertThat(telemetry.logs()).noneSatisfy(e -> assertThat(e.allText()).contains("j.doe@example.com"));
        // One dead job, one ERROR line of all the application's (db-scheduler's own logger included):
        // the dead event; db-scheduler's "Execution has failed 3 times ... Cancelling execution" is not
        // written twice over it.
        assertThat(telemetry.logs())
                .filteredOn(e -> e.level().equals("ERROR"))
                .singleElement()
                .satisfies(e -> assertThat(e.field("status")).isEqualTo("dead"));
    }

    @Test
    void aFailureHandledByTheApplicationsOwnHandlerCountsAsFailure() {
        String task = prefix + "import";
        OneTimeTask<JobData<String>> imp = Tasks.oneTime(task, JobData.<String>type())
                .onFailure((complete, operations) -> operations.stop())
                .execute((job, ctx) -> {
                    throw new IllegalArgumentException("bad row");
                });
        Scheduler s = started("own-handler", imp);
        jobs.enqueue(s, imp, "i-1", "rows");

        // Until the execution's last signal, its log event, not only its counter.
        await().atMost(AWAIT)
                .until(() -> metric(JobConventions.EXECUTIONS, task, "failure") == 1
                        && telemetry.logs("task").size() == 1);
        assertThat(metric(JobConventions.EXECUTIONS, task, "dead") + metric(JobConventions.EXECUTIONS, task, "retry"))
                .isZero();
        SpanData span = consumerSpan(task);
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(span.getAttributes().asMap().toString()).contains("task.status=failure");
        assertThat(telemetry.logs("task"))
                .singleElement()
                .satisfies(e -> assertThat(e.level()).isEqualTo("ERROR"))
                .satisfies(e -> assertThat(e.fields()).containsEntry("error_type", "IllegalArgumentException"));
    }

    @Test
    void aJobQueuedWhileNoSchedulerRunsRunsOnceAfterANewOneStarts() {
        String task = prefix + "purge";
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        OneTimeTask<JobData<Integer>> purge = Tasks.oneTime(task, JobData.<Integer>type())
                .execute((job, ctx) -> runs.computeIfAbsent(job.getId(), k -> new AtomicInteger())
                        .incrementAndGet());
        Scheduler before = started("before-restart", purge);
        before.stop();
        for (int i = 0; i < 10; i++) {
            jobs.enqueue(before, purge, "p-" + i, i); // the stopped scheduler still writes to the table
        }
        assertThat(runs).isEmpty();
        assertThat(SchedulerTables.rows(db, task)).isEqualTo(10);

        // Two new instances share the table: each job runs exactly once, on one of them.
        started("after-restart-1", purge);
        started("after-restart-2", purge);
        // db-scheduler deletes a done job's row before its listeners (Vigil's telemetry) hear of it: the count too.
        await().atMost(AWAIT)
                .until(() -> SchedulerTables.rows(db, task) == 0
                        && runs.size() == 10
                        && metric(JobConventions.EXECUTIONS, task, "success") == 10);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }

    @Test
    void logsOfAJobCarryItsTaskFieldsAndNotThePreviousJobs() throws Exception {
        String task = prefix + "report";
        ExecutorService handOff = ContextPropagation.wrap(Executors.newSingleThreadExecutor());
        try {
            OneTimeTask<JobData<String>> report = Tasks.oneTime(task, JobData.<String>type())
                    .execute((job, ctx) -> {
                        LOG.info("building {}", job.getData().data());
                        try {
                            handOff.submit(() -> LOG.info(
                                            "rendering {}", job.getData().data()))
                                    .get();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            // One thread: the second job runs on the thread the first one used.
            Scheduler s = scheduler("single", 1, report);
            MDC.put("request_id", "req-first");
            jobs.enqueue(s, report, "r-1", "first");
            MDC.remove("request_id");
            jobs.enqueue(s, report, "r-2", "second", Instant.now().plusMillis(100));
            s.start();
            await().atMost(AWAIT).until(() -> metric(JobConventions.EXECUTIONS, task, "success") == 2);

            Map<String, Map<String, String>> mdcByMessage = new ConcurrentHashMap<>();
            telemetry.logs().forEach(e -> mdcByMessage.put(e.message(), e.mdc()));
            assertThat(mdcByMessage.get("building first"))
                    .containsEntry("task_id", "r-1")
                    .containsEntry("request_id", "req-first");
            assertThat(mdcByMessage.get("rendering first"))
                    .containsEntry("task_id", "r-1")
                    .containsEntry("task_name", task);
            assertThat(mdcByMessage.get("building second"))
                    .containsEntry("task_id", "r-2")
                    .containsEntry("retries", "0")
                    .doesNotContainKey("request_id");
            assertThat(mdcByMessage.get("rendering second"))
                    .containsEntry("task_id", "r-2")
                    .doesNotContainKey("request_id");
            // After the jobs, nothing of them stays on the scheduler's or the hand-off thread.
            assertThat(telemetry.logs().stream()
                            .filter(e -> e.logger().startsWith("com.github.kagkarlsson"))
                            .map(LogEvent::mdc))
                    .allSatisfy(m -> assertThat(m).doesNotContainKeys("task_id", "task_name"));
            assertThat(handOff.submit(MDC::getCopyOfContextMap).get()).isNullOrEmpty();
        } finally {
            handOff.shutdownNow();
        }
    }

    @Test
    void aRecurringJobRunsInTracesOfItsOwnLinkedToTheSpanThatScheduledIt() {
        String task = prefix + "cleanup";
        AtomicInteger runs = new AtomicInteger();
        RecurringTask<JobData<String>> cleanup = Tasks.recurring(
                        task, FixedDelay.of(Duration.ofMillis(100)), JobData.<String>type())
                .execute((job, ctx) -> runs.incrementAndGet());
        Scheduler s = scheduler("recurring", 1, cleanup);
        s.start();
        Span admin = telemetry
                .runtime()
                .openTelemetry()
                .getTracer("test")
                .spanBuilder("PUT /admin/cleanup")
                .startSpan();
        try (Scope ignored = admin.makeCurrent()) {
            s.schedule(cleanup.instance(RecurringTask.INSTANCE, jobs.data("tokens")), Instant.now());
        } finally {
            admin.end();
        }
        await().atMost(AWAIT).until(() -> metric(JobConventions.EXECUTIONS, task, "success") >= 2);

        List<SpanData> spans = telemetry.spans().stream()
                .filter(sp -> sp.getName().equals("process " + task))
                .toList();
        assertThat(spans).hasSizeGreaterThanOrEqualTo(2);
        assertThat(spans).allSatisfy(sp -> {
            assertThat(sp.getParentSpanContext().isValid()).isFalse();
            assertThat(sp.getLinks()).singleElement().satisfies(l -> {
                assertThat(l.getSpanContext().getTraceId())
                        .isEqualTo(admin.getSpanContext().getTraceId());
                assertThat(l.getSpanContext().getSpanId())
                        .isEqualTo(admin.getSpanContext().getSpanId());
            });
        });
        assertThat(spans.get(0).getTraceId()).isNotEqualTo(spans.get(1).getTraceId());
        assertThat(telemetry.metrics().find(JobConventions.LAST_SUCCESS, Map.of("task", task)))
                .isPresent();
        assertThat(SchedulerTables.rows(db, task)).isEqualTo(1); // rescheduled, never removed
    }

    @Test
    void theBacklogGaugesComeFromABackgroundCount() {
        String task = prefix + "export";
        Set<String> ran = ConcurrentHashMap.newKeySet();
        OneTimeTask<JobData<String>> export =
                Tasks.oneTime(task, JobData.<String>type()).execute((job, ctx) -> ran.add(job.getId()));
        Scheduler s = scheduler("backlog", 2, export);
        Instant due = Instant.now().minusSeconds(30);
        for (int i = 0; i < 3; i++) {
            jobs.enqueue(s, export, "e-" + i, "x", due);
        }
        jobs.monitorBacklog(db.dataSource());
        jobs.refreshBacklog();
        assertThat(metric(JobConventions.DUE_JOBS, task, null)).isEqualTo(3);
        assertThat(metric(JobConventions.OLDEST_WAIT, task, null)).isGreaterThanOrEqualTo(30);

        s.start();
        await().atMost(AWAIT).until(() -> ran.size() == 3 && SchedulerTables.rows(db, task) == 0);
        jobs.refreshBacklog();
        assertThat(telemetry.metrics().find(JobConventions.DUE_JOBS, Map.of("task", task)))
                .hasValueSatisfying(v -> assertThat(v.value()).isZero());
        assertThat(metric(JobConventions.OLDEST_WAIT, task, null)).isZero();
        // The first of them waited since it was due: the queue-wait histogram saw at least 30 s.
        assertThat(metric("task_queue_wait_seconds_sum", task, null)).isGreaterThanOrEqualTo(90);
    }
}
