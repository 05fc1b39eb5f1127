package io.vigil.identity;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The identity service's own configuration (telemetry is configured separately, by {@code
 * io.vigil.core.VigilConfig}). Immutable; built by {@link #builder()} or read from the environment
 * by {@link #fromEnvironment(Map)}.
 *
 * <p>Unlike telemetry settings, a bad security or database setting stops the service at start-up
 * with a message naming the variable: running with a silently weakened setting would be worse.
 *
 * @param host interface to listen on
 * @param port TCP port ({@code PORT}, default 8000; 0 picks a free one)
 * @param databaseUrl JDBC URL ({@code DATABASE_URL}); default an H2 file database under {@code ./data/}
 * @param databaseUser {@code DATABASE_USER}
 * @param databasePassword {@code DATABASE_PASSWORD}
 * @param databasePoolSize {@code DATABASE_POOL_SIZE}, default 10
 * @param adminEmail {@code ADMIN_EMAIL}: the initial administrator, created when absent
 * @param adminPassword {@code ADMIN_PASSWORD}
 * @param lockoutThreshold {@code LOCKOUT_THRESHOLD}: consecutive failed logins that lock an account
 * @param lockoutDuration {@code LOCKOUT_DURATION}: how long a lock lasts
 * @param loginRateLimit {@code LOGIN_RATE_LIMIT}: login attempts per client address, e.g. {@code 20/minute}
 * @param registerRateLimit {@code REGISTER_RATE_LIMIT}: sign-ups per client address
 * @param signingKeyJwk {@code JWT_SIGNING_KEY} (or the file named by {@code JWT_SIGNING_KEY_FILE}):
 *     a private JWK (EC P-256 or RSA); empty = a development key generated once and kept in the database
 * @param issuer {@code JWT_ISSUER}
 * @param accessTokenTtl {@code ACCESS_TOKEN_TTL}
 * @param refreshTokenTtl {@code REFRESH_TOKEN_TTL}
 * @param maxRequestBytes {@code MAX_REQUEST_SIZE}: larger request bodies get 413
 * @param databaseConnectionTimeout {@code DATABASE_CONNECTION_TIMEOUT}, default 5s: how long a
 *     request waits for a database connection before it is answered 503
 * @param readinessTimeout {@code READINESS_TIMEOUT}, default 1s: how long {@code /health/ready} waits for
 *     the database before it answers 503 (a probe's own timeout is 1 s by default; the pool's connection
 *     timeout is longer)
 * @param shutdownTimeout {@code SHUTDOWN_TIMEOUT}, default 20s: how long a graceful stop waits for
 *     in-flight requests before it closes the pool
 * @param refreshReuseGrace {@code REFRESH_REUSE_GRACE}, default 10s: how long after a rotation the
 *     rotated refresh token may be presented again (a client retrying a lost answer) and gets the
 *     same successor; 0 turns the grace off (every second presentation is reuse)
 * @param managementPort {@code MANAGEMENT_PORT}, default 9464: the port of {@code /metrics} and the
 *     health checks, apart from the public API (0 picks a free one); equal to {@code PORT}, they are
 *     served on the public port instead, and then only behind {@code METRICS_TOKEN}
 * @param metricsToken {@code METRICS_TOKEN}: bearer token a scrape must present (required when the
 *     metrics are on the public port; optional on the management port)
 * @param passwordChangeRateLimit {@code PASSWORD_CHANGE_RATE_LIMIT}: password changes per user
 * @param passwordChangeAddressRateLimit {@code PASSWORD_CHANGE_ADDRESS_RATE_LIMIT}: password changes per
 *     client address
 * @param passwordHashConcurrency {@code PASSWORD_HASH_CONCURRENCY}: Argon2 computations at once, default
 *     the number of processors
 * @param passwordHashMaxWait {@code PASSWORD_HASH_MAX_WAIT}: how long a request waits for an Argon2 slot
 *     before it is answered 503
 * @param notifyWebhookUrl {@code NOTIFY_WEBHOOK_URL}: an absolute http(s) URL that security
 *     notifications (lockout, password change) are POSTed to as JSON; empty = they are written to the
 *     {@code notification_outbox} table instead
 * @param notifyRetryDelay {@code NOTIFY_RETRY_DELAY}, default 30s: delay before the first retry of a
 *     failed notification, doubled for each further one
 * @param notifyMaxRetries {@code NOTIFY_MAX_RETRIES}, default 5: retries after which a notification is
 *     dead (dropped, counted {@code task_executions_total{status="dead"}})
 * @param jobPollInterval {@code JOB_POLL_INTERVAL}, default 10s: how often each instance looks for due
 *     background jobs (db-scheduler's polling interval)
 * @param kafkaBootstrapServers {@code KAFKA_BOOTSTRAP_SERVERS}: when set, every audit record (logins,
 *     lockouts, token reuse, role and password changes, …) is also published to Kafka through the
 *     {@code event_outbox} table; empty = nothing is published
 * @param auditTopic {@code AUDIT_TOPIC}, default {@code identity.audit}: the topic audit events go to
 * @param outboxPollInterval {@code OUTBOX_POLL_INTERVAL}, default 1s: how often the outbox is read for
 *     events to publish (the first retry after a failure waits as long, doubled up to 30s)
 * @param trustedProxies {@code TRUSTED_PROXIES}, comma-separated IP addresses or CIDR ranges of the proxies or load
 *     balancers in front of the service, whose {@code X-Forwarded-For} names the client; default none, so the client
 *     is the TCP peer. The client so found is what the per-address rate limits ({@code LOGIN_RATE_LIMIT}, …) count
 *     and what {@code ip_address} records: behind a proxy that is not listed, every client shares the proxy's one
 *     bucket, so one client's failed logins lock everyone out
 */
public record IdentityConfig(
        String host,
        int port,
        String databaseUrl,
        Optional<String> databaseUser,
        Optional<String> databasePassword,
        int databasePoolSize,
        Optional<String> adminEmail,
        Optional<String> adminPassword,
        int lockoutThreshold,
        Duration lockoutDuration,
        RateLimit loginRateLimit,
        RateLimit registerRateLimit,
        Optional<String> signingKeyJwk,
        String issuer,
        Duration accessTokenTtl,
        Duration refreshTokenTtl,
        long maxRequestBytes,
        Duration databaseConnectionTimeout,
        Duration readinessTimeout,
        Duration shutdownTimeout,
        Duration refreshReuseGrace,
        int managementPort,
        Optional<String> metricsToken,
        RateLimit passwordChangeRateLimit,
        RateLimit passwordChangeAddressRateLimit,
        int passwordHashConcurrency,
        Duration passwordHashMaxWait,
        Optional<URI> notifyWebhookUrl,
        Duration notifyRetryDelay,
        int notifyMaxRetries,
        Duration jobPollInterval,
        Optional<String> kafkaBootstrapServers,
        String auditTopic,
        Duration outboxPollInterval,
        java.util.List<String> trustedProxies) {

    /** The embedded default: an H2 file database in PostgreSQL mode, so the SQL is the same. */
    public static final String DEFAULT_DATABASE_URL =
            "jdbc:h2:file:./data/identity;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";

    public IdentityConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(databaseUrl, "databaseUrl");
        Objects.requireNonNull(databaseUser, "databaseUser");
        Objects.requireNonNull(databasePassword, "databasePassword");
        Objects.requireNonNull(adminEmail, "adminEmail");
        Objects.requireNonNull(adminPassword, "adminPassword");
        Objects.requireNonNull(lockoutDuration, "lockoutDuration");
        Objects.requireNonNull(loginRateLimit, "loginRateLimit");
        Objects.requireNonNull(registerRateLimit, "registerRateLimit");
        Objects.requireNonNull(signingKeyJwk, "signingKeyJwk");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(accessTokenTtl, "accessTokenTtl");
        Objects.requireNonNull(refreshTokenTtl, "refreshTokenTtl");
        Objects.requireNonNull(databaseConnectionTimeout, "databaseConnectionTimeout");
        Objects.requireNonNull(readinessTimeout, "readinessTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(refreshReuseGrace, "refreshReuseGrace");
        // Checked here, so a URL no driver takes is a configuration error naming the variable, not the pool's
        // "Failed to get driver instance" with a stack trace at exit 1.
        check(
                driverAccepts(databaseUrl),
                "DATABASE_URL is not a database URL this service can use (jdbc:h2:..., jdbc:postgresql://host[:port]/db"
                        + " or postgres://user:password@host[:port]/db): " + redactUrl(databaseUrl));
        check(port >= 0 && port <= 65535, "PORT must be 0–65535: " + port);
        check(databasePoolSize >= 1, "DATABASE_POOL_SIZE must be at least 1");
        check(lockoutThreshold >= 1, "LOCKOUT_THRESHOLD must be at least 1");
        check(positive(lockoutDuration), "LOCKOUT_DURATION must be positive");
        check(positive(accessTokenTtl), "ACCESS_TOKEN_TTL must be positive");
        check(positive(refreshTokenTtl), "REFRESH_TOKEN_TTL must be positive");
        check(maxRequestBytes >= 1024, "MAX_REQUEST_SIZE must be at least 1024");
        // HikariCP refuses connection timeouts under 250 ms.
        check(
                databaseConnectionTimeout.toMillis() >= 250,
                "DATABASE_CONNECTION_TIMEOUT must be at least 250ms: " + databaseConnectionTimeout);
        check(
                readinessTimeout.toMillis() >= 100 && readinessTimeout.compareTo(Duration.ofMinutes(1)) <= 0,
                "READINESS_TIMEOUT must be 100ms–1m: " + readinessTimeout);
        check(!shutdownTimeout.isNegative(), "SHUTDOWN_TIMEOUT must not be negative");
        check(!refreshReuseGrace.isNegative(), "REFRESH_REUSE_GRACE must not be negative");
        // A grace as long as a token's life would make rotation pointless.
        check(
                refreshReuseGrace.compareTo(Duration.ofMinutes(5)) <= 0,
                "REFRESH_REUSE_GRACE must be at most 5 minutes: " + refreshReuseGrace);
        check(adminEmail.isPresent() == adminPassword.isPresent(), "ADMIN_EMAIL and ADMIN_PASSWORD go together");
        Objects.requireNonNull(metricsToken, "metricsToken");
        Objects.requireNonNull(passwordChangeRateLimit, "passwordChangeRateLimit");
        Objects.requireNonNull(passwordChangeAddressRateLimit, "passwordChangeAddressRateLimit");
        Objects.requireNonNull(passwordHashMaxWait, "passwordHashMaxWait");
        Objects.requireNonNull(notifyWebhookUrl, "notifyWebhookUrl");
        notifyWebhookUrl.ifPresent(IdentityConfig::checkWebhook);
        check(positive(notifyRetryDelay), "NOTIFY_RETRY_DELAY must be positive");
        check(notifyMaxRetries >= 0, "NOTIFY_MAX_RETRIES must not be negative");
        check(positive(jobPollInterval), "JOB_POLL_INTERVAL must be positive");
        Objects.requireNonNull(kafkaBootstrapServers, "kafkaBootstrapServers");
        // Kafka's own syntax for bootstrap.servers, without its DNS lookup (start-up never waits for Kafka): a
        // malformed value passed here and surfaced only at the first audit event, as the publisher's "Failed to
        // construct kafka producer" without the reason.
        kafkaBootstrapServers.ifPresent(servers -> check(
                io.vigil.kafka.VigilKafka.bootstrapServersWellFormed(servers),
                "KAFKA_BOOTSTRAP_SERVERS must be host:port[,host:port…]: " + servers));
        Objects.requireNonNull(auditTopic, "auditTopic");
        // Kafka's own rule for topic names: refused at start-up rather than by every send.
        check(
                auditTopic.matches("[A-Za-z0-9._-]{1,249}") && !auditTopic.equals(".") && !auditTopic.equals(".."),
                "AUDIT_TOPIC must be 1–249 characters of [A-Za-z0-9._-]: " + auditTopic);
        check(positive(outboxPollInterval), "OUTBOX_POLL_INTERVAL must be positive");
        trustedProxies = java.util.List.copyOf(Objects.requireNonNull(trustedProxies, "trustedProxies"));
        try {
            io.vigil.http.HttpServerTelemetry.checkTrustedProxies(trustedProxies);
        } catch (IllegalArgumentException e) {
            check(false, "TRUSTED_PROXIES must be IP addresses or CIDR ranges, comma-separated: " + e.getMessage());
        }
        check(managementPort >= 0 && managementPort <= 65535, "MANAGEMENT_PORT must be 0–65535: " + managementPort);
        check(
                metricsToken.isEmpty() || metricsToken.get().length() >= 16,
                "METRICS_TOKEN must have at least 16 characters");
        // Metrics tell whether guessed passwords were right and which accounts exist: on the public
        // port they are only served to whoever holds the token.
        // (The fields are not assigned yet in a compact constructor: the parameters decide.)
        check(
                managementPort != port || port == 0 || metricsToken.isPresent(),
                "METRICS_TOKEN is required when MANAGEMENT_PORT equals PORT (metrics on the public port)");
        check(passwordHashConcurrency >= 1, "PASSWORD_HASH_CONCURRENCY must be at least 1");
        check(!passwordHashMaxWait.isNegative(), "PASSWORD_HASH_MAX_WAIT must not be negative");
    }

    /** Whether {@code /metrics} and the health checks are served on the public port ({@code MANAGEMENT_PORT == PORT}). */
    public boolean metricsOnServicePort() {
        return managementPort == port && port != 0;
    }

    /**
     * A token-bucket limit: {@code capacity} requests per {@code period}, refilled gradually.
     *
     * @param capacity requests allowed per period (burst size)
     * @param period the refill period
     */
    public record RateLimit(long capacity, Duration period) {
        private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(?:/\\s*(\\S+))?");

        public RateLimit {
            check(capacity >= 1, "rate limit capacity must be at least 1");
            check(positive(period), "rate limit period must be positive");
        }

        /** Parses {@code N}, {@code N/second|minute|hour|day} or {@code N/<duration>} (e.g. {@code 5/30s}). */
        public static RateLimit parse(String text) {
            Matcher m = FORM.matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("expected N/period, e.g. 20/minute: " + text);
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "minute" : m.group(2).toLowerCase(Locale.ROOT);
            Duration period = switch (unit) {
                case "s", "sec", "second" -> Duration.ofSeconds(1);
                case "m", "min", "minute" -> Duration.ofMinutes(1);
                case "h", "hour" -> Duration.ofHours(1);
                case "d", "day" -> Duration.ofDays(1);
                default -> parseDuration(unit);
            };
            return new RateLimit(n, period);
        }

        @Override
        public String toString() {
            return capacity + "/" + period.toSeconds() + "s";
        }
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Reads every setting from these environment variables on top of the defaults. */
    public static IdentityConfig fromEnvironment(Map<String, String> env) {
        return builder().environment(env).build();
    }

    /**
     * Parses a duration: plain seconds ({@code 900}), a number with a unit ({@code 30s}, {@code
     * 15m}, {@code 2h}, {@code 7d}, {@code 500ms}) or ISO-8601 ({@code PT15M}).
     */
    public static Duration parseDuration(String text) {
        Duration d = parseAnyDuration(text);
        // Past this a duration overflows the instants it is added to (a token's expiry, a lockout's end) at run time,
        // a 500 long after the start; no setting of this service means more than a century.
        if (d.compareTo(LONGEST_DURATION) > 0) {
            throw new IllegalArgumentException("too long (at most " + LONGEST_DURATION.toDays() + " days): " + text);
        }
        return d;
    }

    /** The longest duration a setting may name: 100 years. */
    static final Duration LONGEST_DURATION = Duration.ofDays(36_525);

    private static Duration parseAnyDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            char unit = t.charAt(t.length() - 1);
            if (Character.isDigit(unit)) {
                return Duration.ofSeconds(Long.parseLong(t));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException("unknown unit '" + unit + "'");
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("not a duration (e.g. 900, 15m, PT15M): " + text, e);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("too long (at most " + LONGEST_DURATION.toDays() + " days): " + text, e);
        }
    }

    /** Whether the database is the embedded H2 one (one process owns its file). */
    public boolean embeddedDatabase() {
        return databaseUrl.startsWith("jdbc:h2:");
    }

    /**
     * This configuration without secrets, for the start-up log. The log's scrubber redacts the value of every key
     * naming a secret ({@code password…=}, {@code …token=}, {@code …key=}), which would hide settings that are not
     * secrets (limits, Argon2 parameters, whether a key is configured): their keys here say what they are instead
     * ({@code …_status}, {@code password_change_rate_limits[per_user=…]}), and no secret value is in the line.
     */
    public String summary() {
        return "identity-service: port=" + port + " database=" + redactUrl(databaseUrl) + " pool=" + databasePoolSize
                + " lockout=" + lockoutThreshold + "/" + lockoutDuration.toSeconds() + "s login_rate_limit="
                + loginRateLimit + " register_rate_limit=" + registerRateLimit + " signing_key_status="
                + (signingKeyJwk.isPresent() ? "configured" : "development (stored in database)")
                + " access_token_ttl=" + accessTokenTtl.toSeconds() + "s refresh_token_ttl="
                + refreshTokenTtl.toSeconds() + "s refresh_reuse_grace=" + refreshReuseGrace.toMillis()
                + "ms readiness_timeout=" + readinessTimeout.toMillis() + "ms shutdown_timeout="
                + shutdownTimeout.toMillis() + "ms admin="
                + (adminEmail.isPresent() ? "configured" : "none")
                + " management_port=" + (metricsOnServicePort() ? "service port" : Integer.toString(managementPort))
                + " metrics_token_status=" + (metricsToken.isPresent() ? "configured" : "none")
                + " password_change_rate_limits[per_user=" + passwordChangeRateLimit + ", per_address="
                + passwordChangeAddressRateLimit + "] password_hashing[concurrency=" + passwordHashConcurrency
                + ", max_wait=" + passwordHashMaxWait.toMillis() + "ms] notify="
                + (notifyWebhookUrl.isPresent() ? "webhook" : "outbox table") + " notify_retries=" + notifyMaxRetries
                + "x" + notifyRetryDelay.toMillis() + "ms job_poll_interval=" + jobPollInterval.toMillis() + "ms kafka="
                + (kafkaBootstrapServers.isPresent() ? "configured audit_topic=" + auditTopic : "none");
    }

    private static String redactUrl(String url) {
        // Credentials may sit in the URL itself (user:password@ or password=...).
        return url.replaceAll("//[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    // Checked at start-up: a typo would otherwise surface as dead notifications hours later.
    private static void checkWebhook(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        check(
                url.isAbsolute() && (scheme.equals("http") || scheme.equals("https")) && url.getHost() != null,
                "NOTIFY_WEBHOOK_URL must be an absolute http(s) URL with a host: " + redactUrl(url.toString()));
    }

    private static boolean driverAccepts(String jdbcUrl) {
        try {
            java.sql.DriverManager.getDriver(jdbcUrl);
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Builds an {@link IdentityConfig}. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = 8000;
        private String databaseUrl = DEFAULT_DATABASE_URL;
        private String databaseUser;
        private String databasePassword;
        private int databasePoolSize = 10;
        private String adminEmail;
        private String adminPassword;
        private int lockoutThreshold = 5;
        private Duration lockoutDuration = Duration.ofMinutes(15);
        private RateLimit loginRateLimit = new RateLimit(20, Duration.ofMinutes(1));
        private RateLimit registerRateLimit = new RateLimit(10, Duration.ofMinutes(1));
        private String signingKeyJwk;
        private String issuer = "identity-service";
        private Duration accessTokenTtl = Duration.ofMinutes(15);
        private Duration refreshTokenTtl = Duration.ofDays(14);
        private long maxRequestBytes = 64 * 1024;
        private Duration databaseConnectionTimeout = Duration.ofSeconds(5);
        private Duration readinessTimeout = Duration.ofSeconds(1);
        private Duration shutdownTimeout = Duration.ofSeconds(20);
        private Duration refreshReuseGrace = Duration.ofSeconds(10);
        private int managementPort = 9464;
        private String metricsToken;
        private RateLimit passwordChangeRateLimit = new RateLimit(5, Duration.ofMinutes(1));
        private RateLimit passwordChangeAddressRateLimit = new RateLimit(20, Duration.ofMinutes(1));
        private int passwordHashConcurrency = Runtime.getRuntime().availableProcessors();
        private Duration passwordHashMaxWait = Duration.ofSeconds(1);
        private String notifyWebhookUrl;
        private Duration notifyRetryDelay = Duration.ofSeconds(30);
        private int notifyMaxRetries = 5;
        private Duration jobPollInterval = Duration.ofSeconds(10);
        private String kafkaBootstrapServers;
        private String auditTopic = "identity.audit";
        private Duration outboxPollInterval = Duration.ofSeconds(1);
        private java.util.List<String> trustedProxies = java.util.List.of();

        Builder() {}

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        /** A JDBC URL, or a {@code postgres://user:password@host:port/db} URL. */
        public Builder databaseUrl(String v) {
            databaseUrl = v;
            return this;
        }

        public Builder databaseUser(String v) {
            databaseUser = v;
            return this;
        }

        public Builder databasePassword(String v) {
            databasePassword = v;
            return this;
        }

        public Builder databasePoolSize(int v) {
            databasePoolSize = v;
            return this;
        }

        public Builder admin(String email, String password) {
            adminEmail = email;
            adminPassword = password;
            return this;
        }

        public Builder lockoutThreshold(int v) {
            lockoutThreshold = v;
            return this;
        }

        public Builder lockoutDuration(Duration v) {
            lockoutDuration = v;
            return this;
        }

        public Builder loginRateLimit(RateLimit v) {
            loginRateLimit = v;
            return this;
        }

        public Builder registerRateLimit(RateLimit v) {
            registerRateLimit = v;
            return this;
        }

        /** A private JWK as JSON (EC P-256 or RSA). */
        public Builder signingKeyJwk(String v) {
            signingKeyJwk = v;
            return this;
        }

        public Builder issuer(String v) {
            issuer = v;
            return this;
        }

        public Builder accessTokenTtl(Duration v) {
            accessTokenTtl = v;
            return this;
        }

        public Builder refreshTokenTtl(Duration v) {
            refreshTokenTtl = v;
            return this;
        }

        public Builder maxRequestBytes(long v) {
            maxRequestBytes = v;
            return this;
        }

        public Builder databaseConnectionTimeout(Duration v) {
            databaseConnectionTimeout = v;
            return this;
        }

        public Builder readinessTimeout(Duration v) {
            readinessTimeout = v;
            return this;
        }

        public Builder shutdownTimeout(Duration v) {
            shutdownTimeout = v;
            return this;
        }

        public Builder refreshReuseGrace(Duration v) {
            refreshReuseGrace = v;
            return this;
        }

        /** The management port (metrics, health); the value of {@code port} puts them on the public port. */
        public Builder managementPort(int v) {
            managementPort = v;
            return this;
        }

        public Builder metricsToken(String v) {
            metricsToken = v;
            return this;
        }

        public Builder passwordChangeRateLimit(RateLimit perUser, RateLimit perAddress) {
            passwordChangeRateLimit = perUser;
            passwordChangeAddressRateLimit = perAddress;
            return this;
        }

        public Builder passwordHashConcurrency(int v) {
            passwordHashConcurrency = v;
            return this;
        }

        public Builder passwordHashMaxWait(Duration v) {
            passwordHashMaxWait = v;
            return this;
        }

        /** {@code NOTIFY_WEBHOOK_URL}; {@code null} or blank = the outbox table. */
        public Builder notifyWebhookUrl(String v) {
            notifyWebhookUrl = v;
            return this;
        }

        /** Retries of a failed notification: first delay (doubled each time) and limit. */
        public Builder notifyRetries(Duration firstDelay, int maxRetries) {
            notifyRetryDelay = firstDelay;
            notifyMaxRetries = maxRetries;
            return this;
        }

        public Builder jobPollInterval(Duration v) {
            jobPollInterval = v;
            return this;
        }

        /** {@code KAFKA_BOOTSTRAP_SERVERS}; {@code null} or blank = audit events are not published. */
        public Builder kafkaBootstrapServers(String v) {
            kafkaBootstrapServers = v;
            return this;
        }

        /** The topic audit events are published to. */
        public Builder auditTopic(String v) {
            auditTopic = v;
            return this;
        }

        /** How often the outbox is read for events to publish. */
        public Builder outboxPollInterval(Duration v) {
            outboxPollInterval = v;
            return this;
        }

        /** The proxies (IP addresses or CIDR ranges) whose {@code X-Forwarded-For} names the client. */
        public Builder trustedProxies(java.util.List<String> v) {
            trustedProxies = v;
            return this;
        }

        /** Reads the environment variables on top of the values set so far. */
        public Builder environment(Map<String, String> env) {
            var e = new Env(env);
            e.get("HOST").ifPresent(this::host);
            e.get("PORT").ifPresent(v -> port(e.integer("PORT", v)));
            e.get("DATABASE_URL").ifPresent(this::databaseUrl);
            e.get("DATABASE_USER").ifPresent(this::databaseUser);
            e.get("DATABASE_PASSWORD").ifPresent(this::databasePassword);
            e.get("DATABASE_POOL_SIZE").ifPresent(v -> databasePoolSize(e.integer("DATABASE_POOL_SIZE", v)));
            if (e.get("ADMIN_EMAIL").isPresent() || e.get("ADMIN_PASSWORD").isPresent()) {
                admin(e.get("ADMIN_EMAIL").orElse(null), e.get("ADMIN_PASSWORD").orElse(null));
            }
            e.get("LOCKOUT_THRESHOLD").ifPresent(v -> lockoutThreshold(e.integer("LOCKOUT_THRESHOLD", v)));
            e.get("LOCKOUT_DURATION").ifPresent(v -> lockoutDuration(e.duration("LOCKOUT_DURATION", v)));
            e.get("LOGIN_RATE_LIMIT").ifPresent(v -> loginRateLimit(e.rateLimit("LOGIN_RATE_LIMIT", v)));
            e.get("REGISTER_RATE_LIMIT").ifPresent(v -> registerRateLimit(e.rateLimit("REGISTER_RATE_LIMIT", v)));
            e.get("JWT_SIGNING_KEY").ifPresent(this::signingKeyJwk);
            e.get("JWT_SIGNING_KEY_FILE").ifPresent(f -> {
                try {
                    signingKeyJwk(Files.readString(Path.of(f)));
                } catch (java.io.IOException ex) {
                    throw new IllegalArgumentException("JWT_SIGNING_KEY_FILE cannot be read: " + f, ex);
                }
            });
            e.get("JWT_ISSUER").ifPresent(this::issuer);
            e.get("ACCESS_TOKEN_TTL").ifPresent(v -> accessTokenTtl(e.duration("ACCESS_TOKEN_TTL", v)));
            e.get("REFRESH_TOKEN_TTL").ifPresent(v -> refreshTokenTtl(e.duration("REFRESH_TOKEN_TTL", v)));
            e.get("MAX_REQUEST_SIZE").ifPresent(v -> maxRequestBytes(e.integer("MAX_REQUEST_SIZE", v)));
            e.get("DATABASE_CONNECTION_TIMEOUT")
                    .ifPresent(v -> databaseConnectionTimeout(e.duration("DATABASE_CONNECTION_TIMEOUT", v)));
            e.get("READINESS_TIMEOUT").ifPresent(v -> readinessTimeout(e.duration("READINESS_TIMEOUT", v)));
            e.get("SHUTDOWN_TIMEOUT").ifPresent(v -> shutdownTimeout(e.duration("SHUTDOWN_TIMEOUT", v)));
            e.get("REFRESH_REUSE_GRACE").ifPresent(v -> refreshReuseGrace(e.duration("REFRESH_REUSE_GRACE", v)));
            e.get("MANAGEMENT_PORT").ifPresent(v -> managementPort(e.integer("MANAGEMENT_PORT", v)));
            e.get("METRICS_TOKEN").ifPresent(this::metricsToken);
            e.get("PASSWORD_CHANGE_RATE_LIMIT")
                    .ifPresent(v -> passwordChangeRateLimit = e.rateLimit("PASSWORD_CHANGE_RATE_LIMIT", v));
            e.get("PASSWORD_CHANGE_ADDRESS_RATE_LIMIT")
                    .ifPresent(
                            v -> passwordChangeAddressRateLimit = e.rateLimit("PASSWORD_CHANGE_ADDRESS_RATE_LIMIT", v));
            e.get("PASSWORD_HASH_CONCURRENCY")
                    .ifPresent(v -> passwordHashConcurrency(e.integer("PASSWORD_HASH_CONCURRENCY", v)));
            e.get("PASSWORD_HASH_MAX_WAIT")
                    .ifPresent(v -> passwordHashMaxWait(e.duration("PASSWORD_HASH_MAX_WAIT", v)));
            e.get("NOTIFY_WEBHOOK_URL").ifPresent(this::notifyWebhookUrl);
            e.get("NOTIFY_RETRY_DELAY").ifPresent(v -> notifyRetryDelay = e.duration("NOTIFY_RETRY_DELAY", v));
            e.get("NOTIFY_MAX_RETRIES").ifPresent(v -> notifyMaxRetries = e.integer("NOTIFY_MAX_RETRIES", v));
            e.get("JOB_POLL_INTERVAL").ifPresent(v -> jobPollInterval(e.duration("JOB_POLL_INTERVAL", v)));
            e.get("KAFKA_BOOTSTRAP_SERVERS").ifPresent(this::kafkaBootstrapServers);
            e.get("AUDIT_TOPIC").ifPresent(this::auditTopic);
            e.get("OUTBOX_POLL_INTERVAL").ifPresent(v -> outboxPollInterval(e.duration("OUTBOX_POLL_INTERVAL", v)));
            e.get("TRUSTED_PROXIES")
                    .ifPresent(v -> trustedProxies(java.util.Arrays.stream(v.split(","))
                            .map(String::strip)
                            .filter(p -> !p.isEmpty())
                            .toList()));
            return this;
        }

        public IdentityConfig build() {
            return new IdentityConfig(
                    host,
                    port,
                    toJdbcUrl(databaseUrl),
                    Optional.ofNullable(databaseUser).or(() -> userInfo(databaseUrl, 0)),
                    Optional.ofNullable(databasePassword).or(() -> userInfo(databaseUrl, 1)),
                    databasePoolSize,
                    Optional.ofNullable(adminEmail),
                    Optional.ofNullable(adminPassword),
                    lockoutThreshold,
                    lockoutDuration,
                    loginRateLimit,
                    registerRateLimit,
                    Optional.ofNullable(signingKeyJwk).filter(s -> !s.isBlank()),
                    issuer,
                    accessTokenTtl,
                    refreshTokenTtl,
                    maxRequestBytes,
                    databaseConnectionTimeout,
                    readinessTimeout,
                    shutdownTimeout,
                    refreshReuseGrace,
                    managementPort,
                    Optional.ofNullable(metricsToken).filter(s -> !s.isBlank()),
                    passwordChangeRateLimit,
                    passwordChangeAddressRateLimit,
                    passwordHashConcurrency,
                    passwordHashMaxWait,
                    webhook(notifyWebhookUrl),
                    notifyRetryDelay,
                    notifyMaxRetries,
                    jobPollInterval,
                    Optional.ofNullable(kafkaBootstrapServers).map(String::trim).filter(s -> !s.isEmpty()),
                    auditTopic,
                    outboxPollInterval,
                    trustedProxies);
        }

        private static Optional<URI> webhook(String url) {
            if (url == null || url.isBlank()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new URI(url.trim()));
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("NOTIFY_WEBHOOK_URL is not a URL: " + e.getReason(), e);
            }
        }

        private static final Pattern PG_URL = Pattern.compile("postgres(?:ql)?://(?:([^:@/]*)(?::([^@/]*))?@)?(.*)");

        /** Accepts the common {@code postgres://user:password@host/db} form as well as JDBC URLs. */
        static String toJdbcUrl(String url) {
            Matcher m = PG_URL.matcher(url);
            return m.matches() ? "jdbc:postgresql://" + m.group(3) : url;
        }

        private static Optional<String> userInfo(String url, int part) {
            Matcher m = PG_URL.matcher(url);
            if (!m.matches()) {
                return Optional.empty();
            }
            return Optional.ofNullable(m.group(part + 1))
                    .filter(s -> !s.isEmpty())
                    .map(s -> java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private record Env(Map<String, String> env) {
        Optional<String> get(String name) {
            return Optional.ofNullable(env.get(name)).map(String::trim).filter(s -> !s.isEmpty());
        }

        int integer(String name, String v) {
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be an integer: " + v, e);
            }
        }

        Duration duration(String name, String v) {
            try {
                return parseDuration(v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        }

        RateLimit rateLimit(String name, String v) {
            try {
                return RateLimit.parse(v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        }
    }
}
