package io.vigil.jobs;

import java.time.Duration;
import java.util.Objects;

/**
 * Retries with exponential backoff and a limit: a failed job runs again after {@code firstDelay},
 * then {@code firstDelay × multiplier}, {@code × multiplier²}, …; the failure after {@code
 * maxRetries} retries makes it dead (removed, counted {@code dead}). Applied through db-scheduler's
 * {@code MaxRetriesFailureHandler} and {@code ExponentialBackoffFailureHandler} by {@link
 * VigilJobs#retries(RetryPolicy)}. Immutable.
 *
 * @param firstDelay delay before the first retry, positive
 * @param multiplier factor applied per further retry, at least 1
 * @param maxRetries retries after the first execution, at least 0
 */
public record RetryPolicy(Duration firstDelay, double multiplier, int maxRetries) {
    /** Validates the components (see the class description for the bounds). */
    public RetryPolicy {
        Objects.requireNonNull(firstDelay, "firstDelay");
        if (firstDelay.isNegative() || firstDelay.isZero()) {
            throw new IllegalArgumentException("firstDelay must be positive: " + firstDelay);
        }
        if (!(multiplier >= 1.0)) {
            throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative: " + maxRetries);
        }
    }

    /** Exponential backoff: {@code firstDelay}, then doubled each time, at most {@code maxRetries} retries. */
    public static RetryPolicy exponential(Duration firstDelay, int maxRetries) {
        return new RetryPolicy(firstDelay, 2.0, maxRetries);
    }
}
