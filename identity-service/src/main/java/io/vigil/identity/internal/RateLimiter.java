package io.vigil.identity.internal;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.bucket4j.InstrumentedBucket;
import io.vigil.identity.IdentityConfig.RateLimit;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key token buckets (bucket4j) whose state lives in the database table {@code
 * rate_limit_buckets}, so every instance sharing the database enforces one limit: bucket4j's
 * PostgreSQL {@code SELECT … FOR UPDATE} backend, or the same protocol for the embedded H2. Each
 * bucket is asked through vigil-http's {@link InstrumentedBucket}: a refusal is {@code
 * rate_limit_hits_total{limit_type="http",endpoint}} and a span event; the WARN event naming the
 * limit ({@code limit_name}) is written here.
 */
public final class RateLimiter {
    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    /** The route each named limit guards (the {@code endpoint} label). */
    private static final Map<String, String> ENDPOINTS = Map.of(
            "login", "/api/v1/auth/login",
            "register", "/api/v1/auth/register",
            "password_change", "/api/v1/users/me/password",
            "password_change_user", "/api/v1/users/me/password");

    private final ProxyManager<String> buckets;
    private final RateLimitTelemetry telemetry;
    private final BiConsumer<String, String> onRefused;

    /**
     * @param telemetry where refusals are counted (its own log events off: this class writes them)
     * @param onRefused told of each refusal: the limit's name and the key refused
     */
    public RateLimiter(
            DataSource dataSource, boolean h2, RateLimitTelemetry telemetry, BiConsumer<String, String> onRefused) {
        this.telemetry = telemetry;
        this.onRefused = onRefused;
        this.buckets = h2
                ? new H2BucketProxyManager(dataSource)
                : Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                        .primaryKeyMapper(PrimaryKeyMapper.STRING)
                        .table("rate_limit_buckets")
                        .idColumn("id")
                        .stateColumn("state")
                        .build();
    }

    /**
     * Takes one token from the bucket of {@code key} under the limit {@code name}.
     *
     * @return 0 when allowed, else the whole seconds to wait before retrying (at least 1)
     */
    public long tryAcquire(String name, String key, RateLimit limit) {
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(b -> b.capacity(limit.capacity()).refillGreedy(limit.capacity(), limit.period()))
                .build();
        String endpoint = ENDPOINTS.getOrDefault(name, name);
        ConsumptionProbe probe;
        try {
            InstrumentedBucket bucket = new InstrumentedBucket(
                    buckets.builder().build(name + ":" + key, () -> config),
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

    private static RuntimeException databaseFailure(RuntimeException e) {
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return new Database.DataAccessException(sql);
            }
        }
        return e;
    }
}
