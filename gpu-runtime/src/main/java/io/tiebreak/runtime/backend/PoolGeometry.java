package io.tiebreak.runtime.backend;

/** A square pooling window: kernel, stride, padding (padding counts as -inf for max, as 0 for average). */
public record PoolGeometry(int kernel, int stride, int padding) {
    public PoolGeometry {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("invalid pooling geometry " + this
                    + ": need kernel > 0, stride > 0, 0 <= padding <= kernel/2");
        }
    }

    public int out(int in) { return ConvGeometry.outSize(in, kernel, stride, padding); }

    /** First input row (or column) of output window o, clamped to the input (padding holds no inputs). */
    public int windowStart(int o) { return Math.max(0, o * stride - padding); }

    /** One past the last input row (or column) of output window o, for an input of the given size. */
    public int windowEnd(int o, int size) { return Math.min(size, o * stride - padding + kernel); }

    /** [start, end) of every window along an axis of the given size, flattened: the average-pool kernels' bounds. */
    public int[] windows(int size) {
        int n = out(size);
        int[] b = new int[2 * n];
        for (int o = 0; o < n; o++) {
            b[2 * o] = windowStart(o);
            b[2 * o + 1] = windowEnd(o, size);
        }
        return b;
    }

    /** Adaptive pooling's windows along an axis: [floor(o*in/out), ceil((o+1)*in/out)), as PyTorch. */
    public static int[] adaptiveWindows(int in, int out) {
        int[] b = new int[2 * out];
        for (int o = 0; o < out; o++) {
            b[2 * o] = o * in / out;
            b[2 * o + 1] = ((o + 1) * in + out - 1) / out;
        }
        return b;
    }
}
