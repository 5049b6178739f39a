package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.random.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The portable GEMM computes every element in the one documented order, s = +0, s = fma(a[i,p], b[p,j], s) for
 * p = 0..k-1, whatever the shape, transposes, offsets, leading dimensions and blocking, and both of its drivers (the
 * Vector API kernel and the auto-vectorized loops) give those bits.
 */
class FloatGemmKernelsTest {

    /** The specification, written as plainly as possible. */
    private static float reference(boolean ta, boolean tb, int i, int j, int k, float[] a, int aOff, int lda,
                                   float[] b, int bOff, int ldb) {
        float s = 0;
        for (int p = 0; p < k; p++) {
            float x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            float y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            s = Math.fma(x, y, s);
        }
        return s;
    }

    private static double reference(boolean ta, boolean tb, int i, int j, int k, double[] a, int aOff, int lda,
                                    double[] b, int bOff, int ldb) {
        double s = 0;
        for (int p = 0; p < k; p++) {
            double x = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            double y = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            s = Math.fma(x, y, s);
        }
        return s;
    }

    /** Which driver computes the product: the one gemm picks, or the auto-vectorized loops. */
    enum Driver { GEMM, LOOPS }

    @ParameterizedTest(name = "{0} ta={1} tb={2} {3}x{4}x{5}")
    @CsvSource({
        "GEMM, false, false, 7, 9, 5", "GEMM, true, false, 6, 700, 300", "GEMM, false, true, 13, 515, 129",
        "GEMM, true, true, 4, 1030, 260", "GEMM, false, false, 1, 1, 1", "GEMM, false, false, 33, 64, 0",
        "GEMM, false, true, 101, 50, 530", "GEMM, true, false, 9, 2400, 17", "GEMM, false, false, 200, 97, 3",
        "LOOPS, false, false, 7, 9, 5", "LOOPS, true, false, 6, 700, 300", "LOOPS, false, true, 13, 515, 129",
        "LOOPS, true, true, 4, 1030, 260", "LOOPS, false, false, 1, 1, 1", "LOOPS, false, false, 33, 64, 0",
        "LOOPS, false, true, 101, 50, 530"})
    void everyElementIsSummedInTheDocumentedOrder(Driver driver, boolean ta, boolean tb, int m, int n, int k) {
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
        if (driver == Driver.GEMM) {
            try (WorkerPool pool = new WorkerPool(3)) {
                FloatGemmKernels.gemm(pool, ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
                DoubleGemmKernels.gemm(pool, ta, tb, m, n, k, ad, aOff, lda, bd, bOff, ldb, cd, cOff, ldc);
            }
        } else {
            FloatGemmKernels.loops(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
            DoubleGemmKernels.loops(ta, tb, m, n, k, ad, aOff, lda, bd, bOff, ldb, cd, cOff, ldc);
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int at = cOff + i * ldc + j;
                float want = reference(ta, tb, i, j, k, a, aOff, lda, b, bOff, ldb);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(c[at]), "fp32 c[" + i + "," + j + "]");
                double wantD = reference(ta, tb, i, j, k, ad, aOff, lda, bd, bOff, ldb);
                assertEquals(Double.doubleToRawLongBits(wantD), Double.doubleToRawLongBits(cd[at]), "fp64 c[" + i + "," + j + "]");
            }
            // Outside the m x n block, nothing changes (leading-dimension padding).
            for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
                assertEquals(c0[cOff + i * ldc + j], c[cOff + i * ldc + j]);
            }
        }
    }

    /** The build runs the tests with the Vector API, so GEMM cases above check its kernel (LOOPS the other). */
    @Test
    void testsRunTheVectorApiKernel() {
        assertTrue(VectorApi.ENABLED, "the tests' JVM lacks " + VectorApi.JVM_OPTION + " (surefire argLine)");
    }
}
