package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.precision.Half;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/design.md's precision rules, observed on the kernels: binary16 operands, binary32 arithmetic, one rounding. */
class PrecisionSemanticsTest {
    private final CpuBackend cpu = new CpuBackend(2);
    private final Rng rng = Rng.of(17, "precision");

    @AfterEach
    void close() { cpu.close(); }

    private double[] random(int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.uniform(-scale, scale);
        return v;
    }

    private double[] conv(Precision p, double[] x, double[] w, double[] b, ConvGeometry g) {
        Tensor y = cpu.zeros(p, 2, g.outChannels(), 5, 5);
        cpu.conv2dForward(cpu.upload(p, new int[] {2, g.inChannels(), 5, 5}, x),
                cpu.upload(p, new int[] {g.outChannels(), g.inChannels(), 3, 3}, w), cpu.upload(p, new int[] {g.outChannels()}, b), g, y);
        return cpu.download(y);
    }

    private static double[] toHalf(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Half.round(v[i]);
        return r;
    }

    @Test
    void convolutionInFp16IsTheBinary32ConvolutionOfBinary16OperandsRoundedOnce() {
        ConvGeometry g = ConvGeometry.square(4, 3, 3, 1, 1);
        double[] x = toHalf(random(2 * 4 * 25, 2)), w = toHalf(random(3 * 36, 1)), b = toHalf(random(3, 1));
        double[] half = conv(Precision.FP16, x, w, b, g), single = conv(Precision.FP32, x, w, b, g);
        int differ = 0;
        for (int i = 0; i < half.length; i++) {
            assertEquals((float) Half.round((float) single[i]), (float) half[i], "output " + i);
            if (half[i] != single[i]) differ++;
        }
        assertTrue(differ > half.length / 2, "binary16 really rounds (" + differ + " of " + half.length + ")");
    }

    @Test
    void mixedRoundsBinary32OperandsToBinary16BeforeTheProduct() {
        ConvGeometry g = ConvGeometry.square(4, 3, 3, 1, 1);
        double[] x = random(2 * 4 * 25, 2), w = random(3 * 36, 1), b = random(3, 1);
        double[] mixed = conv(Precision.MIXED, x, w, b, g);
        double[] reference = conv(Precision.FP32, toHalf(x), toHalf(w), toHalf(b), g);
        for (int i = 0; i < mixed.length; i++) {
            assertEquals((float) Half.round((float) reference[i]), (float) mixed[i], "output " + i);
        }
    }

    @Test
    void elementwiseOpsRoundTheirBinary32ResultOnce() {
        double[] a = toHalf(random(1000, 100)), b = toHalf(random(1000, 100));
        Tensor out = cpu.zeros(Precision.FP16, 1000);
        cpu.add(cpu.upload(Precision.FP16, new int[] {1000}, a), cpu.upload(Precision.FP16, new int[] {1000}, b), out);
        double[] got = cpu.download(out);
        for (int i = 0; i < 1000; i++) assertEquals(Half.round((float) a[i] + (float) b[i]), (float) got[i]);
    }

    @Test
    void reluIsPyTorchsNegativeZeroAndNaNPassThrough() {
        double[] x = {-0.0, 0.0, -1e-3, 3, Double.NaN, -Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
        for (Precision p : new Precision[] {Precision.FP16, Precision.FP32, Precision.FP64}) {
            Tensor y = cpu.zeros(p, x.length);
            cpu.reluForward(cpu.upload(p, new int[] {x.length}, x), y);
            double[] got = cpu.download(y);
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(got[0]), p + ": relu(-0) = -0");
            assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(got[2]), p + ": negatives give +0");
            assertEquals(3, got[3]);
            assertTrue(Double.isNaN(got[4]) && Double.isNaN(got[5]), p + ": NaN passes");
            assertEquals(0, got[6]);
            assertEquals(Double.POSITIVE_INFINITY, got[7]);
        }
    }

    @Test
    void overflowToInfinityIsKept() {
        Tensor out = cpu.zeros(Precision.FP16, 1);
        cpu.add(cpu.upload(Precision.FP16, new int[] {1}, new double[] {60000}), cpu.upload(Precision.FP16, new int[] {1},
                new double[] {10000}), out);
        assertEquals(Double.POSITIVE_INFINITY, cpu.download(out)[0]);
    }

    @Test
    void theLossCountsAPredictionAsTorchMaxDoesNaNBeingTheMaximumAndTheFirstOneWinning() {
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        double[][] rows = {
            {1, nan, 5, nan},      // the first NaN: 1
            {nan, nan, nan, nan},  // a NaN network's row: 0
            {inf, 3, inf, 2},      // ties at the maximum: the first, 0
            {2, 7, 7, -inf},       // 1
            {-inf, -inf, -inf, -inf}, // nothing above -inf: 0
        };
        int[] argmax = {1, 0, 0, 1, 0};
        for (Precision p : Precision.values()) {
            for (int r = 0; r < rows.length; r++) {
                for (int label = 0; label < 4; label++) {
                    Tensor logits = cpu.upload(p, new int[] {1, 4}, rows[r]);
                    int correct = cpu.softmaxCrossEntropy(logits, new int[] {label}, 1, null).correct();
                    assertEquals(label == argmax[r] ? 1 : 0, correct, p.id() + " row " + r + " label " + label);
                }
            }
        }
    }
}
