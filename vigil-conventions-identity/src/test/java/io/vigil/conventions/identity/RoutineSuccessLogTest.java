package io.vigil.conventions.identity;

import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.Operations;
import io.vigil.test.LogEvent;
import io.vigil.test.VigilExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Routine successes (a token validated, a user read, a granted authorization check) log at DEBUG:
 * their spans and metrics are unchanged, and their failures still log at WARN.
 */
class RoutineSuccessLogTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void aValidatedTokenLogsAtDebugAndKeepsItsSpanAndMetrics() {
        telemetry.operations().run(TokenOperation.of("validate", "access", "validate_access_token"), op -> {});

        assertThat(telemetry
                        .span("token.validate.access.validate_access_token")
                        .getAttributes()
                        .get(stringKey("token.operation.status")))
                .isEqualTo("success");
        assertThat(telemetry
                        .metrics()
                        .value(
                                "token_operations_total",
                                Map.of("operation_type", "validate", "token_type", "access", "status", "success")))
                .isEqualTo(1);
        assertThat(telemetry.logs("token_operation"))
                .extracting(LogEvent::level)
                .allMatch("DEBUG"::equals);
    }

    @Test
    void aRefusedTokenStillLogsAWarning() {
        telemetry.operations().run(TokenOperation.of("validate", "access", "validate_access_token"), op -> {
            op.failure("expired");
        });

        assertThat(telemetry.logs("token_operation"))
                .singleElement()
                .satisfies(e -> assertThat(e.level()).isEqualTo("WARN"));
    }

    @Test
    void readsAndGrantedChecksLogAtDebugWhileWritesAndDenialsLogAsBefore() {
        Operations ops = telemetry.operations();
        ops.run(UserOperation.of("get", "get_user"), op -> op.userId("u-1"));
        ops.run(UserOperation.of("update", "update_user"), op -> op.userId("u-1"));
        ops.run(AuthorizationCheck.of("user", "read"), op -> op.userId("u-1"));
        ops.run(AuthorizationCheck.of("user", "delete"), op -> op.failure("missing_role"));

        assertThat(telemetry.logs("user_operation"))
                .filteredOn(e -> !e.level().equals("DEBUG"))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.level()).isEqualTo("INFO");
                    assertThat(e.field("operation_type")).isEqualTo("update");
                });
        assertThat(telemetry.logs("authorization"))
                .filteredOn(e -> !e.level().equals("DEBUG"))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.level()).isEqualTo("WARN");
                    assertThat(e.field("granted")).isEqualTo(false);
                });
    }
}
