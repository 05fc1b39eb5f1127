package io.vigil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Kafka publishing settings: {@code KAFKA_BOOTSTRAP_SERVERS}, {@code AUDIT_TOPIC}, {@code OUTBOX_POLL_INTERVAL}. */
class KafkaConfigTest {
    @Test
    void publishingIsOffByDefaultAndTheTopicIsTheOneEventPipelineReads() {
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of());
        assertThat(c.kafkaBootstrapServers()).isEmpty();
        assertThat(c.auditTopic()).isEqualTo("identity.audit");
        assertThat(c.outboxPollInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.summary()).contains("kafka=none");
    }

    @Test
    void theVariablesAreRead() {
        IdentityConfig c = IdentityConfig.fromEnvironment(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", " kafka:9092,kafka2:9092 ",
                "AUDIT_TOPIC", "audit.v2",
                "OUTBOX_POLL_INTERVAL", "250ms"));
        assertThat(c.kafkaBootstrapServers()).isEqualTo(Optional.of("kafka:9092,kafka2:9092"));
        assertThat(c.auditTopic()).isEqualTo("audit.v2");
        assertThat(c.outboxPollInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.summary()).contains("kafka=configured audit_topic=audit.v2");
    }

    @Test
    void aTopicKafkaWouldRefuseStopsTheStartWithTheVariablesName() {
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("AUDIT_TOPIC", "audit events")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AUDIT_TOPIC");
        assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("OUTBOX_POLL_INTERVAL", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("OUTBOX_POLL_INTERVAL");
    }

    @Test
    void aMalformedBootstrapServersValueStopsTheStartWithTheVariablesName() {
        for (String bad : new String[] {":::", "kafka", "kafka:port", "kafka:9092,", "kafka:99999"}) {
            assertThatThrownBy(() -> IdentityConfig.fromEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", bad)))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("KAFKA_BOOTSTRAP_SERVERS must be host:port");
        }
        // Not resolved here: a broker whose name does not resolve yet is the publisher's outage, not a bad setting.
        assertThat(IdentityConfig.fromEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka.invalid:9092,[::1]:9093"))
                        .kafkaBootstrapServers())
                .contains("kafka.invalid:9092,[::1]:9093");
    }
}
