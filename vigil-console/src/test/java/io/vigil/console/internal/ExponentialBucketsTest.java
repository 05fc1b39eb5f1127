package io.vigil.console.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Bucket edges from scale and offset as the OpenTelemetry data model defines them, and quantiles over them. */
class ExponentialBucketsTest {
    @Test
    void lowerBoundariesAreBasePowersAtEveryScale() {
        // scale 0: base 2; scale -1: base 4; scale 3: base 2^(1/8).
        assertThat(ExponentialBuckets.lowerBoundary(9, 0)).isEqualTo(512.0);
        assertThat(ExponentialBuckets.lowerBoundary(-2, 0)).isEqualTo(0.25);
        assertThat(ExponentialBuckets.lowerBoundary(3, -1)).isEqualTo(64.0);
        for (int index = -40; index <= 40; index++) {
            assertThat(ExponentialBuckets.lowerBoundary(index, 3))
                    .isCloseTo(Math.pow(2, index / 8.0), within(Math.pow(2, index / 8.0) * 1e-12));
        }
        // The top of the double range does not overflow before it must.
        assertThat(ExponentialBuckets.lowerBoundary(1023 * 8, 3)).isEqualTo(Math.scalb(1.0, 1023), within(1e295));
        assertThat(ExponentialBuckets.lowerBoundary(1024, 0)).isInfinite();
    }

    @Test
    void tenValuesInOneBucketHaveTheirMedianInsideIt() {
        // Ten values in (512, 1024] at scale 0: positive bucket index 9. The old conversion interpolated from 0 → 512.
        ExponentialBuckets.Explicit e = ExponentialBuckets.toExplicit(0, 0, 0, 9, List.of(10L), 0, List.of());
        assertThat(Queries.quantile(0.5, e.bounds(), e.counts())).isEqualTo(768.0);
        assertThat(Queries.quantile(1.0, e.bounds(), e.counts())).isEqualTo(1024.0);
        assertThat(Queries.quantile(0.1, e.bounds(), e.counts())).isEqualTo(563.2, within(1e-9));
    }

    @Test
    void negativeZeroAndPositiveBucketsInOrder() {
        // scale 1 (base √2): negative offset 2 → buckets [-2^(3/2), -2), [-4, -2^(3/2)); zero bucket [-0.5, 0.5];
        // positive offset -1 → (2^(-1/2), 1], (1, √2].
        ExponentialBuckets.Explicit e =
                ExponentialBuckets.toExplicit(1, 0.5, 4, -1, List.of(3L, 1L), 2, List.of(2L, 6L));
        double r = Math.sqrt(2);
        assertThat(e.bounds()).containsExactly(new double[] {-4, -2 * r, -2, -0.5, 0.5, 1 / r, 1, r}, within(1e-12));
        assertThat(e.counts()).containsExactly(0, 6, 2, 0, 4, 0, 3, 1, 0);
        long total = 16;
        // The lowest 6 values are in [-4, -2√2), the next 2 in [-2√2, -2): rank 10 is in the zero bucket.
        assertThat(Queries.quantile(0.25, e.bounds(), e.counts())).isBetween(-4.0, -2 * r);
        assertThat(Queries.quantile(10.0 / total, e.bounds(), e.counts())).isBetween(-0.5, 0.5);
        assertThat(Queries.quantile(0.99, e.bounds(), e.counts())).isBetween(1.0, r);
    }

    @Test
    void zeroCountWithoutThresholdIsExactlyZero() {
        ExponentialBuckets.Explicit e = ExponentialBuckets.toExplicit(2, 0, 5, 0, List.of(1L), 0, List.of());
        assertThat(Queries.quantile(0.5, e.bounds(), e.counts())).isEqualTo(0.0);
        assertThat(Queries.quantile(1.0, e.bounds(), e.counts())).isEqualTo(Math.pow(2, 0.25), within(1e-12));
    }
}
