package io.vigil.http.bucket4j;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.vigil.http.RateLimitTelemetry;
import java.util.Objects;

/**
 * A bucket4j {@link Bucket} whose refusals are recorded by {@link RateLimitTelemetry}: handlers ask
 * this object instead of the bucket and get the same decision, with {@code rate_limit_hits_total},
 * the span event and the security log event written on every refusal.
 *
 * <pre>{@code
 * InstrumentedBucket login = new InstrumentedBucket(bucket, limits, RateLimitTelemetry.HTTP, "/api/v1/auth/login");
 * if (!login.tryConsume(1)) throw new TooManyRequestsResponse();
 * }</pre>
 *
 * <p>Thread-safe as the bucket is.
 */
public final class InstrumentedBucket {
    private final Bucket bucket;
    private final RateLimitTelemetry telemetry;
    private final String limitType;
    private final String endpoint;

    /**
     * @param limitType the {@code limit_type} label of refusals
     * @param endpoint the route template the bucket guards
     */
    public InstrumentedBucket(Bucket bucket, RateLimitTelemetry telemetry, String limitType, String endpoint) {
        this.bucket = Objects.requireNonNull(bucket, "bucket");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.limitType = Objects.requireNonNull(limitType, "limitType");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    /** {@link Bucket#tryConsume(long)}, recording a refusal when it returns {@code false}. */
    public boolean tryConsume(long tokens) {
        boolean consumed = bucket.tryConsume(tokens);
        if (!consumed) {
            telemetry.refused(limitType, endpoint);
        }
        return consumed;
    }

    /**
     * {@link Bucket#tryConsumeAndReturnRemaining(long)} (for {@code Retry-After}), recording a
     * refusal when the probe says it was not consumed.
     */
    public ConsumptionProbe tryConsumeAndReturnRemaining(long tokens) {
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(tokens);
        if (!probe.isConsumed()) {
            telemetry.refused(limitType, endpoint);
        }
        return probe;
    }

    /** The wrapped bucket, for what this class does not forward (refusals there are not recorded). */
    public Bucket bucket() {
        return bucket;
    }
}
