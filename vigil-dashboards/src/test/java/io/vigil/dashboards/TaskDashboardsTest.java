package io.vigil.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.DatabaseOperation;
import io.vigil.jobs.JobConventions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Background jobs (vigil-jobs) in the catalogue, the overview's "Background jobs" row and the task
 * alerts: generated when the catalogue holds the task metrics, absent otherwise.
 */
class TaskDashboardsTest {
    private static final String ROW = "Background jobs";

    @Test
    void theTaskQueueGaugesAreJobConventionsGaugesImpliedByItsKind() {
        assertThat(PlatformMetrics.implied(List.of(JobConventions.KIND))).contains(PlatformMetrics.TASKS);
        assertThat(PlatformMetrics.implied(List.of(DatabaseOperation.KIND))).doesNotContain(PlatformMetrics.TASKS);
        List<Metric> declared = PlatformMetrics.of(List.of(PlatformMetrics.TASKS));
        for (JobConventions.Gauge g : JobConventions.GAUGES) {
            Metric m = declared.stream()
                    .filter(x -> x.name().equals(g.name()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(g.name() + " not declared"));
            assertThat(m.type()).isEqualTo(Metric.Type.GAUGE);
            assertThat(m.labels()).containsExactlyElementsOf(g.labels());
        }
        assertThat(declared).extracting(Metric::name).contains(JobConventions.BACKLOG_FAILURES);
        MetricCatalogue identity = IdentityStack.catalogue();
        assertThat(identity.metric(JobConventions.EXECUTIONS).labels())
                .containsExactlyInAnyOrder(JobConventions.TASK_LABEL, JobConventions.STATUS_LABEL);
        assertThat(identity.containsAll(
                        JobConventions.DURATION,
                        JobConventions.QUEUE_WAIT,
                        JobConventions.RETRIES,
                        JobConventions.DUE_JOBS,
                        JobConventions.OLDEST_WAIT,
                        JobConventions.LAST_SUCCESS))
                .isTrue();
    }

    @Test
    void identityServicesOverviewHasATaskRowReadingEveryTaskMetric() {
        Dashboard overview = IdentityStack.dashboards().stream()
                .filter(d -> d.uid().equals(StandardDashboards.uid(IdentityStack.TARGET, StandardDashboards.OVERVIEW)))
                .findFirst()
                .orElseThrow();
        assertThat(overview.panels())
                .filteredOn(Dashboard.Placed::isRow)
                .extracting(Dashboard.Placed::title)
                .contains(ROW);
        // The panels placed after the row's header, up to the next row.
        List<String> queries = new java.util.ArrayList<>();
        boolean inRow = false;
        for (Dashboard.Placed p : overview.panels()) {
            if (p.isRow()) {
                inRow = ROW.equals(p.title());
            } else if (inRow) {
                p.panel().queries().forEach(q -> queries.add(q.text()));
            }
        }
        assertThat(String.join("\n", queries))
                .contains("sum by (task, status) (rate(task_executions_total{")
                .contains("status=~\"failure|retry|dead\"")
                .contains("status=\"dead\"")
                .contains("histogram_quantile(0.95, sum by (task, le) (rate(task_duration_seconds_bucket{")
                .contains("histogram_quantile(0.99, sum by (task, le) (rate(task_queue_wait_seconds_bucket{")
                .contains("max by (task) (task_queue_due_jobs{")
                .contains("max by (task) (task_queue_oldest_wait_seconds{")
                .contains("time() - max by (task) (task_last_success_timestamp_seconds{");
        assertThat(IdentityStack.groups())
                .filteredOn(g -> g.name().equals("vigil-tasks"))
                .singleElement()
                .satisfies(g -> assertThat(g.alerts())
                        .extracting(AlertRule::name)
                        .containsExactly("TaskFailureRatio", "TaskBacklogAge", "RecurringTaskNotSucceeding"));
        // Each task alert has a firing and a silent promtool case (run by ToolsTest).
        assertThat(IdentityStack.groups().stream()
                        .flatMap(g -> g.alerts().stream())
                        .filter(a -> a.name().startsWith("Task") || a.name().startsWith("RecurringTask")))
                .allSatisfy(a -> assertThat(a.tests())
                        .flatExtracting(AlertTest::checks)
                        .extracting(AlertTest.Check::fires)
                        .contains(true, false));
    }

    @Test
    void aServiceWithoutJobsHasNoTaskRowNorTaskAlerts() {
        MetricCatalogue noJobs = MetricCatalogue.forKinds(List.of(DatabaseOperation.KIND));
        ServiceTarget target = ServiceTarget.of("orders", "orders");
        assertThat(StandardDashboards.all(noJobs, target).stream().flatMap(d -> d.panels().stream()))
                .extracting(Dashboard.Placed::title)
                .doesNotContain(ROW);
        assertThat(StandardAlerts.groups(noJobs, target))
                .extracting(RuleGroup::name)
                .doesNotContain("vigil-tasks");
        MetricCatalogue withJobs = MetricCatalogue.forKinds(List.of(DatabaseOperation.KIND, JobConventions.KIND));
        assertThat(StandardAlerts.groups(withJobs, target))
                .extracting(RuleGroup::name)
                .contains("vigil-tasks");
    }
}
