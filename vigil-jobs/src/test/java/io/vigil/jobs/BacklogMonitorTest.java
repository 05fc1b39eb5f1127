package io.vigil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.TestDatabase;
import io.vigil.test.VigilExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The backlog count fails quietly: logged once per outage, counted, the gauges keep their values. */
class BacklogMonitorTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void aFailingCountIsLoggedOncePerOutageAndCounted() {
        try (TestDatabase db = SchedulerTables.h2();
                VigilJobs jobs = VigilJobs.builder(telemetry.runtime())
                        .tableName("missing_table")
                        .build()) {
            jobs.monitorBacklog(db.dataSource());
            jobs.refreshBacklog();
            jobs.refreshBacklog();

            assertThat(telemetry.metrics().value(JobConventions.BACKLOG_FAILURES, Map.of()))
                    .isGreaterThanOrEqualTo(2);
            assertThat(telemetry.logs().stream()
                            .filter(e ->
                                    e.logger().equals("vigil.jobs") && e.level().equals("WARN")))
                    .hasSize(1);

            db.execute("create table missing_table (task_name varchar(100), execution_time timestamp with time zone,"
                    + " picked boolean)");
            db.execute("insert into missing_table values ('t', current_timestamp - interval '5' second, false)");
            jobs.refreshBacklog();
            assertThat(telemetry.metrics().value(JobConventions.DUE_JOBS, Map.of("task", "t")))
                    .isEqualTo(1);
            assertThat(telemetry.logs().stream().filter(e -> e.message().equals("job backlog count works again")))
                    .hasSize(1);
        }
    }

    @Test
    void aDeclaredTaskHasItsBacklogSeriesAtZeroBeforeAnyOfItsJobsIsDue() {
        try (TestDatabase db = SchedulerTables.h2();
                VigilJobs jobs = VigilJobs.builder(telemetry.runtime()).build()) {
            jobs.declare(com.github.kagkarlsson.scheduler.task.helper.Tasks.oneTime("before")
                    .execute((instance, context) -> {}));
            jobs.monitorBacklog(db.dataSource());
            jobs.declare(com.github.kagkarlsson.scheduler.task.helper.Tasks.oneTime("after")
                    .execute((instance, context) -> {}));
            jobs.refreshBacklog();
            for (String task : new String[] {"before", "after"}) {
                assertThat(telemetry.metrics().value(JobConventions.DUE_JOBS, Map.of("task", task)))
                        .as(task)
                        .isEqualTo(0);
                assertThat(telemetry.metrics().value(JobConventions.OLDEST_WAIT, Map.of("task", task)))
                        .as(task)
                        .isEqualTo(0);
            }
        }
    }

    @Test
    void aTableNameThatIsNotOneIsRefused() {
        try (TestDatabase db = SchedulerTables.h2();
                VigilJobs jobs = VigilJobs.builder(telemetry.runtime())
                        .tableName("t; drop table x")
                        .build()) {
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> jobs.monitorBacklog(db.dataSource()));
        }
    }
}
