package io.tiebreak.runtime.zones;

import static io.tiebreak.runtime.zones.PrimeFieldTest.residueOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.models.ModelSpec;
import io.tiebreak.runtime.models.Models;
import io.tiebreak.runtime.nn.Context;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.math.BigDecimal;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each backward op of the exact test gives the residues of its exact value over the reals: checked against exact
 * decimal arithmetic (every binary64 value is a finite decimal) where the result is one, and against the defining
 * identities of each pooling policy where it is not (min-norm's 1/k).
 */
class ModularBackendTest {
    private static final PrimeField F = PrimeField.P1;
    private final CpuBackend cpu = new CpuBackend(2);
    private final ModularBackend exact = new ModularBackend(cpu);
    private final Rng rng = Rng.of(3, "modular");

    @AfterEach
    void close() { cpu.close(); }

    private Tensor tensor(double[] v, int... shape) { return cpu.upload(Precision.FP64, shape, v); }

    private double[] normals(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.normal() * Math.scalb(1.0, rng.nextInt(20) - 10);
        return v;
    }

    private static double[] residues(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = F.residue(v[i]);
        return r;
    }

    private static double[] residues(BigDecimal[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = residueOf(v[i], F);
        return r;
    }

    private static BigDecimal[] zeros(int n) {
        BigDecimal[] z = new BigDecimal[n];
        java.util.Arrays.fill(z, BigDecimal.ZERO);
        return z;
    }

    private static BigDecimal b(double v) { return new BigDecimal(v); }

    @Test
    void convolutionGradientsAreTheExactSums() {
        for (int stride : new int[] {1, 2}) {
            int n = 2, c = 3, h = 5, w = 5, o = 4, k = 3, pad = 1;
            ConvGeometry g = ConvGeometry.square(c, o, k, stride, pad);
            int ho = g.outH(h), wo = g.outW(w);
            double[] x = normals(n * c * h * w), wt = normals(o * c * k * k), dy = normals(n * o * ho * wo);
            BigDecimal[] dx = zeros(x.length), dw = zeros(wt.length), db = zeros(o);
            for (int in = 0; in < n; in++) for (int oc = 0; oc < o; oc++) for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    BigDecimal d = b(dy[((in * o + oc) * ho + oy) * wo + ox]);
                    db[oc] = db[oc].add(d);
                    for (int ic = 0; ic < c; ic++) for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) {
                        int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        int xi = ((in * c + ic) * h + iy) * w + ix, wi = ((oc * c + ic) * k + ky) * k + kx;
                        dw[wi] = dw[wi].add(d.multiply(b(x[xi])));
                        dx[xi] = dx[xi].add(d.multiply(b(wt[wi])));
                    }
                }
            }
            Tensor dxT = cpu.zeros(Precision.FP64, n, c, h, w), dwT = cpu.zeros(Precision.FP64, o, c, k, k);
            Tensor dbT = cpu.zeros(Precision.FP64, o);
            assertTrue(exact.exactly(F, () -> {
                exact.conv2dBackward(tensor(x, n, c, h, w), tensor(wt, o, c, k, k), tensor(residues(dy), n, o, ho, wo), g,
                        dxT, dwT, dbT);
            }));
            assertArrayEquals(residues(dx), cpu.download(dxT), "dx, stride " + stride);
            assertArrayEquals(residues(dw), cpu.download(dwT), "dw, stride " + stride);
            assertArrayEquals(residues(db), cpu.download(dbT), "db, stride " + stride);
        }
    }

    @Test
    void linearGradientsAreTheExactSums() {
        int n = 3, in = 5, out = 4;
        double[] x = normals(n * in), wt = normals(out * in), dy = normals(n * out);
        BigDecimal[] dx = zeros(n * in), dw = zeros(out * in), db = zeros(out);
        for (int s = 0; s < n; s++) for (int j = 0; j < out; j++) {
            BigDecimal d = b(dy[s * out + j]);
            db[j] = db[j].add(d);
            for (int i = 0; i < in; i++) {
                dw[j * in + i] = dw[j * in + i].add(d.multiply(b(x[s * in + i])));
                dx[s * in + i] = dx[s * in + i].add(d.multiply(b(wt[j * in + i])));
            }
        }
        Tensor dxT = cpu.zeros(Precision.FP64, n, in), dwT = cpu.zeros(Precision.FP64, out, in);
        Tensor dbT = cpu.zeros(Precision.FP64, out);
        assertTrue(exact.exactly(F, () -> {
            exact.linearBackward(tensor(x, n, in), tensor(wt, out, in), tensor(residues(dy), n, out), dxT, dwT, dbT);
        }));
        assertArrayEquals(residues(dx), cpu.download(dxT));
        assertArrayEquals(residues(dw), cpu.download(dwT));
        assertArrayEquals(residues(db), cpu.download(dbT));
    }

    @Test
    void reluPassesTheGradientAbove0AndAlphaTimesItAt0() {
        double[] x = {2, -3, 0, -0.0, 1e-300, -1e-300}, dy = normals(6);
        Tensor dx = cpu.zeros(Precision.FP64, 6);
        assertTrue(exact.exactly(F, () -> {
            exact.reluBackward(tensor(x, 6), tensor(residues(dy), 6), 0.375, dx);
        }));
        double a = F.residue(0.375);
        double[] r = residues(dy);
        assertArrayEquals(new double[] {r[0], 0, F.multiply(a, r[2]), F.multiply(a, r[3]), r[4], 0}, cpu.download(dx));

        assertFalse(exact.exactly(F, () -> exact.reluBackward(tensor(new double[] {1, Double.NaN}, 2),
                tensor(new double[] {1, 1}, 2), 0, cpu.zeros(Precision.FP64, 2))),
                "a NaN activation has no exact value: the pass says so");
    }

    /** One 4x4 plane, 2x2/2 windows with 1, 2, 3 and 4 tied maxima (in row-major window order: a, b / c, d). */
    private static final double[] TIES = {
        5, 1, 7, 7,
        2, 3, 0, 1,
        4, 4, 9, 9,
        4, 0, 9, 9};
    private static final int[][] TIED = {{0}, {2, 3}, {8, 9, 12}, {10, 11, 14, 15}};

    private double[] pool(PoolPolicy policy, double[] dyResidues) {
        Tensor dx = cpu.zeros(Precision.FP64, 1, 1, 4, 4);
        assertTrue(exact.exactly(F, () -> exact.maxPoolBackward(tensor(TIES, 1, 1, 4, 4), tensor(dyResidues, 1, 1, 2, 2),
                new PoolGeometry(2, 2, 0), policy, dx)));
        return cpu.download(dx);
    }

    @Test
    void maxPoolRoutesByThePolicyOverTheTieSet() {
        double[] g = residues(normals(4));
        double[] first = pool(PoolPolicy.FIRST, g), last = pool(PoolPolicy.LAST, g), all = pool(PoolPolicy.ALL, g);
        double[] minNorm = pool(PoolPolicy.MIN_NORM, g);
        double beta = 1000;
        double[] betaExact = pool(PoolPolicy.beta(beta, PoolPolicy.Form.EXACT), g);
        double[] betaComposite = pool(PoolPolicy.beta(beta, PoolPolicy.Form.COMPOSITE), g);
        for (int win = 0; win < 4; win++) {
            int[] t = TIED[win];
            int k = t.length;
            assertEquals(g[win], first[t[0]]);
            assertEquals(g[win], last[t[k - 1]]);
            for (int i : t) {
                assertEquals(g[win], all[i]);
                assertEquals(g[win], F.multiply(F.of(k), minNorm[i]), "min-norm gives g/k exactly, window " + win);
                double share = F.multiply(F.of(k), i == t[0] ? F.add(betaExact[i], -F.multiply(F.add(1, -F.residue(beta)), g[win])) : betaExact[i]);
                assertEquals(F.multiply(F.residue(beta), g[win]), share, "B g / k to each tie, window " + win);
            }
            double sum = 0;
            for (int i : t) sum = F.add(sum, betaExact[i]);
            assertEquals(g[win], sum, "beta:B routes all of g");
        }
        assertArrayEquals(betaExact, betaComposite, "over the reals the composite form is the exact one");
        for (int i : new int[] {1, 4, 5, 6, 7, 13}) assertEquals(0, first[i] + minNorm[i] + all[i], "untied input " + i);
    }

    @Test
    void overlappingWindowsAddTheirShares() {
        // 3x3 stride 2 padding 1 over a constant 3x3 plane: windows (0,0), (0,1), (1,0), (1,1) share the middle row
        // and column; every input is tied in every window that holds it.
        double[] x = new double[9];
        java.util.Arrays.fill(x, 1.5);
        double[] g = residues(normals(4));
        Tensor dx = cpu.zeros(Precision.FP64, 1, 1, 3, 3);
        assertTrue(exact.exactly(F, () -> {
            exact.maxPoolBackward(tensor(x, 1, 1, 3, 3), tensor(g, 1, 1, 2, 2), new PoolGeometry(3, 2, 1), PoolPolicy.MIN_NORM, dx);
        }));
        double[] r = cpu.download(dx);
        // window (0,0) covers rows 0-1, columns 0-1: 4 inputs; the centre (1,1) is in all four windows of 4 inputs.
        double quarter = F.inverse(F.of(4));
        double centre = 0;
        for (double v : g) centre = F.add(centre, F.multiply(v, quarter));
        assertEquals(centre, r[4]);
        assertEquals(F.multiply(g[0], quarter), r[0]);
        assertEquals(F.add(F.multiply(g[0], quarter), F.multiply(g[1], quarter)), r[1]);
    }

    @Test
    void averagePoolsDivideExactly() {
        double[] g = residues(normals(9));
        Tensor dx = cpu.zeros(Precision.FP64, 1, 1, 5, 5);
        assertTrue(exact.exactly(F, () -> {
            exact.adaptiveAvgPoolBackward(tensor(g, 1, 1, 3, 3), dx);
        }));
        double[] r = cpu.download(dx);
        // 5 -> 3 adaptive windows along an axis: [0,2), [1,4), [3,5): input 1 is in windows 0 and 1 (areas 2 and 3).
        IntFunction<Double> inv = a -> F.inverse(F.of(a));
        double expected = F.add(F.multiply(g[0], inv.apply(2 * 2)), F.multiply(g[1], inv.apply(2 * 3)));
        assertEquals(expected, r[1], "input (0,1): windows (0,0) of area 4 and (0,1) of area 6");
        Tensor dx2 = cpu.zeros(Precision.FP64, 1, 1, 4, 4);
        assertTrue(exact.exactly(F, () -> {
            exact.avgPoolBackward(tensor(new double[] {g[0], g[1], g[2], g[3]}, 1, 1, 2, 2), new PoolGeometry(2, 2, 0), dx2);
        }));
        assertEquals(g[0], F.multiply(F.of(4), cpu.download(dx2)[0]));
    }

    @Test
    void batchNormGradientsAreTheExactFormula() {
        int n = 2, c = 3, spatial = 4, count = n * spatial; // count a power of two: the formula is a finite decimal
        double[] x = normals(n * c * spatial), dy = normals(x.length), gamma = normals(c), mean = normals(c);
        double[] invStd = normals(c);
        BigDecimal[] dx = new BigDecimal[x.length], dgamma = new BigDecimal[c], dbeta = new BigDecimal[c];
        BigDecimal cnt = BigDecimal.valueOf(count);
        for (int ch = 0; ch < c; ch++) {
            BigDecimal sumDy = BigDecimal.ZERO, dot = BigDecimal.ZERO, is = b(invStd[ch]);
            for (int s = 0; s < n; s++) for (int i = 0; i < spatial; i++) {
                int at = (s * c + ch) * spatial + i;
                sumDy = sumDy.add(b(dy[at]));
                dot = dot.add(b(x[at]).subtract(b(mean[ch])).multiply(b(dy[at])));
            }
            dgamma[ch] = dot.multiply(is);
            dbeta[ch] = sumDy;
            for (int s = 0; s < n; s++) for (int i = 0; i < spatial; i++) {
                int at = (s * c + ch) * spatial + i;
                BigDecimal xm = b(x[at]).subtract(b(mean[ch]));
                dx[at] = b(dy[at]).subtract(xm.multiply(dot).multiply(is).multiply(is).divide(cnt))
                        .subtract(sumDy.divide(cnt)).multiply(is).multiply(b(gamma[ch]));
            }
        }
        Tensor dxT = cpu.zeros(Precision.FP64, n, c, spatial), dgT = cpu.zeros(Precision.FP64, c);
        Tensor dbT = cpu.zeros(Precision.FP64, c);
        assertTrue(exact.exactly(F, () -> {
            exact.batchNormBackward(tensor(x, n, c, spatial), tensor(gamma, c), tensor(residues(dy), n, c, spatial),
                    tensor(mean, c), tensor(invStd, c), dxT, dgT, dbT);
        }));
        assertArrayEquals(residues(dx), cpu.download(dxT));
        assertArrayEquals(residues(dgamma), cpu.download(dgT));
        assertArrayEquals(residues(dbeta), cpu.download(dbT));
    }

    @Test
    void sumsAreOfActivationsBeforeTheLossAndOfResiduesAfter() {
        double[] a = {0.1, 0.2}, bv = {0.7, 1e20};
        Tensor out = cpu.zeros(Precision.FP64, 2);
        double[] ra = residues(a), rb = residues(bv);
        assertTrue(exact.exactly(F, () -> {
            exact.add(tensor(a, 2), tensor(bv, 2), out);
            assertArrayEquals(new double[] {0.1 + 0.7, 0.2 + 1e20}, cpu.download(out), "the forward's add is fp64's");
            Tensor logits = tensor(new double[] {1, 2, 3}, 1, 3), dlogits = cpu.zeros(Precision.FP64, 1, 3);
            exact.softmaxCrossEntropy(logits, new int[] {1}, 1, dlogits);
            Tensor fp64Seed = cpu.zeros(Precision.FP64, 1, 3);
            cpu.softmaxCrossEntropy(logits, new int[] {1}, 1, fp64Seed);
            assertArrayEquals(residues(cpu.download(fp64Seed)), cpu.download(dlogits), "the loss gradient, taken as exact");
            exact.add(tensor(ra, 2), tensor(rb, 2), out);
        }));
        assertArrayEquals(new double[] {F.add(ra[0], rb[0]), F.add(ra[1], rb[1])}, cpu.download(out), "after the loss");
    }

    @Test
    void sumsTooLongToBeExactAreRefused() {
        ModularBackend.requireExact(PrimeField.MAX_TERMS, "at the limit");
        var e = assertThrows(IllegalArgumentException.class,
                () -> ModularBackend.requireExact(PrimeField.MAX_TERMS + 1, "weight gradient of a convolution"));
        assertTrue(e.getMessage().contains("weight gradient of a convolution") && e.getMessage().contains("smaller minibatches"));
    }

    @Test
    void outsideTheTestEveryCallIsTheWrappedBackends() {
        ModelSpec spec = new ModelSpec(ModelSpec.Network.LENET5, true, 1, 28, 28, 10);
        Model plain = Models.build(spec, new Context(cpu, Precision.FP64), PoolPolicy.MIN_NORM, 0, 4);
        Model wrapped = Models.build(spec, new Context(exact, Precision.FP64), PoolPolicy.MIN_NORM, 0, 4);
        double[] x = normals(3 * 28 * 28);
        int[] labels = {1, 7, 2};
        double lp = plain.lossAndGradients(tensor(x, 3, 1, 28, 28), labels, 1).loss();
        double lw = wrapped.lossAndGradients(tensor(x, 3, 1, 28, 28), labels, 1).loss();
        assertEquals(lp, lw);
        for (int i = 0; i < plain.trainable().size(); i++) {
            assertArrayEquals(cpu.download(plain.trainable().get(i).grad()), cpu.download(wrapped.trainable().get(i).grad()));
        }
        ModularBackend.Residues r = exact.gradients(wrapped, tensor(x, 3, 1, 28, 28), labels, F);
        assertTrue(r.finite());
        assertEquals(0, r.differing(exact.gradients(wrapped, tensor(x, 3, 1, 28, 28), labels, F)));
        double lw2 = wrapped.lossAndGradients(tensor(x, 3, 1, 28, 28), labels, 1).loss();
        assertEquals(lp, lw2, "the exact test leaves the model computing fp64 again");
        assertArrayEquals(cpu.download(plain.trainable().get(0).grad()), cpu.download(wrapped.trainable().get(0).grad()));
    }
}
