package io.vigil.pipeline;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The event pipeline's settings, read from environment variables by {@link #fromEnvironment}. A
 * value that does not parse is reported at start-up (the service does not start on a bad port).
 *
 * @param port API port ({@code PORT}, default 8002; 0 = any free port)
 * @param metricsPort {@code /metrics} port ({@code METRICS_PORT}, default 8001, the contract's)
 * @param dataDir where raw events, the embedded broker and the default H2 database live ({@code
 *     DATA_DIR}, default {@code <tmpdir>/vigil-event-pipeline})
 * @param databaseUrl JDBC URL ({@code DATABASE_URL}, a JDBC URL or {@code postgres://user:password@host[:port]/db};
 *     default an H2 file database in {@code dataDir})
 * @param databaseUser {@code DATABASE_USER}, else the user of a {@code postgres://} URL, or {@code null}
 * @param databasePassword {@code DATABASE_PASSWORD}, else the password of a {@code postgres://} URL, or {@code null}
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
 * @param kafkaTimeout how long one of the consumer's calls to the broker (committing offsets, reading them back) may
 *     wait before it fails and the consumer backs off and tries again ({@code KAFKA_TIMEOUT_MS}, default 60000, Kafka's
 *     own {@code default.api.timeout.ms})
 * @param maxEventBytes largest accepted request body ({@code MAX_EVENT_BYTES}, default 65536)
 * @param outboxPoll how often the outbox relay looks for events left unpublished ({@code
 *     OUTBOX_POLL_MS}, default 2000)
 * @param shutdownTimeout how long a stop waits for the requests in flight ({@code SHUTDOWN_TIMEOUT}, the contract's,
 *     default 20s; {@code 20}, {@code 20s}, {@code 500ms}, {@code 1m} or ISO-8601 {@code PT20S})
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
        Duration kafkaTimeout,
        int maxEventBytes,
        Duration outboxPoll,
        Duration shutdownTimeout,
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
            // An endpoint the S3 client cannot use ('minio:9000', no scheme) failed the start with the SDK's stack
            // trace, exit 1, without naming the variable.
            if (!absoluteHttpUrl(endpoint)) {
                throw new IllegalArgumentException(
                        "S3_ENDPOINT must be an absolute http(s) URL, e.g. http://minio:9000: " + endpoint);
            }
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(region, "region");
            if ((accessKey == null) != (secretKey == null)) {
                throw new IllegalArgumentException("S3_ACCESS_KEY and S3_SECRET_KEY go together");
            }
        }

        private static boolean absoluteHttpUrl(String url) {
            try {
                java.net.URI uri = new java.net.URI(url);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
                return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
            } catch (java.net.URISyntaxException e) {
                return false;
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
        check(port >= 0 && port <= 65535, "PORT must be 0–65535: " + port);
        check(metricsPort >= 0 && metricsPort <= 65535, "METRICS_PORT must be 0–65535: " + metricsPort);
        // Checked here, before the broker or a pool starts: a URL no driver takes is a configuration error naming
        // the variable, not the pool's "Failed to get driver instance" later.
        check(
                driverAccepts(databaseUrl),
                "DATABASE_URL is not a database URL this service can use (jdbc:h2:..., jdbc:postgresql://host[:port]/db"
                        + " or postgres://user:password@host[:port]/db): " + redactUrl(databaseUrl));
        // Kafka's own syntax for bootstrap.servers, without its DNS lookup: a malformed value failed the start later
        // with the admin client's ConfigException and its stack trace, exit code 1.
        check(
                kafkaBootstrapServers == null
                        || io.vigil.kafka.VigilKafka.bootstrapServersWellFormed(kafkaBootstrapServers),
                "KAFKA_BOOTSTRAP_SERVERS must be host:port[,host:port…]: " + kafkaBootstrapServers);
        check(databaseTimeout.toMillis() > 0, "DATABASE_TIMEOUT_MS must be positive: " + databaseTimeout.toMillis());
        check(outboxPoll.toMillis() > 0, "OUTBOX_POLL_MS must be positive: " + outboxPoll.toMillis());
        Objects.requireNonNull(kafkaTimeout, "kafkaTimeout");
        check(kafkaTimeout.toMillis() > 0, "KAFKA_TIMEOUT_MS must be positive: " + kafkaTimeout.toMillis());
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        check(
                !shutdownTimeout.isNegative() && shutdownTimeout.compareTo(Duration.ofHours(1)) <= 0,
                "SHUTDOWN_TIMEOUT must be between 0 and 1h: " + shutdownTimeout);
        if (topic.equals(auditTopic)) {
            throw new IllegalArgumentException("PIPELINE_TOPIC and AUDIT_TOPIC must differ: " + topic);
        }
        // Kafka's rule for topic names, checked before anything starts: 'bad topic!' started, answered every ingest
        // 202 and then failed every publish with InvalidTopicException, the relay retrying for ever. The pipeline
        // topic leaves room for its dead-letter topic's ".dlt".
        check(legalTopic(topic, 245), "PIPELINE_TOPIC must be 1–245 characters of [A-Za-z0-9._-]: " + topic);
        check(
                auditTopic == null || legalTopic(auditTopic, 249),
                "AUDIT_TOPIC must be 1–249 characters of [A-Za-z0-9._-]: " + auditTopic);
        // Both on one port: the second bind failed after the broker, pools and consumer had started, as if another
        // process held it (exit 1).
        check(
                port == 0 || port != metricsPort,
                "PORT and METRICS_PORT must differ (the metrics port is a server of its own): " + port);
        if (maxEventBytes < 1 || maxPollRecords < 1) {
            throw new IllegalArgumentException("MAX_EVENT_BYTES and CONSUMER_MAX_POLL_RECORDS must be positive");
        }
    }

    private static boolean legalTopic(String name, int maxLength) {
        return name.length() <= maxLength && name.matches("[A-Za-z0-9._-]+") && !name.equals(".") && !name.equals("..");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static boolean driverAccepts(String jdbcUrl) {
        try {
            java.sql.DriverManager.getDriver(jdbcUrl);
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    private static String redactUrl(String url) {
        // Credentials may sit in the URL itself (user:password@ or password=...).
        return url.replaceAll("//[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    /** The dead-letter topic of {@link #topic()}: {@code <topic>.dlt}. */
    public String deadLetterTopic() {
        return topic + ".dlt";
    }

    /** Reads the settings from {@code env} (e.g. {@code System.getenv()}). */
    public static PipelineConfig fromEnvironment(Map<String, String> env) {
        Path dataDir = Path.of(value(env, "DATA_DIR", System.getProperty("java.io.tmpdir") + "/vigil-event-pipeline"));
        String databaseUrl = value(
                env, "DATABASE_URL", "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db/pipeline"));
        return new PipelineConfig(
                integer(env, "PORT", 8002),
                integer(env, "METRICS_PORT", 8001),
                dataDir,
                toJdbcUrl(databaseUrl),
                // The URL's user and password unless the variables say otherwise (as identity-service reads them).
                value(env, "DATABASE_USER", userInfo(databaseUrl, 0)),
                value(env, "DATABASE_PASSWORD", userInfo(databaseUrl, 1)),
                Duration.ofMillis(integer(env, "DATABASE_TIMEOUT_MS", 2000)),
                blankToNull(env.get("KAFKA_BOOTSTRAP_SERVERS")),
                value(env, "PIPELINE_TOPIC", "events"),
                env.containsKey("AUDIT_TOPIC") ? blankToNull(env.get("AUDIT_TOPIC")) : "identity.audit",
                value(env, "CONSUMER_GROUP", "event-pipeline-analytics"),
                bool(env, "CONSUMER_ENABLED", true),
                integer(env, "CONSUMER_MAX_POLL_RECORDS", 500),
                Duration.ofMillis(integer(env, "KAFKA_TIMEOUT_MS", 60_000)),
                integer(env, "MAX_EVENT_BYTES", 65536),
                Duration.ofMillis(integer(env, "OUTBOX_POLL_MS", 2000)),
                duration(env, "SHUTDOWN_TIMEOUT", Duration.ofSeconds(20)),
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
                kafkaTimeout,
                maxEventBytes,
                outboxPoll,
                shutdownTimeout,
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

    // identity-service's form of DATABASE_URL too: postgres://user:password@host[:port]/db (Heroku, Render, ...).
    private static final Pattern PG_URL = Pattern.compile("postgres(?:ql)?://(?:([^:@/]*)(?::([^@/]*))?@)?(.*)");

    /** {@code postgres://user:password@host/db} as the JDBC URL {@code jdbc:postgresql://host/db}; others unchanged. */
    static String toJdbcUrl(String url) {
        Matcher m = PG_URL.matcher(url);
        return m.matches() ? "jdbc:postgresql://" + m.group(3) : url;
    }

    /** The user (part 0) or password (part 1) of a {@code postgres://} URL, decoded; else {@code null}. */
    private static String userInfo(String url, int part) {
        Matcher m = PG_URL.matcher(url);
        if (!m.matches() || m.group(part + 1) == null || m.group(part + 1).isEmpty()) {
            return null;
        }
        return URLDecoder.decode(m.group(part + 1), StandardCharsets.UTF_8);
    }

    private static boolean bool(Map<String, String> env, String name, boolean fallback) {
        String v = value(env, name, null);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(name + " must be true or false: " + v);
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = blankToNull(env.get(name));
        return v == null ? fallback : v;
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

    /** A duration as the contract writes them: {@code 20s}, {@code 500ms}, {@code 1m}, plain seconds, or ISO-8601. */
    private static Duration duration(Map<String, String> env, String name, Duration fallback) {
        String v = value(env, name, null);
        if (v == null) {
            return fallback;
        }
        String t = v.toLowerCase(java.util.Locale.ROOT);
        Matcher m = DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        }
        try {
            return Duration.parse(v.toUpperCase(java.util.Locale.ROOT));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a duration such as 20s, 500ms, 1m or PT20S: " + v, e);
        }
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
