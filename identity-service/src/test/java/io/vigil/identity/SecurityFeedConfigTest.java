package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The security feed's settings from the environment. */
class SecurityFeedConfigTest {
    @Test
    void absentVariablesKeepTheDefaultsAndSetOnesAreRead() {
        assertThat(SecurityFeedConfig.fromEnvironment(Map.of())).isEqualTo(SecurityFeedConfig.defaults());
        assertThat(SecurityFeedConfig.fromEnvironment(Map.of(
                        "WS_MAX_CONNECTIONS_PER_USER", "2",
                        "WS_MESSAGES_PER_SECOND", " 50 ",
                        "WS_MAX_MESSAGE_BYTES", "1024")))
                .isEqualTo(new SecurityFeedConfig(2, 50, 1024));
        assertThat(SecurityFeedConfig.fromEnvironment(Map.of("WS_TOKEN_RECHECK_SECONDS", "5"))
                        .tokenRecheckInterval())
                .isEqualTo(java.time.Duration.ofSeconds(5));
    }

    @Test
    void anUnusableValueNamesItsVariable() {
        assertThatThrownBy(() -> SecurityFeedConfig.fromEnvironment(Map.of("WS_MESSAGES_PER_SECOND", "many")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WS_MESSAGES_PER_SECOND");
        assertThatThrownBy(() -> SecurityFeedConfig.fromEnvironment(Map.of("WS_MAX_CONNECTIONS_PER_USER", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WS_MAX_CONNECTIONS_PER_USER");
        assertThatThrownBy(() -> SecurityFeedConfig.fromEnvironment(Map.of("WS_TOKEN_RECHECK_SECONDS", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WS_TOKEN_RECHECK_SECONDS");
    }
}
