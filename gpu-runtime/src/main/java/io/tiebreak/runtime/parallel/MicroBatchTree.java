package io.tiebreak.runtime.parallel;

import io.tiebreak.runtime.precision.Precision.Format;

/**
 * The one order in which a step's per-micro-batch partial sums are added (docs/design.md, "Data parallelism"): a
 * binary tree over micro-batches 0..K-1 whose node over n > 1 of them splits after the largest power of two below n,
 * e.g. ((p0 + p1) + (p2 + p3)) + p4 for K = 5. It depends on K alone. Splitting at powers of two makes every
 * device's block of micro-batches a subtree whenever the block size is a power of two, so each device adds its own
 * block and only one value per device crosses between devices.
 */
public final class MicroBatchTree {
    private MicroBatchTree() {}

    /** Leaves in the left child of a node over n > 1 leaves. */
    public static int leftSize(int n) {
        if (n < 2) throw new IllegalArgumentException("a node over " + n + " leaves has no children");
        return Integer.highestOneBit(n - 1);
    }

    /** The tree sum of one value per micro-batch, each addition in {@code arithmetic} (binary32 or binary64). */
    public static double sum(double[] values, Format arithmetic) {
        if (values.length == 0) throw new IllegalArgumentException("no micro-batches to add");
        return sum(values, 0, values.length, arithmetic);
    }

    private static double sum(double[] v, int lo, int n, Format arithmetic) {
        if (n == 1) return v[lo];
        int h = leftSize(n);
        double a = sum(v, lo, h, arithmetic), b = sum(v, lo + h, n - h, arithmetic);
        return arithmetic == Format.DOUBLE ? a + b : (double) ((float) a + (float) b);
    }
}
