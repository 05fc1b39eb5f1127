package io.vigil.conventions.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.core.OperationKind;
import io.vigil.test.VigilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The module's public list of kinds, and its registration into one runtime only. */
class IdentityConventionsTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @RegisterExtension
    final VigilExtension other = VigilExtension.create();

    @Test
    void listsTheSixIdentityKindsInTheContractsOrder() {
        assertThat(IdentityConventions.kinds())
                .extracting(OperationKind::name)
                .containsExactly(
                        "authentication",
                        "user_operation",
                        "token_operation",
                        "password_operation",
                        "authorization",
                        "security_event");
    }

    @Test
    void registersIntoTheGivenRuntimeOnly() {
        assertThat(IdentityConventions.registerWith(telemetry.operations())).isSameAs(telemetry.operations());
        assertThat(telemetry.operations().catalogue()).containsExactlyInAnyOrderElementsOf(IdentityConventions.kinds());
        assertThat(other.operations().catalogue()).isEmpty();
    }
}
