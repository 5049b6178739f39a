package io.tiebreak.runtime.backend.cpu;

import java.util.Arrays;

/**
 * The portable GEMM: row-major C[m,n] = op(A)[m,k] op(B)[k,n] with one summation order that we fix, so its bits are
 * the same on every machine and JVM (docs/design.md, "Reproducibility"):
 *
 * <pre>
 *   s = +0;  for p = 0, 1, ..., k-1:  s = fma(a[i,p], b[p,j], s);     c[i,j] = s
 * </pre>
 *
 * one rounding per step (Math.fma: IEEE 754's fused multiply-add, exactly specified, a single instruction on every
 * CPU with AVX2). Each element's sum is a chain of its own, so neither where an element sits (in the matrix, in a
 * block, in a vector lane) nor how the work is split changes its bits: equal patches give equal outputs.
 *
 * <p>Two drivers compute it with the same bits: {@link FloatVectorGemmKernels}, register-blocked on the Vector API,
 * when the JVM has it ({@link VectorApi}); else {@link #loops}, whose innermost loops run along a row of C and
 * which C2 vectorizes.
 *
 * <p>The build generates {@code DoubleGemmKernels} (fp64) from this file by replacing float with double
 * (gpu-runtime/pom.xml).
 */
final class FloatGemmKernels {
    private FloatGemmKernels() {}

    /** Multiply-adds per task of the auto-vectorized driver, at least. */
    private static final long GRAIN = 1L << 21;

