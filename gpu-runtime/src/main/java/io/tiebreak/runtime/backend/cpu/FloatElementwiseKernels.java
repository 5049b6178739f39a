package io.tiebreak.runtime.backend.cpu;

import static io.tiebreak.runtime.backend.cpu.WorkerPool.ELEMENTWISE_GRAIN;
import static io.tiebreak.runtime.backend.cpu.WorkerPool.MAX_TASKS;

import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Transcendentals;

/**
 * ReLU forward and backward (on the Vector API where the JVM has it: {@link FloatVectorElementwiseKernels}), add,
 * scale, and the non-finite count and norms of a tensor.
 *
 * <p>Written on binary32 arrays; the build generates the fp64 twin DoubleElementwiseKernels from this file (see
 * package-info).
 */
final class FloatElementwiseKernels {
    private FloatElementwiseKernels() {}

    /** Sign bit cleared / +infinity, as bit patterns: NaN is any pattern above INF_BITS once the sign is cleared. */
    private static final /*bits*/int ABS_BITS = ~Float.floatToRawIntBits(-(float) 0), INF_BITS = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);

    /** y = x < 0 ? 0 : x, as PyTorch's CPU relu: NaN and -0 pass through unchanged. */
    static void relu(WorkerPool pool, float[] x, float[] y, int n) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            int start = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1);
            if (VectorApi.ENABLED) start = FloatVectorElementwiseKernels.relu(x, y, start, end);
            // Bit masks instead of branches: signs are random, and mispredicted branches cost ten times the work.
            for (int i = start; i < end; i++) {
                /*bits*/int b = Float.floatToRawIntBits(x[i]), a = b & ABS_BITS;
                /*bits*/int keep = (b >= 0 | a == 0 | a > INF_BITS) ? -1 : 0; // all but negative numbers
                y[i] = Float.intBitsToFloat(b & keep);
            }
        });
    }

    /** dx = dy (x > 0 or NaN, as PyTorch's threshold_backward), 0 (x < 0), alpha*dy rounded (x == 0). */
    static void reluBackward(WorkerPool pool, float[] x, float[] dy, float alpha, float[] dx, int n, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            int start = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1);
            int tail = VectorApi.ENABLED ? FloatVectorElementwiseKernels.reluBackward(x, dy, dx, start, end) : start;
            for (int i = tail; i < end; i++) {
                /*bits*/int b = Float.floatToRawIntBits(x[i]);
                /*bits*/int keep = (b > 0 | (b & ABS_BITS) > INF_BITS) ? -1 : 0;
                dx[i] = Float.intBitsToFloat(Float.floatToRawIntBits(dy[i]) & keep);
            }
            if (alpha != 0) {
                for (int i = start; i < end; i++) if (x[i] == 0) dx[i] = f.round(alpha * dy[i]);
            }
        });
    }

    /** out = a + b, rounded. */
    static void add(WorkerPool pool, float[] a, float[] b, float[] out, int n, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                out[i] = f.round(a[i] + b[i]);
            }
        });
    }

    static void scale(WorkerPool pool, float[] a, float factor, int n, Format f) {
        int tasks = WorkerPool.tasks(n, ELEMENTWISE_GRAIN, MAX_TASKS);
        pool.run(tasks, t -> {
            for (int i = WorkerPool.start(n, tasks, t), end = WorkerPool.start(n, tasks, t + 1); i < end; i++) {
                a[i] = f.round(a[i] * factor);
            }
        });
    }

    static long countNonFinite(float[] a, int n) {
        long bad = 0;
        for (int i = 0; i < n; i++) if (!Float.isFinite(a[i])) bad++;
        return bad;
    }

    /** {sum |a|, sqrt(sum a^2), max |a|} accumulated in binary64, in index order (NaN propagates). */
    static double[] norms(float[] a, int n) {
        double l1 = 0, l2 = 0, linf = 0;
        for (int i = 0; i < n; i++) {
            double v = Math.abs((double) a[i]);
            l1 += v;
            l2 += v * v;
            if (v > linf || v != v) linf = v;
        }
        return new double[] {l1, Transcendentals.sqrt(l2), linf};
    }
}
