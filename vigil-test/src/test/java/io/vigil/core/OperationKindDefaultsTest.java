package io.vigil.core;

import static io.vigil.core.OperationKind.Trigger.END;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.VigilExtension;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A service's own kind declared with only what it needs. Without {@code spanName(...)} the builder threw a bare
 * {@code NullPointerException: spanName}, the first thing a new user of {@code OperationKind.builder} met.
 */
class OperationKindDefaultsTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    /** The README's own kind, as it is written there. */
    private static final OperationKind PAYMENT = OperationKind.builder("payment")
            .dimension("operation_type", "payment.operation.type", Set.of("charge", "refund"))
            .failureReasons("payment.failure_reason", Set.of("card_declined"))
            .counter("payment_operations_total", "Payments", END, "operation_type", "status")
            .durationHistogram("payment_operation_duration_seconds", "Payment duration", "operation_type")
            .build();

    @Test
    void aKindWithoutASpanNameNamesItsSpansKindDotOperation() {
        Operation charge = PAYMENT.operation("charge_card", "charge");

        telemetry.operations().run(charge, op -> {});

        assertThat(telemetry.span("payment.charge_card").getAttributes().asMap())
                .containsValue("charge");
        assertThat(telemetry
                        .metrics()
                        .value("payment_operations_total", Map.of("operation_type", "charge", "status", "success")))
                .isEqualTo(1);
        assertThat(telemetry.logs("payment"))
                .singleElement()
                .satisfies(e -> assertThat(e.field("status")).isEqualTo("success"));
    }

    @Test
    void aDeclaredFailureReasonReachesTheSpanTheCounterAndTheLogLine() {
        telemetry.operations().run(PAYMENT.operation("charge_card", "charge"), op -> op.failure("card_declined"));

        assertThat(telemetry.span("payment.charge_card").getAttributes().asMap())
                .containsValue("card_declined");
        assertThat(telemetry
                        .metrics()
                        .value("payment_operations_total", Map.of("operation_type", "charge", "status", "failure")))
                .isEqualTo(1);
        assertThat(telemetry.logs("payment"))
                .singleElement()
                .satisfies(e -> assertThat(e.field("failure_reason")).isEqualTo("card_declined"));
    }
}
