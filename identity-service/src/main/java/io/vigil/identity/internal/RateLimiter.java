package io.vigil.identity.internal;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.vigil.identity.IdentityConfig.RateLimit;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Per-key token buckets (bucket4j) whose state lives in the database table {@code
 * rate_limit_buckets}, so every instance sharing the database enforces one limit: bucket4j's
 * PostgreSQL {@code SELECT … FOR UPDATE} backend, or the same protocol for the embedded H2.
 */
public final class RateLimiter {
    private final ProxyManager<String> buckets;

    public RateLimiter(DataSource dataSource, boolean h2) {
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
     * Takes one token from the bucket of {@code key} under {@code limit}.
     *
     * @return 0 when allowed, else the whole seconds to wait before retrying (at least 1)
     */
    public long tryAcquire(String key, RateLimit limit) {
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(b -> b.capacity(limit.capacity()).refillGreedy(limit.capacity(), limit.period()))
                .build();
        ConsumptionProbe probe;
        try {
            probe = buckets.builder().build(key, () -> config).tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            // bucket4j wraps the JDBC failure (BucketExecutionException): unwrapped, it is the
            // database outage it is (503 + Retry-After), not an unexpected error (500).
            throw databaseFailure(e);
        }
        if (probe.isConsumed()) {
            return 0;
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
