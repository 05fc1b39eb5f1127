package io.vigil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import io.vigil.test.MetricSamples;
import io.vigil.test.VigilExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A declared task's counter series exist at 0 before anything runs: a series that appears only with its first
 * increment hides that increment from {@code rate()} and {@code increase()}, so a task's first failure (or its first
 * dead job) did not show. No scheduler is needed: the declaration alone creates them.
 */
class DeclaredTasksTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void declaredTasksAreScrapedAtZeroForEveryStatusBeforeAnyExecution() {
        OneTimeTask<JobData<String>> sendMail =
                Tasks.oneTime("send_mail", JobData.<String>type()).execute((job, ctx) -> {});
        RecurringTask<Void> purge =
                Tasks.recurring("purge", FixedDelay.ofHours(1)).execute((job, ctx) -> {});
        VigilJobs.create(telemetry.runtime()).declare(sendMail, purge);

        MetricSamples m = telemetry.metrics();
        for (String task : new String[] {"send_mail", "purge"}) {
            for (String status : JobConventions.STATUSES) {
                assertThat(m.require("task_executions_total", Map.of("task", task, "status", status)))
                        .as("%s %s", task, status)
                        .isZero();
            }
            assertThat(m.require("task_retries_total", Map.of("task", task))).isZero();
        }
        assertThat(m.named("task_executions_total")).hasSize(2 * JobConventions.STATUSES.size());
    }

    @Test
    void undeclaredTasksHaveNoSeriesUntilTheyRun() {
        VigilJobs.create(telemetry.runtime());

        assertThat(telemetry.metrics().named("task_executions_total")).isEmpty();
    }
}
