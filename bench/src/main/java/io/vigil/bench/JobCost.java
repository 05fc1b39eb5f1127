package io.vigil.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerBuilder;
import com.github.kagkarlsson.scheduler.event.ExecutionChain;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.Execution;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.ExecutionHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.vigil.core.Scrubber;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import io.vigil.core.internal.FirstSeenValues;
import io.vigil.jobs.JobData;
import io.vigil.jobs.VigilJobs;
import io.vigil.jobs.internal.JobTelemetry;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * What observing a db-scheduler job costs, next to what db-scheduler itself spends per execution;
 * CPU time and allocation, not wall-clock time, so a loaded machine moves the numbers little.
 *
 * <ul>
 *   <li>{@code hook}: the instrumentation alone — interceptor (span, MDC, queue wait) and listener
 *       (counters, histogram, log event, span end) around a job body that does nothing — against
 *       the bare body, alternating 200 ms phases on one thread: thread CPU ns and bytes per job.
 *   <li>{@code scheduler}: whole executions through a real scheduler on an in-memory H2 (polling,
 *       locking, the row's update or delete), bare vs instrumented, alternating rounds of
 *       {@code jobs} executions: process CPU ns per job (every thread: scheduler, H2, span export).
 * </ul>
 *
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar io.vigil.bench.JobCost hook [rounds]
 * java -cp bench/target/benchmarks.jar io.vigil.bench.JobCost scheduler [rounds] [jobs]
 * }</pre>
 */
public final class JobCost {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private JobCost() {}

    public static void main(String[] args) throws Exception {
        BenchSupport.jsonLogsToNowhere(ch.qos.logback.classic.Level.INFO);
        String suite = args.length > 0 ? args[0] : "hook";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        try (Vigil vigil = Vigil.builder()
                .config(VigilConfig.builder().serviceName("bench").build())
                .runtimeMetrics(false)
                .customizeSdk(sdk -> sdk.addTracerProviderCustomizer(
                        (t, cfg) -> t.addSpanProcessor(BatchSpanProcessor.builder(BenchSupport.discardingExporter())
                                .build())))
                .build()) {
            System.out.printf(Locale.ROOT, "load average at start: %.1f%n", OS.getSystemLoadAverage());
            switch (suite) {
                case "hook" -> hook(vigil, rounds);
                case "scheduler" -> scheduler(vigil, rounds, args.length > 2 ? Integer.parseInt(args[2]) : 2000);
                default -> throw new IllegalArgumentException("hook or scheduler: " + suite);
            }
            System.out.printf(Locale.ROOT, "load average at end: %.1f%n", OS.getSystemLoadAverage());
        }
    }

    private static void hook(Vigil vigil, int rounds) {
        JobTelemetry telemetry = new JobTelemetry(
                vigil.openTelemetry().getTracer("io.vigil.jobs"),
                vigil.openTelemetry().getMeter("io.vigil.jobs"),
                vigil.openTelemetry().getPropagators().getTextMapPropagator(),
                Scrubber.defaults(),
                "scheduled_tasks",
                new FirstSeenValues(100),
                vigil.loggerFactory().getLogger("vigil.jobs"));
        VigilJobs jobs = VigilJobs.create(vigil);
        JobData<String> data;
        Span request =
                vigil.openTelemetry().getTracer("bench").spanBuilder("request").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            data = jobs.data("payload");
        } finally {
            request.end();
        }
        TaskInstance<JobData<String>> instance = new TaskInstance<>("bench_task", "job-1", data);
        Execution execution = new Execution(Instant.now(), instance);
        ExecutionContext ctx = new ExecutionContext(null, execution, null, null);
        ExecutionHandler<JobData<String>> body = (i, c) -> (complete, operations) -> {};
        ExecutionChain chain = new ExecutionChain(List.of(), body);
        Instant start = Instant.now();
        ExecutionComplete complete = ExecutionComplete.success(execution, start, start);

