package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.runtime.random.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The portable GEMM computes every element in the one documented order: s = +0, s = s + round(a*b) for p = 0..k-1,
 * then beta * c + alpha * s; whatever the shape, transposes, offsets, leading dimensions and blocking.
 */
class FloatGemmKernelsTest {

    /** The specification, written as plainly as possible. */
    private static float reference(boolean ta, boolean tb, int i, int j, int k, float alpha, float[] a, int aOff,
                                   int lda, float[] b, int bOff, int ldb, float beta, float c) {
        float s = 0;
        for (int p = 0; p < k; p++) {
            float x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            float y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            s += x * y;
        }
        return beta == 0 ? alpha * s : beta * c + alpha * s;
    }

    private static double reference(boolean ta, boolean tb, int i, int j, int k, double alpha, double[] a, int aOff,
                                    int lda, double[] b, int bOff, int ldb, double beta, double c) {
        double s = 0;
        for (int p = 0; p < k; p++) {
            double x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            double y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            s += x * y;
        }
        return beta == 0 ? alpha * s : beta * c + alpha * s;
    }

    @ParameterizedTest(name = "ta={0} tb={1} {2}x{3}x{4} beta={5}")
    @CsvSource({
        "false, false, 7, 9, 5, 0", "true, false, 6, 700, 300, 1", "false, true, 13, 515, 129, 0",
        "true, true, 4, 1030, 260, 1", "false, false, 1, 1, 1, 1", "false, false, 33, 64, 0, 1"})
    void everyElementIsSummedInTheDocumentedOrder(boolean ta, boolean tb, int m, int n, int k, float beta) {
        Rng rng = Rng.of(m * 31 + n, "gemm");
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2, aOff = 4, bOff = 1, cOff = 7;
        float[] a = new float[aOff + (ta ? k : m) * lda], b = new float[bOff + (tb ? n : k) * ldb];
        float[] c = new float[cOff + m * ldc];
        double[] ad = new double[a.length], bd = new double[b.length], cd = new double[c.length];
        // Magnitudes over many binades, so that any other order of the sum gives other bits.
        for (int i = 0; i < a.length; i++) ad[i] = a[i] = (float) (rng.normal() * Math.pow(2, rng.nextInt(20) - 10));
        for (int i = 0; i < b.length; i++) bd[i] = b[i] = (float) rng.normal();
        for (int i = 0; i < c.length; i++) cd[i] = c[i] = (float) rng.normal();
        float[] c0 = c.clone();
        double[] cd0 = cd.clone();
        float alpha = 1;
        FloatGemmKernels.gemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        DoubleGemmKernels.gemm(ta, tb, m, n, k, alpha, ad, aOff, lda, bd, bOff, ldb, beta, cd, cOff, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int at = cOff + i * ldc + j;
                float want = reference(ta, tb, i, j, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c0[at]);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(c[at]), "fp32 c[" + i + "," + j + "]");
                double wantD = reference(ta, tb, i, j, k, alpha, ad, aOff, lda, bd, bOff, ldb, beta, cd0[at]);
                assertEquals(Double.doubleToRawLongBits(wantD), Double.doubleToRawLongBits(cd[at]), "fp64 c[" + i + "," + j + "]");
            }
            // Outside the m x n block, nothing changes (leading-dimension padding).
            for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                assertEquals(c0[cOff + i * ldc + j], c[cOff + i * ldc + j]);
            }
        }
    }
}
