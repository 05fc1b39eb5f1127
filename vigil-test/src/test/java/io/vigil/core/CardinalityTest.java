package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.VigilExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Label values come from bounded sets; overflow is counted, never a new series per value. */
class CardinalityTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void closedDimensionsMapUnknownValuesToOther() {
        telemetry.operations().run(DatabaseOperation.of("merge", "users", "merge_user"), op -> {});
        assertThat(telemetry
                        .metrics()
                        .value(
                                "database_operations_total",
                                Map.of("operation", "other", "table", "users", "status", "success")))
                .isEqualTo(1);
        assertThat(telemetry
                        .metrics()
                        .value(
                                "vigil_label_overflow_total",
                                Map.of("kind", "database_operation", "label", "operation")))
                .isEqualTo(1);
    }

    @Test
    void openDimensionsKeepABoundedNumberOfDistinctValues() {
        OperationKind kind = OperationKind.builder("bounded_probe")
                .openDimension("target", "probe.target", "target", 10)
                .spanName(op -> "probe." + op.value(0))
                .counter("probe_calls_total", "Probe calls", OperationKind.Trigger.END, "target", "status")
                .build();
        telemetry.operations().register(kind);
        for (int i = 0; i < 1_000; i++) {
            telemetry.operations().run(kind.operation("call", "t" + i), op -> {});
        }
        var metrics = telemetry.metrics();
        assertThat(metrics.named("probe_calls_total")).hasSize(11); // 10 admitted + other
        assertThat(metrics.value("probe_calls_total", Map.of("target", "other", "status", "success")))
                .isEqualTo(990);
        assertThat(metrics.value("vigil_label_overflow_total", Map.of("kind", "bounded_probe", "label", "target")))
                .isEqualTo(990);
    }
}