    /**
     * C = op(A) op(B), row-major with leading dimensions, op(X) = X^T when the flag is set: op(A) is [m,k] (A stored
     * [k,m] when ta), op(B) is [k,n] (B stored [n,k] when tb), C is [m,n] (overwritten; k = 0 gives zeros). Split
     * into tasks by shape; every element is one chain however it is split.
     */
    static void gemm(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (VectorApi.ENABLED) {
            FloatVectorGemmKernels.gemm(pool, ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        int parts = Math.min(WorkerPool.tasks((long) m * n * k, GRAIN, WorkerPool.MAX_TASKS), (n + 63) / 64);
        pool.run(parts, t -> {
            int j0 = WorkerPool.start(n, parts, t), j1 = WorkerPool.start(n, parts, t + 1);
            loops(ta, tb, m, j1 - j0, k, a, aOff, lda, b, tb ? bOff + j0 * ldb : bOff + j0, ldb, c, cOff + j0, ldc);
        });
    }

    // ---- the auto-vectorized driver ---------------------------------------------------------------------------

    /** Columns of C per block: the accumulator rows of a block stay in the L2 cache. */
    private static final int COLUMNS = 512;
    /** Rows of op(B) packed at a time. */
    private static final int DEPTH = 128;
    /** One thread's work rows: [0] the accumulators of a column block of C, [1] the packed rows of op(B). */
    private static final ThreadLocal<float[][][]> ROWS = ThreadLocal.withInitial(() -> new float[2][0][]);

    /**
     * {@link #gemm} with loops that C2 vectorizes along a row of C: each of C's rows and each packed row of op(B) is
     * an array of its own, indexed from 0 (C2 vectorizes loops over several distinct arrays, not several rows of one
     * array), and each pass adds two steps of the sum to four rows (the largest body C2 still unrolls).
     */
    static void loops(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                      int ldb, float[] c, int cOff, int ldc) {
        float[][][] work = ROWS.get();
        int widest = Math.min(n, COLUMNS);
        float[][] acc = rows(work, 0, m, widest), panel = rows(work, 1, Math.min(k, DEPTH), widest);
        for (int j0 = 0; j0 < n; j0 += COLUMNS) {
            int nb = Math.min(COLUMNS, n - j0);
            for (int i = 0; i < m; i++) Arrays.fill(acc[i], 0, nb, 0);
            for (int p0 = 0; p0 < k; p0 += DEPTH) {
                int kb = Math.min(DEPTH, k - p0);
                for (int p = 0; p < kb; p++) {
                    float[] row = panel[p];
                    if (tb) {
                        for (int j = 0; j < nb; j++) row[j] = b[bOff + (j0 + j) * ldb + p0 + p];
                    } else {
                        System.arraycopy(b, bOff + (p0 + p) * ldb + j0, row, 0, nb);
                    }
                }
                int i = 0;
                for (; i + 4 <= m; i += 4) fourRows(ta, a, aOff, lda, i, p0, kb, panel, nb, acc);
                for (; i < m; i++) oneRow(ta, a, aOff, lda, i, p0, kb, panel, nb, acc[i]);
            }
            for (int i = 0; i < m; i++) System.arraycopy(acc[i], 0, c, cOff + i * ldc + j0, nb);
        }
    }

    /** work[slot] as at least count arrays of at least len values. */
    private static float[][] rows(float[][][] work, int slot, int count, int len) {
        float[][] r = work[slot];
        if (r.length < count) work[slot] = r = Arrays.copyOf(r, count);
        for (int i = 0; i < count; i++) if (r[i] == null || r[i].length < len) r[i] = new float[len];
        return r;
    }

    /** acc[i..i+3][j] = fma(op(A)[., p0 + p], panel[p][j], acc) for p = 0, 1, ..., kb-1, two steps per pass. */
    private static void fourRows(boolean ta, float[] a, int aOff, int lda, int i, int p0, int kb, float[][] panel,
                                 int nb, float[][] acc) {
        float[] c0 = acc[i], c1 = acc[i + 1], c2 = acc[i + 2], c3 = acc[i + 3];
        int p = 0;
        for (; p + 2 <= kb; p += 2) {
            int q = p0 + p;
            fma4x2(c0, c1, c2, c3, panel[p], panel[p + 1],
                    at(ta, a, aOff, lda, i, q), at(ta, a, aOff, lda, i, q + 1),
                    at(ta, a, aOff, lda, i + 1, q), at(ta, a, aOff, lda, i + 1, q + 1),
                    at(ta, a, aOff, lda, i + 2, q), at(ta, a, aOff, lda, i + 2, q + 1),
                    at(ta, a, aOff, lda, i + 3, q), at(ta, a, aOff, lda, i + 3, q + 1), nb);
        }
        if (p < kb) {
            int q = p0 + p;
            fma4x1(c0, c1, c2, c3, panel[p], at(ta, a, aOff, lda, i, q), at(ta, a, aOff, lda, i + 1, q),
                    at(ta, a, aOff, lda, i + 2, q), at(ta, a, aOff, lda, i + 3, q), nb);
        }
    }

    private static void oneRow(boolean ta, float[] a, int aOff, int lda, int i, int p0, int kb, float[][] panel, int nb,
                               float[] c0) {
        int p = 0;
        for (; p + 2 <= kb; p += 2) {
            fma1x2(c0, panel[p], panel[p + 1], at(ta, a, aOff, lda, i, p0 + p), at(ta, a, aOff, lda, i, p0 + p + 1), nb);
        }
        if (p < kb) fma1x1(c0, panel[p], at(ta, a, aOff, lda, i, p0 + p), nb);
    }

    private static void fma4x2(float[] c0, float[] c1, float[] c2, float[] c3, float[] b0, float[] b1, float a00,
                               float a01, float a10, float a11, float a20, float a21, float a30, float a31, int n) {
        for (int j = 0; j < n; j++) {
            float x0 = b0[j], x1 = b1[j];
            c0[j] = Math.fma(a01, x1, Math.fma(a00, x0, c0[j]));
            c1[j] = Math.fma(a11, x1, Math.fma(a10, x0, c1[j]));
            c2[j] = Math.fma(a21, x1, Math.fma(a20, x0, c2[j]));
            c3[j] = Math.fma(a31, x1, Math.fma(a30, x0, c3[j]));
        }
    }

    private static void fma4x1(float[] c0, float[] c1, float[] c2, float[] c3, float[] b0, float a0, float a1,
                               float a2, float a3, int n) {
        for (int j = 0; j < n; j++) {
            float x0 = b0[j];
            c0[j] = Math.fma(a0, x0, c0[j]);
            c1[j] = Math.fma(a1, x0, c1[j]);
            c2[j] = Math.fma(a2, x0, c2[j]);
            c3[j] = Math.fma(a3, x0, c3[j]);
        }
    }

    private static void fma1x2(float[] c0, float[] b0, float[] b1, float a0, float a1, int n) {
        for (int j = 0; j < n; j++) c0[j] = Math.fma(a1, b1[j], Math.fma(a0, b0[j], c0[j]));
    }

    private static void fma1x1(float[] c0, float[] b0, float a0, int n) {
        for (int j = 0; j < n; j++) c0[j] = Math.fma(a0, b0[j], c0[j]);
    }

    /** op(A)[i, p]. */
    private static float at(boolean ta, float[] a, int aOff, int lda, int i, int p) {
        return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }
}
