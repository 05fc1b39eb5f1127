package io.vigil.console.internal;

import java.util.List;

/**
 * Bucket edges of an OpenTelemetry exponential histogram, rewritten as explicit buckets so one quantile routine serves
 * both histogram kinds. Shared by every path that stores exponential histograms (OTLP protobuf and the SDK's own
 * types): the inputs are the data model's fields, not either representation.
 *
 * <p>Per the data model, at scale {@code s} the base is {@code 2^(2^-s)}; positive bucket {@code index} covers
 * {@code (base^index, base^(index+1)]}, negative bucket {@code index} covers {@code [-base^(index+1), -base^index)},
 * and the zero bucket covers {@code [-zero_threshold, zero_threshold]} (exactly 0 when the threshold is 0).
 */
public final class ExponentialBuckets {
    private ExponentialBuckets() {}

    /**
     * Explicit buckets: {@code bounds} ascending (upper bounds, repeats allowed for an empty-width bucket) and
     * {@code counts} one longer: bucket {@code i} covers {@code (bounds[i-1], bounds[i]]}, the first and last are
     * the unbounded outer buckets (always 0 here, since every exponential bucket has finite edges).
     */
    public record Explicit(double[] bounds, long[] counts) {}

    /**
     * The lower edge of positive bucket {@code index} at {@code scale}: {@code base^index}. Exact (a power of two) for
     * scale ≤ 0; for positive scales computed as the data model's reference does, so the largest indices do not
     * overflow to infinity.
     */
    public static double lowerBoundary(int index, int scale) {
        if (scale <= 0) {
            // base = 2^(2^-scale): base^index = 2^(index << -scale), exact as long as it is representable.
            long exponent = (long) index << -scale;
            if (exponent > Double.MAX_EXPONENT) {
                return Double.POSITIVE_INFINITY;
            }
            if (exponent < Double.MIN_EXPONENT - 52) {
                return 0;
            }
            return Math.scalb(1.0, (int) exponent);
        }
        double inverseFactor = Math.scalb(Math.log(2), -scale);
        // 2 * exp((index - 2^scale) * ln2 / 2^scale) == exp(index * ln2 / 2^scale), without overflowing at the top.
        return 2.0 * Math.exp((index - (double) (1L << scale)) * inverseFactor);
    }

    /**
     * Converts one exponential-histogram point to explicit buckets, from the most negative bucket through the zero
     * bucket to the largest positive one. Buckets with no observations between them keep their edges (empty buckets
     * cost nothing in the quantile and keep the edges exact).
     */
    public static Explicit toExplicit(
            int scale,
            double zeroThreshold,
            long zeroCount,
            int positiveOffset,
            List<Long> positiveCounts,
            int negativeOffset,
            List<Long> negativeCounts) {
        int np = positiveCounts.size();
        int nn = negativeCounts.size();
        double zt = Math.abs(zeroThreshold);
        // Edges: nn + 1 negative edges (when nn > 0), the zero bucket's two edges, np + 1 positive edges (when np > 0).
        int edges = (nn > 0 ? nn + 1 : 0) + 2 + (np > 0 ? np + 1 : 0);
        double[] bounds = new double[edges];
        long[] counts = new long[edges + 1];
        int e = 0;
        if (nn > 0) {
            // Most negative first: bucket negativeOffset + nn - 1 spans [-base^(offset+nn), -base^(offset+nn-1)).
            bounds[e++] = -lowerBoundary(negativeOffset + nn, scale);
            for (int i = nn - 1; i >= 0; i--) {
                counts[e] = negativeCounts.get(i);
                bounds[e++] = -lowerBoundary(negativeOffset + i, scale);
            }
        }
        // The gap up to the zero bucket (empty), then the zero bucket itself.
        bounds[e++] = -zt;
        counts[e] = zeroCount;
        bounds[e++] = zt;
        if (np > 0) {
            bounds[e++] = lowerBoundary(positiveOffset, scale); // the empty gap (zt, base^offset]
            for (int i = 0; i < np; i++) {
                counts[e] = positiveCounts.get(i);
                bounds[e++] = lowerBoundary(positiveOffset + i + 1, scale);
            }
        }
        // A zero threshold wider than the innermost buckets' edges (the data model does not forbid it) must not
        // make the edges go backwards.
        for (int i = 1; i < bounds.length; i++) {
            bounds[i] = Math.max(bounds[i], bounds[i - 1]);
        }
        return new Explicit(bounds, counts);
    }
}
