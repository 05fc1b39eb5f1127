package io.vigil.console.internal;

import java.util.List;

/**
 * Histogram conversions both converters share, so a histogram received over OTLP and one handed over in-process become
 * the same stored point.
 */
final class Histograms {
    private Histograms() {}

    /** Explicit bucket bounds and the counts of the buckets they delimit. */
    record Buckets(double[] bounds, long[] counts) {}

    /**
     * An exponential histogram rewritten as explicit buckets, so one quantile routine serves both histogram kinds: the
     * zero bucket, then each positive bucket up to its upper bound.
     */
    static Buckets exponential(int scale, long zeroCount, int offset, List<Long> positive) {
        double base = Math.pow(2, Math.pow(2, -scale));
        int n = positive.size();
        double[] bounds = new double[n + 1];
        long[] counts = new long[n + 2];
        bounds[0] = 0;
        counts[0] = zeroCount;
        for (int i = 0; i < n; i++) {
            bounds[i + 1] = Math.pow(base, offset + i + 1);
            counts[i + 1] = positive.get(i);
        }
        return new Buckets(bounds, counts);
    }
}
