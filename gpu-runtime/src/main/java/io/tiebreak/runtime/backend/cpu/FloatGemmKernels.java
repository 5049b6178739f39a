package io.tiebreak.runtime.backend.cpu;

/**
 * The portable GEMM: row-major C[m,n] = beta * C + alpha * op(A)[m,k] op(B)[k,n] with one summation order that we
 * fix, so its bits are the same on every machine and JVM (docs/design.md, "Reproducibility"):
 *
 * <pre>
 *   s = +0;  for p = 0, 1, ..., k-1:  s = s + round(a[i,p] * b[p,j]);     (no fused multiply-add)
 *   c[i,j] = beta == 0 ? alpha * s : beta * c[i,j] + alpha * s
 * </pre>
 *
 * Java's float and double arithmetic is IEEE binary32/binary64 round-to-nearest on every platform, so the result is
 * the same wherever it runs; the blocking below changes only the memory traffic, never the order of any element's
 * sum. C2 vectorizes the inner loop over j (independent elements), which keeps that order.
 *
 * <p>The build generates {@code DoubleGemmKernels} (fp64) from this file by replacing float with double
 * (gpu-runtime/pom.xml).
 */
final class FloatGemmKernels {
    private FloatGemmKernels() {}

    /** Columns of C per block: four rows of accumulators (4 x 2 KiB) and a row of B stay in the L1 cache. */
    private static final int COLUMNS = 512;
    /** Rows of op(B) packed at a time: a KB x COLUMNS panel (256 KiB) stays in the L2 cache. */
    private static final int DEPTH = 128;

    /** One thread's work arrays: the packed panel of op(B) and the accumulators of the C block. */
    private static final ThreadLocal<float[][]> WORK = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * C = beta * C + alpha * op(A) op(B), row-major with leading dimensions, op(X) = X^T when the flag is set:
     * op(A) is [m,k] (A stored [k,m] when ta), op(B) is [k,n] (B stored [n,k] when tb), C is [m,n].
     */
    static void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        float[][] work = WORK.get();
        for (int j0 = 0; j0 < n; j0 += COLUMNS) {
            int nb = Math.min(COLUMNS, n - j0);
            float[] acc = grow(work, 1, m * nb);
            java.util.Arrays.fill(acc, 0, m * nb, 0);
            for (int p0 = 0; p0 < k; p0 += DEPTH) {
                int kb = Math.min(DEPTH, k - p0);
                float[] panel = grow(work, 0, kb * nb);
                pack(tb, b, bOff, ldb, p0, kb, j0, nb, panel);
                accumulate(ta, a, aOff, lda, m, p0, kb, panel, nb, acc);
            }
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc + j0, ai = i * nb;
                if (beta == 0) {
                    for (int j = 0; j < nb; j++) c[ci + j] = alpha * acc[ai + j];
                } else {
                    for (int j = 0; j < nb; j++) c[ci + j] = beta * c[ci + j] + alpha * acc[ai + j];
                }
            }
        }
    }

    private static float[] grow(float[][] work, int slot, int n) {
        if (work[slot].length < n) work[slot] = new float[n];
        return work[slot];
    }

    /** panel[p][j] = op(B)[p0 + p, j0 + j] for p < kb, j < nb (a copy: no arithmetic). */
    private static void pack(boolean tb, float[] b, int bOff, int ldb, int p0, int kb, int j0, int nb, float[] panel) {
        for (int p = 0; p < kb; p++) {
            int row = p * nb;
            if (tb) {
                for (int j = 0; j < nb; j++) panel[row + j] = b[bOff + (j0 + j) * ldb + p0 + p];
            } else {
                System.arraycopy(b, bOff + (p0 + p) * ldb + j0, panel, row, nb);
            }
        }
    }

    /** acc[i][j] += op(A)[i, p0 + p] * panel[p][j] for p = 0, 1, ..., kb-1 in that order, four rows at a time. */
    private static void accumulate(boolean ta, float[] a, int aOff, int lda, int m, int p0, int kb, float[] panel,
                                   int nb, float[] acc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int r0 = i * nb, r1 = r0 + nb, r2 = r1 + nb, r3 = r2 + nb;
            for (int p = 0; p < kb; p++) {
                float a0 = at(ta, a, aOff, lda, i, p0 + p), a1 = at(ta, a, aOff, lda, i + 1, p0 + p);
                float a2 = at(ta, a, aOff, lda, i + 2, p0 + p), a3 = at(ta, a, aOff, lda, i + 3, p0 + p);
                int row = p * nb;
                for (int j = 0; j < nb; j++) {
                    float bv = panel[row + j];
                    acc[r0 + j] += a0 * bv;
                    acc[r1 + j] += a1 * bv;
                    acc[r2 + j] += a2 * bv;
                    acc[r3 + j] += a3 * bv;
                }
            }
        }
        for (; i < m; i++) {
            int r0 = i * nb;
            for (int p = 0; p < kb; p++) {
                float a0 = at(ta, a, aOff, lda, i, p0 + p);
                int row = p * nb;
                for (int j = 0; j < nb; j++) acc[r0 + j] += a0 * panel[row + j];
            }
        }
    }

    /** op(A)[i, p]. */
    private static float at(boolean ta, float[] a, int aOff, int lda, int i, int p) {
        return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }
}
