package io.vigil.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.test.VigilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Nothing is registered that the service does not use: the catalogue grows by registration or first use. */
class OperationCatalogueTest {
    @RegisterExtension
    final VigilExtension telemetry = VigilExtension.create();

    @Test
    void aFreshRuntimeKnowsNoKind() {
        assertThat(telemetry.operations().catalogue()).isEmpty();
        assertThatThrownBy(() -> telemetry.operations().kind("database_operation"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown operation kind database_operation");
    }

    @Test
    void theFirstOperationOfAKindRegistersIt() {
        telemetry.operations().run(DatabaseOperation.of("select", "users", "find_user"), op -> {});
        telemetry.operations().run(DatabaseOperation.of("insert", "users", "insert_user"), op -> {});
        assertThat(telemetry.operations().catalogue()).containsExactly(DatabaseOperation.KIND);
        assertThat(telemetry.operations().kind("database_operation")).isSameAs(DatabaseOperation.KIND);
    }

    @Test
    void aRegisteredKindIsListedBeforeItRuns() {
        telemetry.operations().register(MessageConsumption.KIND).register(MessageConsumption.KIND);
        assertThat(telemetry.operations().catalogue()).containsExactly(MessageConsumption.KIND);
        assertThat(telemetry.metrics().named("consumer_messages_processed_total"))
                .isEmpty();
    }

    @Test
    void anotherKindOfTheSameNameIsRefusedAtRegistration() {
        telemetry.operations().register(MessageConsumption.KIND);
        OperationKind impostor = OperationKind.builder("message_consumption")
                .spanName(op -> "impostor")
                .build();
        assertThatThrownBy(() -> telemetry.operations().register(impostor))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already named message_consumption");
    }
}
