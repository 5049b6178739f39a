package io.tiebreak.runtime.backend.cpu;

/**
 * Sums in a fixed order (pairwise over halves, eight lanes at the leaves), shared by the bias gradients and batch
 * norm; the CUDA kernels follow the same tree (cuda/SumTree).
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleSumKernels from this file (see
 * package-info).
 */
final class FloatSumKernels {
    private FloatSumKernels() {}

    /** Sum of a[off, off+n): pairwise over halves, eight lanes at the leaves. */
    static float sum(float[] a, int off, int n) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            return sum(a, off, h) + sum(a, off + h, n - h);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = off;
        for (int end = off + (n & ~7); i < end; i += 8) {
            s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
            s4 += a[i + 4]; s5 += a[i + 5]; s6 += a[i + 6]; s7 += a[i + 7];
        }
        for (int end = off + n; i < end; i++) s0 += a[i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /** Sum of (a[i] - mean)^2 over a[off, off+n), in the order of {@link #sum}. */
    static float sumSquaredDeviation(float[] a, int off, int n, float mean) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            return sumSquaredDeviation(a, off, h, mean) + sumSquaredDeviation(a, off + h, n - h, mean);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = off;
        for (int end = off + (n & ~3); i < end; i += 4) {
            float d0 = a[i] - mean, d1 = a[i + 1] - mean, d2 = a[i + 2] - mean, d3 = a[i + 3] - mean;
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        }
        for (int end = off + n; i < end; i++) {
            float d = a[i] - mean;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Sum of (a[i] - mean) * b[i] over [off, off+n), in the order of {@link #sum}. */
    static float sumDeviationTimes(float[] a, float[] b, int off, int n, float mean) {
        if (n > 1024) {
            int h = (n >>> 1) & ~7;
            return sumDeviationTimes(a, b, off, h, mean) + sumDeviationTimes(a, b, off + h, n - h, mean);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = off;
        for (int end = off + (n & ~3); i < end; i += 4) {
            s0 += (a[i] - mean) * b[i]; s1 += (a[i + 1] - mean) * b[i + 1];
            s2 += (a[i + 2] - mean) * b[i + 2]; s3 += (a[i + 3] - mean) * b[i + 3];
        }
        for (int end = off + n; i < end; i++) s0 += (a[i] - mean) * b[i];
        return (s0 + s1) + (s2 + s3);
    }
}
