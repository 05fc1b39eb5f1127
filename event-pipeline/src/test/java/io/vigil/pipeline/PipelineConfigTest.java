package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration errors name their variable and are found before anything starts. */
class PipelineConfigTest {
    @Test
    void aPortOutOfRangeNamesItsVariable() {
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("METRICS_PORT", "-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("METRICS_PORT");
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("PORT", "70000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PORT must be 0–65535");
    }

    @Test
    void acceptsIdentityServicesPostgresUrlWithItsCredentials() {
        PipelineConfig config = PipelineConfig.fromEnvironment(
                Map.of("DATABASE_URL", "postgres://vigil:s%40cret@db.example:5433/events"));
        assertThat(config.databaseUrl()).isEqualTo("jdbc:postgresql://db.example:5433/events");
        assertThat(config.databaseUser()).isEqualTo("vigil");
        assertThat(config.databasePassword()).isEqualTo("s@cret");
        // The variables win over the URL's credentials.
        PipelineConfig explicit = PipelineConfig.fromEnvironment(Map.of(
                "DATABASE_URL", "postgresql://vigil:x@db/events", "DATABASE_USER", "other", "DATABASE_PASSWORD", "y"));
        assertThat(explicit.databaseUrl()).isEqualTo("jdbc:postgresql://db/events");
        assertThat(explicit.databaseUser()).isEqualTo("other");
        assertThat(explicit.databasePassword()).isEqualTo("y");
    }

    @Test
    void aDatabaseUrlNoDriverTakesIsAConfigurationErrorWithoutItsPassword() {
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("DATABASE_URL", "mysql://u:hunter2@db/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DATABASE_URL")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aBooleanThatIsNeitherTrueNorFalseIsRefused() {
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("CONSUMER_ENABLED", "maybe")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CONSUMER_ENABLED");
        assertThat(PipelineConfig.fromEnvironment(Map.of("CONSUMER_ENABLED", "FALSE"))
                        .consumerEnabled())
                .isFalse();
    }
}
