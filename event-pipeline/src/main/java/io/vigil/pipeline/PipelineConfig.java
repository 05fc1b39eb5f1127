package io.vigil.pipeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The event pipeline's settings, read from environment variables by {@link #fromEnvironment}. A
 * value that does not parse is reported at start-up (the service does not start on a bad port).
 *
 * @param port API port ({@code PORT}, default 8002; 0 = any free port)
 * @param metricsPort {@code /metrics} port ({@code METRICS_PORT}, default 8001, the contract's)
 * @param dataDir where raw events, the embedded broker and the default H2 database live ({@code
 *     DATA_DIR}, default {@code <tmpdir>/vigil-event-pipeline})
 * @param databaseUrl JDBC URL ({@code DATABASE_URL}; default an H2 file database in {@code dataDir})
 * @param databaseUser {@code DATABASE_USER} or {@code null}
 * @param databasePassword {@code DATABASE_PASSWORD} or {@code null}
 * @param databaseTimeout how long a connection may take before the database counts as down ({@code
 *     DATABASE_TIMEOUT_MS}, default 2000)
 * @param kafkaBootstrapServers {@code KAFKA_BOOTSTRAP_SERVERS}; {@code null} = the embedded broker
 * @param topic the pipeline topic ({@code PIPELINE_TOPIC}, default {@code events})
 * @param auditTopic identity-service's audit topic, also read by the analytics consumer into {@code
 *     audit_events} ({@code AUDIT_TOPIC}, default {@code identity.audit}; set but empty = not read,
 *     {@code null})
 * @param consumerGroup the analytics consumer group ({@code CONSUMER_GROUP}, default {@code
 *     event-pipeline-analytics})
 * @param consumerEnabled whether this process also runs the analytics consumer ({@code
 *     CONSUMER_ENABLED}, default true)
 * @param maxPollRecords records per consumer poll, hence per analytics batch ({@code
 *     CONSUMER_MAX_POLL_RECORDS}, default 500)
 * @param maxEventBytes largest accepted request body ({@code MAX_EVENT_BYTES}, default 65536)
 * @param outboxPoll how often the outbox relay looks for events left unpublished ({@code
 *     OUTBOX_POLL_MS}, default 2000)
 * @param s3 object storage for raw events when {@code S3_ENDPOINT} is set ({@link S3Settings});
 *     {@code null} = the directory {@code dataDir/raw}
 */
public record PipelineConfig(
        int port,
        int metricsPort,
        Path dataDir,
        String databaseUrl,
        String databaseUser,
        String databasePassword,
        Duration databaseTimeout,
        String kafkaBootstrapServers,
        String topic,
        String auditTopic,
        String consumerGroup,
        boolean consumerEnabled,
        int maxPollRecords,
        int maxEventBytes,
        Duration outboxPoll,
        S3Settings s3) {

    /**
     * Where raw events go when they go to S3-compatible object storage.
     *
     * @param endpoint {@code S3_ENDPOINT}, e.g. {@code http://minio:9000} (path-style requests)
     * @param bucket {@code S3_BUCKET}, default {@code raw-events} (created on first use if missing)
     * @param accessKey {@code S3_ACCESS_KEY}, else {@code AWS_ACCESS_KEY_ID}; {@code null} = anonymous
     * @param secretKey {@code S3_SECRET_KEY}, else {@code AWS_SECRET_ACCESS_KEY}
     * @param region {@code S3_REGION}, else {@code AWS_REGION}, default {@code us-east-1} (MinIO's)
     */
    public record S3Settings(String endpoint, String bucket, String accessKey, String secretKey, String region) {
        /** Validates the values. */
        public S3Settings {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(region, "region");
            if ((accessKey == null) != (secretKey == null)) {
                throw new IllegalArgumentException("S3_ACCESS_KEY and S3_SECRET_KEY go together");
            }
        }

        /** The settings without the secret key. */
        @Override
        public String toString() {
            return "S3Settings[endpoint=" + endpoint + ", bucket=" + bucket + ", accessKey=" + accessKey + ", region="
                    + region + "]";
        }
    }

    /** Validates the values. */
    public PipelineConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(databaseUrl, "databaseUrl");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(consumerGroup, "consumerGroup");
        Objects.requireNonNull(databaseTimeout, "databaseTimeout");
        Objects.requireNonNull(outboxPoll, "outboxPoll");
        if (topic.equals(auditTopic)) {
            throw new IllegalArgumentException("PIPELINE_TOPIC and AUDIT_TOPIC must differ: " + topic);
        }
        if (maxEventBytes < 1 || maxPollRecords < 1) {
            throw new IllegalArgumentException("MAX_EVENT_BYTES and CONSUMER_MAX_POLL_RECORDS must be positive");
        }
    }

    /** The dead-letter topic of {@link #topic()}: {@code <topic>.dlt}. */
    public String deadLetterTopic() {
        return topic + ".dlt";
    }

    /** Reads the settings from {@code env} (e.g. {@code System.getenv()}). */
    public static PipelineConfig fromEnvironment(Map<String, String> env) {
        Path dataDir = Path.of(value(env, "DATA_DIR", System.getProperty("java.io.tmpdir") + "/vigil-event-pipeline"));
        return new PipelineConfig(
                integer(env, "PORT", 8002),
                integer(env, "METRICS_PORT", 8001),
                dataDir,
                value(
                        env,
                        "DATABASE_URL",
                        "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db/pipeline")),
                env.get("DATABASE_USER"),
                env.get("DATABASE_PASSWORD"),
                Duration.ofMillis(integer(env, "DATABASE_TIMEOUT_MS", 2000)),
                blankToNull(env.get("KAFKA_BOOTSTRAP_SERVERS")),
                value(env, "PIPELINE_TOPIC", "events"),
                env.containsKey("AUDIT_TOPIC") ? blankToNull(env.get("AUDIT_TOPIC")) : "identity.audit",
                value(env, "CONSUMER_GROUP", "event-pipeline-analytics"),
                Boolean.parseBoolean(value(env, "CONSUMER_ENABLED", "true")),
                integer(env, "CONSUMER_MAX_POLL_RECORDS", 500),
                integer(env, "MAX_EVENT_BYTES", 65536),
                Duration.ofMillis(integer(env, "OUTBOX_POLL_MS", 2000)),
                s3(env));
    }

    /** A copy using {@code bootstrapServers} (the embedded broker's, once started). */
    public PipelineConfig withKafka(String bootstrapServers) {
        return new PipelineConfig(
                port,
                metricsPort,
                dataDir,
                databaseUrl,
                databaseUser,
                databasePassword,
                databaseTimeout,
                bootstrapServers,
                topic,
                auditTopic,
                consumerGroup,
                consumerEnabled,
                maxPollRecords,
                maxEventBytes,
                outboxPoll,
                s3);
    }

    private static S3Settings s3(Map<String, String> env) {
        String endpoint = blankToNull(env.get("S3_ENDPOINT"));
        if (endpoint == null) {
            return null;
        }
        return new S3Settings(
                endpoint,
                value(env, "S3_BUCKET", "raw-events"),
                value(env, "S3_ACCESS_KEY", blankToNull(env.get("AWS_ACCESS_KEY_ID"))),
                value(env, "S3_SECRET_KEY", blankToNull(env.get("AWS_SECRET_ACCESS_KEY"))),
                value(env, "S3_REGION", value(env, "AWS_REGION", "us-east-1")));
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = blankToNull(env.get(name));
        return v == null ? fallback : v;
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String v = value(env, name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is not a number: " + v, e);
        }
    }
}
