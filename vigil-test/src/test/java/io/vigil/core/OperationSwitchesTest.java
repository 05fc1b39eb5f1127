package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.test.VigilExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract's switches: per-family metrics, tracing and sampling. */
class OperationSwitchesTest {

    @Nested
    class BusinessMetricsOff {
        @RegisterExtension
        final VigilExtension telemetry = VigilExtension.create(b -> b.businessMetricsEnabled(false));

        @Test
        void businessKindsStillTraceAndLogButRecordNoMetrics() {
            telemetry.operations().run(MessageConsumption.of("orders"), op -> {});
            telemetry.operations().run(DatabaseOperation.of("select", "users", "find_user"), op -> {});
            var metrics = telemetry.metrics();
            assertThat(metrics.named("consumer_messages_processed_total")).isEmpty();
            assertThat(metrics.named("database_operations_total")).isNotEmpty();
            assertThat(telemetry.spans()).hasSize(2);
            assertThat(telemetry.logs("consumer")).hasSize(1);
        }
    }

    @Nested
    class SampledOut {
        @RegisterExtension
        final VigilExtension telemetry = VigilExtension.create(b -> b.traceSampleRate(0.0));

        @Test
        void metricsAndLogsAreRecordedEvenWhenTheTraceIsNotSampled() {
            telemetry.operations().run(MessageConsumption.of("orders"), op -> op.failure("invalid_message"));
            assertThat(telemetry.spans()).isEmpty();
            assertThat(telemetry
                            .metrics()
                            .value("consumer_messages_processed_total", java.util.Map.of("status", "failure")))
                    .isEqualTo(1);
            assertThat(telemetry.logs("consumer")).hasSize(1);
        }
    }
}
