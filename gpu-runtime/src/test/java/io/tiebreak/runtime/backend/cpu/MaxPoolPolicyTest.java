package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.jacobian.PoolPolicy.Form;
import io.tiebreak.runtime.precision.Half;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** MaxPool's backward at ties is each policy's definition (docs/design.md, "MaxPool Jacobian policies"). */
class MaxPoolPolicyTest {
    private final CpuBackend cpu = new CpuBackend(2);
    private static final PoolGeometry TWO_BY_TWO = new PoolGeometry(2, 2, 0);

    @AfterEach
    void close() { cpu.close(); }

    /** dx for one 2x2 window x (row-major) with upstream gradient g. */
    private double[] backward(Precision p, double[] x, double g, PoolPolicy policy) {
        Tensor in = cpu.upload(p, new int[] {1, 1, 2, 2}, x);
        Tensor y = cpu.zeros(p, 1, 1, 1, 1);
        cpu.maxPoolForward(in, TWO_BY_TWO, policy, y);
        Tensor dx = cpu.zeros(p, 1, 1, 2, 2);
        cpu.maxPoolBackward(in, cpu.upload(p, new int[] {1, 1, 1, 1}, new double[] {g}), TWO_BY_TWO, policy, dx);
        return cpu.download(dx);
    }

    private static final double[] THREE_TIED = {3, 3, 1, 3}; // max 3 at positions 0, 1, 3: k = 3

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FP16", "FP32", "FP64"})
    void eachPolicyFollowsItsDefinitionAtATie(Precision p) {
        assertArrayEquals(new double[] {6, 0, 0, 0}, backward(p, THREE_TIED, 6, PoolPolicy.FIRST));
        assertArrayEquals(new double[] {0, 0, 0, 6}, backward(p, THREE_TIED, 6, PoolPolicy.LAST));
        assertArrayEquals(new double[] {2, 2, 0, 2}, backward(p, THREE_TIED, 6, PoolPolicy.MIN_NORM));
        assertArrayEquals(new double[] {6, 6, 0, 6}, backward(p, THREE_TIED, 6, PoolPolicy.ALL));
        // beta:B = B * min-norm + (1 - B) * first: with B = 10, share 10*6/3 = 20, first gets 20 - 9*6 = -34.
        assertArrayEquals(new double[] {-34, 20, 0, 20}, backward(p, THREE_TIED, 6, PoolPolicy.beta(10, Form.EXACT)));
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FP16", "FP32", "FP64"})
    void betaZeroIsFirstAndBetaOneIsMinNormBitwise(Precision p) {
        Rng rng = Rng.of(7, "test");
        for (int trial = 0; trial < 200; trial++) {
            double[] x = new double[4];
            for (int i = 0; i < 4; i++) x[i] = rng.nextInt(3); // many ties
            double g = rng.uniform(-4, 4);
            for (Form form : Form.values()) {
                assertBitwise(backward(p, x, g, PoolPolicy.FIRST), backward(p, x, g, PoolPolicy.beta(0, form)));
                assertBitwise(backward(p, x, g, PoolPolicy.MIN_NORM), backward(p, x, g, PoolPolicy.beta(1, form)));
            }
        }
    }

    private static void assertBitwise(double[] want, double[] got) { assertBitwise(want, got, ""); }

    private static void assertBitwise(double[] want, double[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]),
                    what + " index " + i + ": " + want[i] + " vs " + got[i]);
        }
    }

    /** The composite form in fp16, rounded step by step; 1000*m - 999*m is no longer m. */
    @Test
    void compositeFormRoundsEachStepInHalf() {
        float m = 1 + 0x1p-10f; // binary16: spacing 2^-10 near 1, 0.5 near 1000
        double[] x = {m, 0.5, m, 0.25}; // tie at 0 and 2 (k = 2)
        PoolPolicy composite = PoolPolicy.beta(1000, Form.COMPOSITE);
        Tensor in = cpu.upload(Precision.FP16, new int[] {1, 1, 2, 2}, x);
        Tensor y = cpu.zeros(Precision.FP16, 1, 1, 1, 1);
        assertEquals(1, cpu.maxPoolForward(in, TWO_BY_TWO, composite, y), "one tied window");
        float expected = Half.round(Half.round(1000f * m) + Half.round(-999f * m));
        assertEquals(1.0f, expected, "1000.9766 rounds to 1001, -999.9756 to -1000");
        assertEquals(expected, (float) cpu.download(y)[0]);
        assertNotEquals(m, (float) cpu.download(y)[0], "the composite forward is not max in fp16");

        float g = Half.round(0.1f);
        float gMin = Half.round(1000f * g), gFirst = Half.round(-999f * g), share = Half.round(gMin / 2);
        double[] dx = backward(Precision.FP16, x, g, composite);
        assertEquals(Half.round(Half.round(share) + Half.round(gFirst)), (float) dx[0], "first: both branches, rounded sum");
        assertEquals(Half.round(share), (float) dx[2], "other tie: min-norm share only");
        assertEquals(0, dx[1]);
        assertEquals(0, dx[3]);
        // The exact form computes B*g/k + (1-B)*g in binary32 and rounds once: a different answer here.
        double[] exact = backward(Precision.FP16, x, g, PoolPolicy.beta(1000, Form.EXACT));
        assertEquals(Half.round(1000f * g / 2 + -999f * g), (float) exact[0]);
    }

    @Test
    void compositeForwardOverflowsInHalfWhereExactDoesNot() {
        double[] x = {100, 100, 1, 2};
        Tensor in = cpu.upload(Precision.FP16, new int[] {1, 1, 2, 2}, x);
        Tensor y = cpu.zeros(Precision.FP16, 1, 1, 1, 1);
        cpu.maxPoolForward(in, TWO_BY_TWO, PoolPolicy.beta(1000, Form.COMPOSITE), y);
        assertTrue(Double.isNaN(cpu.download(y)[0]), "1000*100 overflows to +inf, -999*100 to -inf: inf - inf = NaN");
        cpu.maxPoolForward(in, TWO_BY_TWO, PoolPolicy.beta(1000, Form.EXACT), y);
        assertEquals(100, cpu.download(y)[0]);
    }

    /**
     * docs/design.md's definition for one 2x2 window, written out independently of the kernels: each operation in the
     * precision's arithmetic (binary32 for fp16 and fp32: a double result narrowed, which rounds as binary32 does),
     * the explicit roundings to its storage format. A NaN is the maximum and the NaN positions are the tie set.
     */
    private static double[] definition(double[] x, double g, PoolPolicy p, Precision prec) {
        boolean nan = false;
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) { nan |= v != v; m = Math.max(m, v); }
        boolean[] tied = new boolean[4];
        int k = 0, first = -1, last = -1;
        for (int i = 0; i < 4; i++) {
            tied[i] = nan ? x[i] != x[i] : x[i] == m;
            if (tied[i]) { k++; if (first < 0) first = i; last = i; }
        }
        double b = op(p.beta(), prec), share;
        double[] dx = new double[4];
        for (int i = 0; i < 4; i++) {
            switch (p.kind()) {
                case FIRST: dx[i] = i == first ? g : 0; break;
                case LAST: dx[i] = i == last ? g : 0; break;
                case ALL: dx[i] = tied[i] ? g : 0; break;
                case MIN_NORM: dx[i] = tied[i] ? op(g / k, prec) : 0; break;
                default:
                    if (p.form() == Form.EXACT) {
                        share = op(op(b * g, prec) / k, prec);
                        dx[i] = tied[i] ? (i == first ? op(share + op(op(1 - b, prec) * g, prec), prec) : share) : 0;
                    } else {
                        double gMin = round(op(b * g, prec), prec), gFirst = round(op(op(1 - b, prec) * g, prec), prec);
                        share = round(op(gMin / k, prec), prec);
                        dx[i] = round(op(round(tied[i] ? share : 0, prec) + round(i == first ? gFirst : 0, prec), prec), prec);
                    }
            }
            dx[i] = round(op(0 + dx[i], prec), prec);
        }
        return dx;
    }

    /** The forward output of one window: its first maximum, or in the composite form round(B*m) + round((1-B)*m). */
    private static double forwardDefinition(double[] x, PoolPolicy p, Precision prec) {
        double first = Double.NaN;
        boolean nan = false;
        for (double v : x) nan |= v != v;
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) m = Math.max(m, v);
        for (double v : x) if (nan ? v != v : v == m) { first = v; break; }
        if (p.form() != Form.COMPOSITE || p.kind() != PoolPolicy.Kind.BETA) return first;
        double b = op(p.beta(), prec);
        return round(op(round(op(b * first, prec), prec) + round(op(op(1 - b, prec) * first, prec), prec), prec), prec);
    }

    private static double op(double v, Precision p) { return p == Precision.FP64 ? v : (float) v; }

    private static double round(double v, Precision p) { return p.valueFormat().round(v); }

    /**
     * Many planes of windows with ties, signed zeros and NaNs, even and odd sizes: every window's forward output, tie
     * count and input gradients are the definition's, bit for bit, whichever code ran it (a vector at a time where the
     * Vector API runs, as row pairs or gathered windows: in fp32 and fp64, and in fp16 where the policy only copies
     * values; one window at a time for the other fp16 policies, the tails and NaN windows).
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FP16", "FP32", "FP64"})
    void randomWindowsWithTiesFollowTheDefinitionBitwise(Precision prec) {
        Rng rng = Rng.of(11, "windows");
        // {h, w, planes}: row pairs of one vector and a part (fp64: 10 wide, whose vector runs into the next rows and
        // planes), of two or more (24, 28), of exactly one (fp32: 16); gathered windows (odd sizes, narrower planes);
        // and 28 x 28 on enough planes for two tasks, whose vectors must stop short of each other's rows.
        for (int[] size : new int[][] {{6, 8, 7}, {7, 9, 7}, {24, 24, 7}, {10, 10, 7}, {16, 16, 5}, {4, 4, 7},
                {2, 2, 9}, {28, 28, 90}}) {
            int h = size[0], w = size[1], planes = size[2], ho = h / 2, wo = w / 2;
            for (PoolPolicy p : new PoolPolicy[] {PoolPolicy.FIRST, PoolPolicy.LAST, PoolPolicy.ALL, PoolPolicy.MIN_NORM,
                    PoolPolicy.beta(1000, Form.EXACT), PoolPolicy.beta(100, Form.COMPOSITE), PoolPolicy.beta(-3.5, Form.EXACT),
                    PoolPolicy.beta(0.3, Form.COMPOSITE)}) {
                double[] x = new double[planes * h * w], dy = new double[planes * ho * wo];
                for (int i = 0; i < x.length; i++) {
                    int u = rng.nextInt(200);
                    x[i] = u == 0 ? Double.NaN : u == 1 ? -0.0 : u == 2 ? 0.0 : rng.nextInt(3) * 0.75;
                }
                for (int i = 0; i < dy.length; i++) dy[i] = Half.round(rng.uniform(-2, 2));
                Tensor in = cpu.upload(prec, new int[] {1, planes, h, w}, x), dx = cpu.zeros(prec, 1, planes, h, w);
                Tensor y = cpu.zeros(prec, 1, planes, ho, wo);
                long ties = cpu.maxPoolForward(in, TWO_BY_TWO, p, y);
                cpu.maxPoolBackward(in, cpu.upload(prec, new int[] {1, planes, ho, wo}, dy), TWO_BY_TWO, p, dx);
                double[] got = cpu.download(dx), out = cpu.download(y);
                double[] wantDx = new double[x.length];
                long wantTies = 0;
                for (int pl = 0; pl < planes; pl++) {
                    for (int oy = 0; oy < ho; oy++) {
                        for (int ox = 0; ox < wo; ox++) {
                            int[] idx = new int[4];
                            double[] win = new double[4];
                            for (int j = 0; j < 4; j++) {
                                idx[j] = pl * h * w + (2 * oy + j / 2) * w + 2 * ox + j % 2;
                                win[j] = x[idx[j]];
                            }
                            int o = pl * ho * wo + oy * wo + ox;
                            String where = p + " " + prec + " " + h + "x" + w + " window " + Arrays.toString(win);
                            assertBitwise(new double[] {forwardDefinition(win, p, prec)}, new double[] {out[o]}, where);
                            double[] want = definition(win, dy[o], p, prec);
                            for (int j = 0; j < 4; j++) wantDx[idx[j]] = want[j];
                            wantTies += tieCount(win) >= 2 ? 1 : 0;
                        }
                    }
                }
                assertBitwise(wantDx, got, p + " " + prec + " " + h + "x" + w + " dx (uncovered rows and columns: +0)");
                assertEquals(wantTies, ties, p + " " + prec + " " + h + "x" + w + ": windows with k >= 2");
            }
        }
    }

    private static int tieCount(double[] win) {
        boolean nan = false;
        double m = Double.NEGATIVE_INFINITY;
        for (double v : win) { nan |= v != v; m = Math.max(m, v); }
        int k = 0;
        for (double v : win) k += (nan ? v != v : v == m) ? 1 : 0;
        return k;
    }

    @Test
    void nanIsTheMaximumAndItsPositionsAreTheTieSet() {
        double[] x = {1, Double.NaN, 5, Double.NaN};
        assertArrayEquals(new double[] {0, 6, 0, 0}, backward(Precision.FP32, x, 6, PoolPolicy.FIRST));
        assertArrayEquals(new double[] {0, 0, 0, 6}, backward(Precision.FP32, x, 6, PoolPolicy.LAST));
        assertArrayEquals(new double[] {0, 3, 0, 3}, backward(Precision.FP32, x, 6, PoolPolicy.MIN_NORM));
    }

    @Test
    void overlappingWindowsAccumulateAndPaddingNeverTakesGradient() {
        // 3x3 input, kernel 2 stride 1 padding 1 -> 4x4 windows; all inputs equal: every window is a full tie.
        PoolGeometry g = new PoolGeometry(2, 1, 1);
        double[] x = new double[9];
        java.util.Arrays.fill(x, -7);
        Tensor in = cpu.upload(Precision.FP64, new int[] {1, 1, 3, 3}, x);
        Tensor y = cpu.zeros(Precision.FP64, 1, 1, 4, 4);
        long ties = cpu.maxPoolForward(in, g, PoolPolicy.ALL, y);
        assertEquals(12, ties, "8 edge windows (2 real inputs) and 4 inner ones (4) tie; the 4 corners hold one input");
        double[] ones = new double[16];
        java.util.Arrays.fill(ones, 1);
        Tensor dx = cpu.zeros(Precision.FP64, 1, 1, 3, 3);
        cpu.maxPoolBackward(in, cpu.upload(Precision.FP64, new int[] {1, 1, 4, 4}, ones), g, PoolPolicy.ALL, dx);
        assertArrayEquals(new double[] {4, 4, 4, 4, 4, 4, 4, 4, 4}, cpu.download(dx), "each input lies in 4 windows");
        cpu.maxPoolBackward(in, cpu.upload(Precision.FP64, new int[] {1, 1, 4, 4}, ones), g, PoolPolicy.FIRST, dx);
        double total = 0;
        for (double v : cpu.download(dx)) total += v;
        assertEquals(16, total, "first sends each window's gradient to exactly one real input");
    }
}
