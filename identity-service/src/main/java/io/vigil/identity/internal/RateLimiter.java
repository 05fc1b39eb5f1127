package io.vigil.identity.internal;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.bucket4j.InstrumentedBucket;
import io.vigil.identity.IdentityConfig.RateLimit;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key token buckets (bucket4j) whose state lives in the database table {@code
 * rate_limit_buckets}, so every instance sharing the database enforces one limit: bucket4j's
 * PostgreSQL {@code SELECT … FOR UPDATE} backend, or the same protocol for the embedded H2. Each
 * bucket is asked through vigil-http's {@link InstrumentedBucket}: a refusal is {@code
 * rate_limit_hits_total{limit_type="http",endpoint}} and a span event; the WARN event naming the
 * limit ({@code limit_name}) is written here.
 *
 * <p>A stored bucket keeps the configuration it was created with, so a limit changed between starts (lowered during an
 * attack) would not apply to the addresses that already have a bucket. Each bucket is therefore asked with a
 * configuration version (bucket4j's implicit configuration replacement), which replaces a stored configuration of a
 * lower version. bucket4j replaces only upwards, so the version cannot be a hash of the settings (a change to a
 * lower hash would never apply): the table {@code rate_limit_versions} numbers each limit's settings, a new number
 * when an instance starts with settings other than the last ones numbered, the same number for the same settings.
 * The instance started last therefore decides what the stored buckets enforce, on every instance.
 */
public final class RateLimiter {
    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    /** The route each named limit guards (the {@code endpoint} label). */
    private static final Map<String, String> ENDPOINTS = Map.of(
            "login", "/api/v1/auth/login",
            "register", "/api/v1/auth/register",
            "password_change", "/api/v1/users/me/password",
            "password_change_user", "/api/v1/users/me/password");

    /**
     * How a replaced bucket's tokens carry over: in proportion to the capacities, so a client keeps the share of its
     * allowance it had used. An attacker half way through a generous limit is half way through the lowered one (with
     * AS_IS, capped at the new capacity, it would get the whole lowered allowance again; with RESET, every change
     * would hand every address a full bucket), and a raised limit does not hand an exhausted address new tokens
     * (ADDITIVE would) before the refill does.
     */
    private static final TokensInheritanceStrategy INHERITANCE = TokensInheritanceStrategy.PROPORTIONALLY;

    private final Database db;
    private final ProxyManager<String> buckets;
    private final RateLimitTelemetry telemetry;
    private final BiConsumer<String, String> onRefused;
    /**
     * Each limit's bucket configuration and its configuration version, settled once per process: a request asks one
     * map, not the settings' text and the database.
     */
    private final Map<Limit, Settled> settled = new ConcurrentHashMap<>();

    private record Limit(String name, RateLimit settings) {}

    private record Settled(BucketConfiguration config, long version) {}

    /**
     * @param limits the configured limits by name: their configuration versions are settled now, at start, so that
     *     the instance started last decides, not the one whose first request of a kind comes last
     * @param telemetry where refusals are counted (its own log events off: this class writes them)
     * @param onRefused told of each refusal: the limit's name and the key refused
     */
    public RateLimiter(
            Database db,
            boolean h2,
            Map<String, RateLimit> limits,
            RateLimitTelemetry telemetry,
            BiConsumer<String, String> onRefused) {
        this.db = db;
        this.telemetry = telemetry;
        this.onRefused = onRefused;
        this.buckets = h2
                ? new H2BucketProxyManager(db.dataSource())
                : Bucket4jPostgreSQL.selectForUpdateBasedBuilder(db.dataSource())
                        .primaryKeyMapper(PrimaryKeyMapper.STRING)
                        .table("rate_limit_buckets")
                        .idColumn("id")
                        .stateColumn("state")
                        .build();
        limits.forEach(this::settled);
    }

    /**
     * Takes one token from the bucket of {@code key} under the limit {@code name}.
     *
     * @return 0 when allowed, else the whole seconds to wait before retrying (at least 1)
     */
    public long tryAcquire(String name, String key, RateLimit limit) {
        String endpoint = ENDPOINTS.getOrDefault(name, name);
        ConsumptionProbe probe;
        try {
            Settled limitNow = settled(name, limit); // a limit not settled at start asks the database here
            InstrumentedBucket bucket = new InstrumentedBucket(
                    buckets.builder()
                            .withImplicitConfigurationReplacement(limitNow.version(), INHERITANCE)
                            .build(name + ":" + key, limitNow::config),
                    telemetry,
                    RateLimitTelemetry.HTTP,
                    endpoint);
            probe = bucket.tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            // bucket4j wraps the JDBC failure (BucketExecutionException): unwrapped, it is the
            // database outage it is (503 + Retry-After), not an unexpected error (500).
            throw databaseFailure(e);
        }
        if (probe.isConsumed()) {
            return 0;
        }
        log.atWarn()
                .addKeyValue("event_type", "security")
                .addKeyValue("security_event_type", "rate_limit_exceeded")
                .addKeyValue("severity", "medium")
                .addKeyValue("limit_type", RateLimitTelemetry.HTTP)
                .addKeyValue("limit_name", name)
                .addKeyValue("endpoint", endpoint)
                .log("Rate limit hit");
        try {
            onRefused.accept(name, key);
        } catch (RuntimeException e) {
            log.debug("rate-limit listener failed", e);
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(probe.getNanosToWaitForRefill() + 999_999_999L));
    }

    private static BucketConfiguration configuration(RateLimit limit) {
        return BucketConfiguration.builder()
                .addLimit(b -> b.capacity(limit.capacity()).refillGreedy(limit.capacity(), limit.period()))
                .build();
    }

    /**
     * The settings of every bandwidth of {@code config}, the same text on every instance with the same settings:
     * capacity, refill tokens and period, and the kind of refill.
     */
    private static String fingerprint(BucketConfiguration config) {
        StringJoiner settings = new StringJoiner(",");
        for (Bandwidth b : config.getBandwidths()) {
            settings.add(b.getCapacity() + "/" + b.getRefillTokens() + "/" + Duration.ofNanos(b.getRefillPeriodNanos())
                    + "/" + (b.isGready() ? "greedy" : b.isIntervallyAligned() ? "aligned" : "intervally"));
        }
        return settings.toString();
    }

    private Settled settled(String name, RateLimit limit) {
        return settled.computeIfAbsent(new Limit(name, limit), k -> {
            BucketConfiguration config = configuration(limit);
            return new Settled(config, version(name, config));
        });
    }

    /**
     * The configuration version of {@code config} under the limit {@code name}: the number stored for these
     * settings, or the next number when the ones stored last differ (the row locked, so two instances starting at
     * once number in turn).
     */
    private long version(String name, BucketConfiguration config) {
        String fingerprint = fingerprint(config);
        return db.tx(c -> {
            try (PreparedStatement insert =
                    c.prepareStatement("INSERT INTO rate_limit_versions (name, fingerprint, version) VALUES (?, ?, 1)"
                            + " ON CONFLICT DO NOTHING")) {
                insert.setString(1, name);
                insert.setString(2, fingerprint);
                insert.executeUpdate();
            }
            String stored;
            long version;
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT fingerprint, version FROM rate_limit_versions WHERE name = ? FOR UPDATE")) {
                select.setString(1, name);
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    stored = rs.getString(1);
                    version = rs.getLong(2);
                }
            }
            if (stored.equals(fingerprint)) {
                return version;
            }
            try (PreparedStatement update =
                    c.prepareStatement("UPDATE rate_limit_versions SET fingerprint = ?, version = ? WHERE name = ?")) {
                update.setString(1, fingerprint);
                update.setLong(2, version + 1);
                update.setString(3, name);
                update.executeUpdate();
            }
            log.info("Rate limit {}: settings {} replace {} in the stored buckets", name, fingerprint, stored);
            return version + 1;
        });
    }

    private static RuntimeException databaseFailure(RuntimeException e) {
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return new Database.DataAccessException(sql);
            }
        }
        return e;
    }
}