        Runnable bare = () -> chain.proceed(instance, ctx);
        Runnable observed = () -> {
            CompletionHandler<?> h = telemetry.execute(instance, ctx, chain);
            telemetry.onExecutionComplete(complete);
            if (h == null) {
                throw new AssertionError();
            }
        };
        long phase = 200_000_000L;
        for (int i = 0; i < 15; i++) { // warm-up: both compiled before anything counts
            phase(observed, phase);
            phase(bare, phase);
        }
        List<Double> cpuObserved = new ArrayList<>();
        List<Double> cpuBare = new ArrayList<>();
        List<Double> allocObserved = new ArrayList<>();
        List<Double> allocBare = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double[] a = r % 2 == 0 ? phase(observed, phase) : null;
            double[] b = phase(bare, phase);
            if (a == null) {
                a = phase(observed, phase);
            }
            cpuObserved.add(a[0]);
            allocObserved.add(a[1]);
            cpuBare.add(b[0]);
            allocBare.add(b[1]);
        }
        System.out.printf(
                Locale.ROOT,
                "hook: %d rounds of 200 ms per variant, medians per job (quartiles)%n"
                        + "  instrumented %8.0f ns cpu (%.0f–%.0f) %7.0f B%n"
                        + "  bare body    %8.0f ns cpu (%.0f–%.0f) %7.0f B%n",
                rounds,
                q(cpuObserved, 2),
                q(cpuObserved, 1),
                q(cpuObserved, 3),
                q(allocObserved, 2),
                q(cpuBare, 2),
                q(cpuBare, 1),
                q(cpuBare, 3),
                q(allocBare, 2));
        jobs.close();
    }

    /** {thread CPU ns per op, bytes per op} of running {@code op} for about {@code nanos} of wall time. */
    private static double[] phase(Runnable op, long nanos) {
        long thread = Thread.currentThread().threadId();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long alloc0 = THREADS.getThreadAllocatedBytes(thread);
        long end = System.nanoTime() + nanos;
        long n = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 100; i++) {
                op.run();
            }
            n += 100;
        }
        return new double[] {
            (double) (THREADS.getCurrentThreadCpuTime() - cpu0) / n,
            (double) (THREADS.getThreadAllocatedBytes(thread) - alloc0) / n
        };
    }

    private static void scheduler(Vigil vigil, int rounds, int jobsPerRound) throws Exception {
        VigilJobs jobs = VigilJobs.create(vigil);
        DataSource ds = h2();
        List<Double> observed = new ArrayList<>();
        List<Double> bare = new ArrayList<>();
        for (int r = -2; r < rounds; r++) { // two rounds of warm-up
            boolean observedFirst = Math.floorMod(r, 2) == 0;
            double first = round(ds, jobsPerRound, observedFirst ? jobs::instrument : b -> b, jobs);
            double second = round(ds, jobsPerRound, observedFirst ? b -> b : jobs::instrument, jobs);
            if (r >= 0) {
                observed.add(observedFirst ? first : second);
                bare.add(observedFirst ? second : first);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "scheduler (H2 in memory, %d no-op jobs per round, %d rounds each): process CPU per job, medians"
                        + " (quartiles)%n  instrumented %8.0f ns (%.0f–%.0f)%n  bare         %8.0f ns (%.0f–%.0f)%n",
                jobsPerRound,
                rounds,
                q(observed, 2),
                q(observed, 1),
                q(observed, 3),
                q(bare, 2),
                q(bare, 1),
                q(bare, 3));
        jobs.close();
    }

    /** Process CPU ns per job for {@code n} jobs enqueued, then run by a fresh scheduler. */
    private static double round(
            DataSource ds, int n, Function<SchedulerBuilder, SchedulerBuilder> instrument, VigilJobs jobs)
            throws InterruptedException {
        CountDownLatch done = new CountDownLatch(n);
        String name = "bench_" + UUID.randomUUID().toString().substring(0, 8);
        OneTimeTask<JobData<String>> task = Tasks.oneTime(name, JobData.<String>type())
                .execute((job, ctx) -> {
                    // A real job reads its data: deserialising it is part of both variants.
                    if (job.getData().data() != null) {
                        done.countDown();
                    }
                });
        Scheduler scheduler = instrument
                .apply(Scheduler.create(ds, task))
                .pollingInterval(Duration.ofMillis(20))
                .threads(4)
                .build();
        List<TaskInstance<?>> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batch.add(new TaskInstance<>(name, "j" + i, jobs.data("payload")));
        }
        scheduler.scheduleBatch(batch, Instant.now());
        long cpu0 = OS.getProcessCpuTime();
        scheduler.start();
        if (!done.await(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("jobs did not finish");
        }
        long cpu = OS.getProcessCpuTime() - cpu0;
        scheduler.stop();
        return (double) cpu / n;
    }

    private static DataSource h2() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:jobcost;DB_CLOSE_DELAY=-1");
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            s.execute("create table scheduled_tasks (task_name varchar(100) not null, task_instance varchar(100) not"
                    + " null, task_data blob, execution_time timestamp with time zone not null, picked boolean not"
                    + " null, picked_by varchar(50), last_success timestamp with time zone, last_failure timestamp"
                    + " with time zone, consecutive_failures int, last_heartbeat timestamp with time zone, version"
                    + " bigint not null, priority smallint, primary key (task_name, task_instance))");
            s.execute("create index execution_time_idx on scheduled_tasks (execution_time)");
        }
        return ds;
    }

    private static double q(List<Double> values, int quartile) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * quartile / 4));
    }
}
