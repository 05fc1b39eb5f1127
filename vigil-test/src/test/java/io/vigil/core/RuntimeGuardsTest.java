package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.VigilExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each runtime owns its label bounds: what one admits or overflows never shows in another. */
class RuntimeGuardsTest {
    private static final OperationKind KIND = OperationKind.builder("guarded_probe")
            .openDimension("target", "probe.target", "target", 2)
            .spanName(op -> "probe." + op.value(0))
            .counter("guarded_probe_calls_total", "Probe calls", OperationKind.Trigger.END, "target", "status")
            .build();
    // Shared constants, as a service keeps them: the same Operation objects reach both runtimes.
    private static final List<Operation> TARGETS = List.of("a", "b", "c", "d", "e").stream()
            .map(t -> KIND.operation("call", t))
            .toList();

    @RegisterExtension
    final VigilExtension first = VigilExtension.create();

    @RegisterExtension
    final VigilExtension second = VigilExtension.create();

    @Test
    void theOverflowOfOneRuntimeDoesNotAffectAnother() {
        for (Operation op : TARGETS) {
            first.operations().run(op, s -> {});
        }
        // The first runtime admitted a and b; c, d and e are other there.
        var firstMetrics = first.metrics();
        assertThat(firstMetrics.value("guarded_probe_calls_total", Map.of("target", "a", "status", "success")))
                .isEqualTo(1);
        assertThat(firstMetrics.value("guarded_probe_calls_total", Map.of("target", "other", "status", "success")))
                .isEqualTo(3);
        assertThat(firstMetrics.value("vigil_label_overflow_total", Map.of("kind", "guarded_probe", "label", "target")))
                .isEqualTo(3);
        assertThat(first.spans())
                .extracting(io.opentelemetry.sdk.trace.data.SpanData::getName)
                .containsExactly("probe.a", "probe.b", "probe.other", "probe.other", "probe.other");

        // The second runtime starts with its own, empty bounds: e and d are admitted there.
        second.operations().run(TARGETS.get(4), s -> {});
        second.operations().run(TARGETS.get(3), s -> {});
        var secondMetrics = second.metrics();
        assertThat(secondMetrics.value("guarded_probe_calls_total", Map.of("target", "e", "status", "success")))
                .isEqualTo(1);
        assertThat(secondMetrics.value("guarded_probe_calls_total", Map.of("target", "d", "status", "success")))
                .isEqualTo(1);
        assertThat(secondMetrics.named("vigil_label_overflow_total")).isEmpty();
        assertThat(second.span("probe.e")).isNotNull();

        // And the first runtime's bounds did not move.
        first.operations().run(TARGETS.get(4), s -> {});
        assertThat(first.metrics().value("guarded_probe_calls_total", Map.of("target", "other", "status", "success")))
                .isEqualTo(4);
    }

    @Test
    void anOperationAlternatingBetweenRuntimesRecordsInTheOneThatRunsIt() {
        // An Operation remembers the last runtime that ran it (to skip a lookup): alternating
        // runtimes must still each get their own instruments, logger and bounds.
        Operation a = TARGETS.getFirst();
        for (int i = 0; i < 3; i++) {
            first.operations().run(a, s -> {});
            second.operations().run(a, s -> {});
            second.operations().run(a, s -> {});
        }
        assertThat(first.metrics().value("guarded_probe_calls_total", Map.of("target", "a", "status", "success")))
                .isEqualTo(3);
        assertThat(second.metrics().value("guarded_probe_calls_total", Map.of("target", "a", "status", "success")))
                .isEqualTo(6);
        assertThat(first.spans()).hasSize(3);
        assertThat(second.spans()).hasSize(6);
        assertThat(first.logs("guarded_probe")).hasSize(3);
        assertThat(second.logs("guarded_probe")).hasSize(6);
    }

    @Test
    void closedValuesOutsideTheSetAreCountedByTheRuntimeThatRecordsThem() {
        Operation merge = DatabaseOperation.of("merge", "users", "merge_user");
        first.operations().run(merge, s -> {});
        first.operations().run(merge, s -> {});
        assertThat(first.metrics()
                        .value(
                                "vigil_label_overflow_total",
                                Map.of("kind", "database_operation", "label", "operation")))
                .isEqualTo(2);
        assertThat(second.metrics().named("vigil_label_overflow_total")).isEmpty();
    }
}
