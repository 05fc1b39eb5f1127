package io.vigil.http.internal;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.vigil.http.RateLimitTelemetry;
import io.vigil.http.bucket4j.InstrumentedBucket;
import java.time.Duration;

/**
 * Messages per second of one WebSocket connection: a bucket4j bucket behind {@link
 * InstrumentedBucket}. Kept in a class of its own so bucket4j is loaded only when a limit is set.
 */
public final class MessageRateLimiter {
    private final InstrumentedBucket bucket;

    public MessageRateLimiter(int perSecond, RateLimitTelemetry telemetry, String endpoint) {
        Bucket b = Bucket.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(perSecond)
                        .refillGreedy(perSecond, Duration.ofSeconds(1))
                        .build())
                .build();
        this.bucket = new InstrumentedBucket(b, telemetry, RateLimitTelemetry.WEBSOCKET_MESSAGE, endpoint);
    }

    /** Whether one more message may be handled now (a refusal is recorded). */
    public boolean tryAcquire() {
        return bucket.tryConsume(1);
    }
}
