package io.vigil.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.OperationKind;
import io.vigil.core.Vigil;
import io.vigil.core.VigilConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The declarations dashboards will be generated from say what the telemetry contract says. */
class JobConventionsTest {
    @Test
    void theKindDeclaresTheContractsTaskInstrumentsWithTheirLabels() {
        Map<String, List<String>> labels = JobConventions.KIND.instruments().stream()
                .collect(Collectors.toMap(OperationKind.Instrument::name, OperationKind.Instrument::labels));
        assertThat(labels)
                .containsOnly(
                        Map.entry("task_executions_total", List.of("task", "status")),
                        Map.entry("task_duration_seconds", List.of("task")),
                        Map.entry("task_queue_wait_seconds", List.of("task")),
                        Map.entry("task_retries_total", List.of("task")));
        assertThat(JobConventions.KIND.eventType()).isEqualTo("task");
        assertThat(JobConventions.STATUSES).containsExactlyInAnyOrder("success", "failure", "retry", "dead");
    }

    @Test
    void vigilJobsListsTheKindInTheRuntimesCatalogue() {
        try (Vigil vigil = Vigil.builder()
                        .config(VigilConfig.builder().serviceName("catalogue").build())
                        .runtimeMetrics(false)
                        .build();
                VigilJobs ignored = VigilJobs.create(vigil)) {
            assertThat(vigil.operations().catalogue()).contains(JobConventions.KIND);
        }
    }

    @Test
    void theGaugesArePerTask() {
        assertThat(JobConventions.GAUGES)
                .extracting(JobConventions.Gauge::name)
                .containsExactly(
                        "task_queue_due_jobs", "task_queue_oldest_wait_seconds", "task_last_success_timestamp_seconds");
        assertThat(JobConventions.GAUGES).allSatisfy(g -> assertThat(g.labels()).containsExactly("task"));
    }

    @Test
    void aRetryPolicyRefusesNonsense() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ZERO, 2, 1));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), 0.5, 1));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> RetryPolicy.exponential(Duration.ofSeconds(1), -1));
    }
}
