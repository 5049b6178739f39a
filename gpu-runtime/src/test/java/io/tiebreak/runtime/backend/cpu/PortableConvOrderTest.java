package io.tiebreak.runtime.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Reproducibility;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Portable convolutions compute every output and gradient element in the documented order (docs/design.md,
 * "Reproducibility"), whichever kernel runs them: forward outputs and input gradients as chains of fused
 * multiply-adds over the patch (or the output channels), weight gradients of stride-1 few-channel layers in
 * {@link FloatMatmulKernels#LANES} lanes per chunk of images, other weight gradients as one chain per chunk of images
 * (few channels) or over the batch.
 */
class PortableConvOrderTest {

    /** binary32 or binary64 arithmetic on values held in doubles. */
    private interface Arith {
        double fma(double a, double b, double c);
        double add(double a, double b);
    }

    private static final Arith F32 = new Arith() {
        public double fma(double a, double b, double c) { return Math.fma((float) a, (float) b, (float) c); }
        public double add(double a, double b) { return (float) a + (float) b; }
    };
    private static final Arith F64 = new Arith() {
        public double fma(double a, double b, double c) { return Math.fma(a, b, c); }
        public double add(double a, double b) { return a + b; }
    };

    @ParameterizedTest(name = "{0} {1}->{2} k{3} s{4} p{5} {6}x{6} batch {7} {8}")
    @CsvSource({
        "FP32, 1, 6, 5, 1, 0, 28, 3, finite", "FP64, 1, 6, 5, 1, 0, 28, 10, finite", // LeNet-5's first layer
        "FP32, 6, 16, 5, 1, 0, 12, 9, finite", "FP64, 6, 16, 5, 1, 0, 12, 2, finite", // its second
        "FP32, 3, 8, 3, 1, 1, 32, 3, finite", "FP64, 3, 8, 3, 1, 1, 32, 2, finite",   // VGG's first: padding
        "FP32, 3, 4, 3, 2, 1, 32, 3, finite",                                          // stride 2
        "FP32, 32, 24, 3, 1, 1, 8, 3, finite", "FP64, 32, 24, 3, 1, 1, 8, 2, finite", // batch-wide GEMMs
        // Signed zeros and infinities: col2im's vectors add +0 past a row's end, which must change no value.
        "FP32, 6, 16, 5, 1, 0, 12, 4, specials", "FP64, 3, 8, 3, 1, 1, 32, 2, specials"})
    void everyElementFollowsTheDocumentedOrder(Precision precision, int cin, int cout, int k, int stride, int pad,
                                               int hw, int batch, String values) {
        ConvGeometry g = ConvGeometry.square(cin, cout, k, stride, pad);
        int ho = g.outH(hw), wo = g.outW(hw), ck = g.patchSize();
        Arith ar = precision == Precision.FP64 ? F64 : F32;
        Rng rng = Rng.of(cin * 100 + hw, "conv-order");
        // Infinities in w and dy only: the weight gradient's lanes multiply the output gradient's zero padding by
        // input values too (0 * inf = NaN where the documented order has no term).
        boolean specials = values.equals("specials");
        double[] x = values(batch * cin * hw * hw, rng, precision, false);
        double[] w = values(cout * ck, rng, precision, specials), b = values(cout, rng, precision, specials);
        double[] dy = values(batch * cout * ho * wo, rng, precision, specials);
        try (CpuBackend cpu = new CpuBackend(2, Reproducibility.PORTABLE)) {
            Tensor tx = cpu.upload(precision, new int[] {batch, cin, hw, hw}, x);
            Tensor tw = cpu.upload(precision, new int[] {cout, cin, k, k}, w);
            Tensor y = cpu.zeros(precision, batch, cout, ho, wo), dx = cpu.zeros(precision, batch, cin, hw, hw);
            Tensor dw = cpu.zeros(precision, cout, cin, k, k), db = cpu.zeros(precision, cout);
            cpu.conv2dForward(tx, tw, cpu.upload(precision, new int[] {cout}, b), g, y);
            cpu.conv2dBackward(tx, tw, cpu.upload(precision, new int[] {batch, cout, ho, wo}, dy), g, dx, dw, db);
            double[] gy = cpu.download(y), gdx = cpu.download(dx), gdw = cpu.download(dw);

            // Forward: s = fma(w[o,p], x(p), s) over the patch p = (c, ky, kx), then s + b[o].
            for (int n = 0; n < batch; n++) {
                for (int o = 0; o < cout; o++) {
                    for (int t = 0; t < ho * wo; t++) {
                        double s = 0;
                        for (int p = 0; p < ck; p++) s = ar.fma(w[o * ck + p], patch(x, g, hw, n, p, t / wo, t % wo), s);
                        same(ar.add(s, b[o]), gy[(n * cout + o) * ho * wo + t], "y", n, o, t);
                    }
                }
            }
            // Input gradient: each column of dy through the weights, chains over the output channels (GEMM), then
            // added into dx in the order of the patch rows (col2im).
            double[] want = new double[gdx.length];
            for (int n = 0; n < batch; n++) {
                for (int p = 0; p < ck; p++) {
                    for (int t = 0; t < ho * wo; t++) {
                        int at = patchIndex(g, hw, n, p, t / wo, t % wo);
                        if (at < 0) continue;
                        double s = 0;
                        for (int o = 0; o < cout; o++) s = ar.fma(w[o * ck + p], dy[(n * cout + o) * ho * wo + t], s);
                        want[at] = ar.add(want[at], s);
                    }
                }
            }
            for (int i = 0; i < want.length; i++) same(want[i], gdx[i], "dx", i / (cin * hw * hw), 0, i % (cin * hw * hw));
            // Weight gradient.
            boolean chunks = ho * wo % FloatMatmulKernels.COLUMN_ALIGN == 0 && ck <= 256;
            int lanes = precision == Precision.FP64 ? DoubleMatmulKernels.LANES : FloatMatmulKernels.LANES;
            int tasks = chunks ? Math.min(WorkerPool.MAX_TASKS, batch) : 1;
            for (int o = 0; o < cout; o++) {
                for (int p = 0; p < ck; p++) {
                    double total = 0;
                    for (int c = 0; c < tasks; c++) {
                        int n0 = WorkerPool.start(batch, tasks, c), n1 = WorkerPool.start(batch, tasks, c + 1);
                        double part = chunks && stride == 1 ? lanes(ar, x, dy, g, hw, n0, n1, o, p, lanes)
                                : chain(ar, x, dy, g, hw, n0, n1, o, p);
                        total = c == 0 ? part : ar.add(total, part);
                    }
                    same(total, gdw[o * ck + p], "dw", 0, o, p);
                }
            }
        }
    }

    /** Lanes l = q mod LANES along the output pixels on the padded rows (q = oy*wp + ox), then pairwise. */
    private static double lanes(Arith ar, double[] x, double[] dy, ConvGeometry g, int hw, int n0, int n1, int o, int p,
                                int lanes) {
        int ho = g.outH(hw), wo = g.outW(hw), wp = hw + 2 * g.padW(), cout = g.outChannels();
        double[] lane = new double[lanes];
        for (int n = n0; n < n1; n++) {
            for (int t = 0; t < ho * wo; t++) {
                int q = t / wo * wp + t % wo;
                lane[q % lane.length] = ar.fma(dy[(n * cout + o) * ho * wo + t], patch(x, g, hw, n, p, t / wo, t % wo),
                        lane[q % lane.length]);
            }
        }
        for (int width = lane.length / 2; width >= 1; width /= 2) {
            for (int i = 0; i < width; i++) lane[i] = ar.add(lane[2 * i], lane[2 * i + 1]);
        }
        return lane[0];
    }

    /** One chain over the pixels of images [n0, n1) in order. */
    private static double chain(Arith ar, double[] x, double[] dy, ConvGeometry g, int hw, int n0, int n1, int o, int p) {
        int ho = g.outH(hw), wo = g.outW(hw), cout = g.outChannels();
        double s = 0;
        for (int n = n0; n < n1; n++) {
            for (int t = 0; t < ho * wo; t++) s = ar.fma(dy[(n * cout + o) * ho * wo + t], patch(x, g, hw, n, p, t / wo, t % wo), s);
        }
        return s;
    }

    /** x at patch row p of output (oy, ox) of image n, 0 in the padding. */
    private static double patch(double[] x, ConvGeometry g, int hw, int n, int p, int oy, int ox) {
        int at = patchIndex(g, hw, n, p, oy, ox);
        return at < 0 ? 0 : x[at];
    }

    /** Index in x of patch row p = (c, ky, kx) of output (oy, ox) of image n, or -1 in the padding. */
    private static int patchIndex(ConvGeometry g, int hw, int n, int p, int oy, int ox) {
        int kk = g.kernelH() * g.kernelW(), c = p / kk, ky = p % kk / g.kernelW(), kx = p % g.kernelW();
        int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
        if (iy < 0 || ix < 0 || iy >= hw || ix >= hw) return -1;
        return ((n * g.inChannels() + c) * hw + iy) * hw + ix;
    }

    /**
     * Random values already in the precision's format, over a few binades (any other order gives other bits); with
     * specials, some -0, +0 and infinities among them.
     */
    private static double[] values(int n, Rng rng, Precision p, boolean specials) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double r = rng.normal() * Math.pow(2, rng.nextInt(6) - 3);
            int u = specials ? rng.nextInt(400) : 399;
            if (u < 8) r = -0.0; else if (u < 12) r = 0.0; else if (u == 12) r = Double.POSITIVE_INFINITY;
            else if (u == 13) r = Double.NEGATIVE_INFINITY;
            v[i] = p == Precision.FP64 ? r : (float) r;
        }
        return v;
    }

    private static void same(double want, double got, String what, int n, int a, int b) {
        assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got),
                what + " [" + n + ", " + a + ", " + b + "]: " + want + " vs " + got);
    }
}
