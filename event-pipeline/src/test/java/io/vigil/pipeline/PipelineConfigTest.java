package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    @Test
    void helpIsAnsweredAndAnArgumentIsAUsageErrorNotIgnored() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(EventPipeline.commandLine(new String[0], o, e)).isEqualTo(-1); // no arguments: serve
        assertThat(EventPipeline.commandLine(new String[] {"--help"}, o, e)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .startsWith("usage: java -jar event-pipeline.jar")
                .contains("environment");
        assertThat(err.size()).isZero();
        // was ignored: the service started as if nothing had been said
        assertThat(EventPipeline.commandLine(new String[] {"--port", "9000"}, o, e))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .startsWith("event-pipeline: unexpected argument --port")
                .contains("usage:");
    }

    @Test
    void aMalformedBootstrapServersValueNamesItsVariable() {
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", ":::")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KAFKA_BOOTSTRAP_SERVERS must be host:port[,host:port…]: :::");
        assertThat(PipelineConfig.fromEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka.invalid:9092"))
                        .kafkaBootstrapServers())
                .isEqualTo("kafka.invalid:9092");
    }

    /**
     * Found by an outside operator: each of these started the broker, the pools and the consumer and then failed
     * (publishes refused for ever, a bind failure as if another process held the port, the S3 SDK's stack trace).
     */
    @Test
    void aTopicKafkaRefusesTheSamePortTwiceOrAnS3EndpointWithoutSchemeNameTheirVariable() {
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("PIPELINE_TOPIC", "bad topic!")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("PIPELINE_TOPIC must be 1–245 characters of [A-Za-z0-9._-]: bad topic!");
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("PIPELINE_TOPIC", "t".repeat(246))))
                .hasMessageStartingWith("PIPELINE_TOPIC must be");
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("AUDIT_TOPIC", "..")))
                .hasMessageStartingWith("AUDIT_TOPIC must be");
        assertThat(PipelineConfig.fromEnvironment(Map.of("PIPELINE_TOPIC", "team-a.events_v2"))
                        .topic())
                .isEqualTo("team-a.events_v2");
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("PORT", "18212", "METRICS_PORT", "18212")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("PORT and METRICS_PORT must differ");
        assertThat(PipelineConfig.fromEnvironment(Map.of("PORT", "0", "METRICS_PORT", "0"))
                        .port())
                .as("0 is any free port, for each")
                .isZero();
        for (String bad : new String[] {"minio:9000", "not a url", "ftp://minio:9000", "http://"}) {
            assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("S3_ENDPOINT", bad)))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("S3_ENDPOINT must be an absolute http(s) URL");
        }
        assertThat(PipelineConfig.fromEnvironment(Map.of("S3_ENDPOINT", "http://minio:9000"))
                        .s3()
                        .endpoint())
                .isEqualTo("http://minio:9000");
    }

    /** The contract's SHUTDOWN_TIMEOUT (default 20s) bounds the drain; it was ignored (a fixed 15 s) and not checked. */
    @Test
    void shutdownTimeoutIsTheContractsDurationCheckedAtStart() {
        assertThat(PipelineConfig.fromEnvironment(Map.of()).shutdownTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(20));
        assertThat(PipelineConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "45s"))
                        .shutdownTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(45));
        assertThat(PipelineConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "30"))
                        .shutdownTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(PipelineConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "1500ms"))
                        .shutdownTimeout())
                .isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(PipelineConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "PT1M"))
                        .shutdownTimeout())
                .isEqualTo(java.time.Duration.ofMinutes(1));
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "abc")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SHUTDOWN_TIMEOUT must be a duration such as 20s, 500ms, 1m or PT20S: abc");
        assertThatThrownBy(() -> PipelineConfig.fromEnvironment(Map.of("SHUTDOWN_TIMEOUT", "2h")))
                .hasMessageStartingWith("SHUTDOWN_TIMEOUT must be between 0 and 1h");
    }
}
