package io.tiebreak.runtime.check;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.Backends;
import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.backend.cpu.CpuBackend;
import io.tiebreak.runtime.backend.cuda.CudaBackend;
import io.tiebreak.runtime.backend.cuda.CudaUnavailableException;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.random.Rng;
import io.tiebreak.runtime.tensor.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs every kernel of a GPU backend on random inputs and compares it with {@link CpuBackend}: bitwise for
 * elementwise ops, pooling under every policy and form, batch norm, bias gradients and optimizer updates (they add
 * in the CPU's order); within a stated rounding bound for GEMM-based ops (conv, linear) and the loss, whose
 * summation order differs. Inputs include constructed ties, zeros (ReLU'(0)), NaN and infinities and, in fp16,
 * distinct binary32 values that collide once rounded to binary16. Prints one table row per check.
 *
 * <p>Behind {@code java -jar gpu-runtime.jar selftest [--device cuda:N] [--seed S]}: {@link #run}. Exit codes: 0
 * every check passed, 1 a check failed, 2 bad arguments, 3 no usable GPU here (the reason is printed).
 */
public final class SelfTest {
    public static final int PASSED = 0, FAILED = 1, USAGE = 2, NO_GPU = 3;

    /**
     * GEMM bound, per output element: |gpu - cpu| <= 2 * gamma(K) * S + ulp(max(|gpu|, |cpu|)) in the output format,
     * where S = sum over the element's K products of |a*b| (plus |bias|), computed in fp64 from the operands as the
     * product sees them, and gamma(K) = K*u / (1 - K*u) with u = 2^-24 (binary32 accumulation) or 2^-53 (fp64).
     * Any summation order of K products errs by at most gamma(K) * S; each side then rounds once.
     */
    static final String GEMM_BOUND = "2*gamma(K)*S + 1 ulp";

    /**
     * Softmax cross-entropy with K classes: exp and log are the platform's (the JVM's and CUDA's binary64 functions
     * are within an ulp but not always equal), so per row the exps may differ by an ulp u of the arithmetic type
     * (2^-24, or 2^-53 for fp64) and the loss by |gpu - cpu| <= 4 ulp(loss) + 2(K + 4)u; each gradient element by
     * 2 ulp(d) + (2K + 4)u * scale / N. The correct-prediction count is exact.
     */
    static final String LOSS_BOUND = "4 ulp + 2(K+4)u", DLOGITS_BOUND = "2 ulp + (2K+4)u*scale/N";

    private final Backend gpu;
    private final CpuBackend cpu;
    private final PrintStream out;
    private final Rng rng;
    private final List<Row> rows = new ArrayList<>();

    /** One check: name, precision, case, whether it passed and how close it came. */
    public record Row(String check, String precision, String inputs, boolean passed, String worst, String bound) {}

    public SelfTest(Backend gpu, CpuBackend cpu, long seed, PrintStream out) {
        this.gpu = gpu;
        this.cpu = cpu;
        this.out = out;
        this.rng = Rng.of(seed, "cuda-selftest");
    }

    /** Runs every check on device against the CPU backend; returns the exit code (see the class comment). */
    public static int run(String device, long seed, PrintStream out, PrintStream err) {
        Backend gpu;
        try {
            gpu = Backends.open(device);
        } catch (CudaUnavailableException e) {
            out.println("selftest: SKIPPED, no usable GPU: " + e.getMessage());
            return NO_GPU;
        } catch (IllegalArgumentException e) {
            err.println("selftest: " + e.getMessage());
            return USAGE;
        }
        try (Backend g = gpu; CpuBackend c = CpuBackend.allCores()) {
            out.println("tiebreak CUDA self-test: " + g.name() + " against cpu, seed " + seed + ", kernels "
                    + CudaBackend.kernelDescription());
            List<Row> result = new SelfTest(g, c, seed, out).runAll();
            return result.stream().allMatch(Row::passed) ? PASSED : FAILED;
        }
    }

    /** Every check, printing the table as it goes; returns the rows. */
    public List<Row> runAll() {
        header();
        for (Precision p : Precision.values()) checks(p);
        determinism();
        return summary();
    }

    /** The checks of one precision only. */
    public List<Row> runSubset(Precision p) {
        header();
        checks(p);
        return summary();
    }

    private void checks(Precision p) {
        memory(p);
        elementwise(p);
        concatenation(p);
        pooling(p);
        batchNorm(p);
        loss(p);
        lossArgmax(p);
        optimizers(p);
        convolution(p);
        linear(p);
    }

    private void header() {
        out.println(String.format(Locale.ROOT, "%-34s %-6s %-34s %-5s %-22s %s", "check", "prec", "inputs", "result", "worst", "bound"));
    }

    private List<Row> summary() {
        long failed = rows.stream().filter(r -> !r.passed()).count();
        out.println(rows.size() + " checks, " + failed + " failed");
        return rows;
    }

    // ---- inputs ----------------------------------------------------------------------------------------------

    /** Few distinct values (ties everywhere), signed zeros and, for fp16, values that collide once rounded. */
    private double[] tied(int n, Precision p) {
        double[] v = new double[n];
        double[] grid = {-2, -1, -0.5, 0, -0.0, 0.5, 1, 1.5, 2, 3};
        for (int i = 0; i < n; i++) {
            int r = rng.nextInt(10);
            if (r < 6) v[i] = grid[rng.nextInt(grid.length)];
            else if (r < 8 && p == Precision.FP16) v[i] = 1 + rng.nextInt(4) * 0x1p-13; // 1, 1+2^-13.. round to 1 or 1+2^-10
            else v[i] = rng.normal();
        }
        return v;
    }

    private double[] normal(int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.normal() * scale;
        return v;
    }

    /** Normal values plus the special ones: NaN, infinities, zeros, binary16 overflow and subnormals. */
    private double[] special(int n) {
        double[] v = normal(n, 2);
        double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 70000, -65520,
            1e-6, -3e-8, 1e-300, 0x1p-25, 0x1p-24 * 1.5};
        for (int i = 0; i < odd.length && i < n; i++) v[rng.nextInt(n)] = odd[i];
        return v;
    }

    private Tensor on(Backend b, Precision p, int[] shape, double[] v) { return b.upload(p, shape, v); }

    // ---- comparisons -----------------------------------------------------------------------------------------

    private void record(String check, Precision p, String inputs, boolean passed, String worst, String bound) {
        Row r = new Row(check, p == null ? "-" : p.id(), inputs, passed, worst, bound);
        rows.add(r);
        out.println(String.format(Locale.ROOT, "%-34s %-6s %-34s %-5s %-22s %s", r.check(), r.precision(),
                r.inputs(), r.passed() ? "PASS" : "FAIL", r.worst(), r.bound()));
    }

    private static boolean same(double a, double b) {
        return Double.doubleToLongBits(a) == Double.doubleToLongBits(b) || (a != a && b != b);
    }

    private void exact(String check, Precision p, String inputs, Tensor g, Tensor c) {
        exact(check, p, inputs, gpu.download(g), cpu.download(c));
    }

    private void exact(String check, Precision p, String inputs, double[] g, double[] c) {
        int differ = 0, first = -1;
        for (int i = 0; i < c.length; i++) {
            if (!same(g[i], c[i])) {
                if (first < 0) first = i;
                differ++;
            }
        }
        String worst = differ == 0 ? "0 differ" : differ + " differ, [" + first + "] " + g[first] + " vs " + c[first];
        record(check, p, inputs, differ == 0 && g.length == c.length, worst, "bitwise");
    }

    private void exactScalar(String check, Precision p, String inputs, double g, double c) {
        record(check, p, inputs, same(g, c), same(g, c) ? "equal" : g + " vs " + c, "bitwise");
    }

    /** Spacing of a format at |v| (binary16 includes its subnormal spacing 2^-24). */
    static double ulp(Format f, double v) {
        double a = Math.abs(v);
        switch (f) {
            case HALF: return a < 0x1p-14 ? 0x1p-24 : Math.scalb(1.0, Math.getExponent(a) - 10);
            case SINGLE: return Math.ulp((float) a);
            default: return Math.ulp(a);
        }
    }

    static double gamma(long k, Precision p) {
        double u = p.isDouble() ? 0x1p-53 : 0x1p-24;
        return k * u / (1 - k * u);
    }

    /** The GEMM bound per element (see {@link #GEMM_BOUND}); S holds the sums of |products|. */
    private void bounded(String check, Precision p, String inputs, Tensor g, Tensor c, double[] s, long k) {
        double[] gv = gpu.download(g), cv = cpu.download(c);
        Format f = p.matmulFormat();
        double gam = gamma(k, p), worst = 0;
        int bad = 0, first = -1;
        for (int i = 0; i < cv.length; i++) {
            if (same(gv[i], cv[i])) continue;
            double bound = 2 * gam * s[i] + ulp(f, Math.max(Math.abs(gv[i]), Math.abs(cv[i])));
            double diff = Math.abs(gv[i] - cv[i]);
            double ratio = diff / bound;
            if (!(ratio <= 1)) {
                if (first < 0) first = i;
                bad++;
            }
            if (!(ratio <= worst)) worst = ratio;
        }
        String w = worst == 0 ? "identical" : String.format(Locale.ROOT, "%.3g of bound", worst)
                + (bad > 0 ? ", " + bad + " over at [" + first + "]" : "");
        record(check, p, inputs, bad == 0, w, GEMM_BOUND + ", K=" + k);
    }

    private static String shape(int... s) { return Arrays.toString(s).replace(" ", ""); }

    // ---- checks ----------------------------------------------------------------------------------------------

    private void memory(Precision p) {
        int[] shape = {5, 37};
        double[] v = special(185);
        exact("upload(double[])/download", p, shape(shape) + " special", on(gpu, p, shape, v), on(cpu, p, shape, v));
        float[] f = new float[v.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) v[i];
        Tensor gw = gpu.zeros(p, shape), cw = cpu.zeros(p, shape);
        gpu.write(gw, f);
        cpu.write(cw, f);
        exact("write(float[])/download", p, shape(shape) + " special", gw, cw);
        gpu.write(gw, v);
        cpu.write(cw, v);
        exact("write(double[])/download", p, shape(shape) + " special", gw, cw);
        Tensor gf = gpu.zeros(p, shape), cf = cpu.zeros(p, shape);
        gpu.fill(gf, 1.0 / 3);
        cpu.fill(cf, 1.0 / 3);
        exact("fill", p, shape(shape) + " 1/3", gf, cf);
        Tensor gs = on(gpu, p, shape, v), gc = gpu.zeros(p, shape), cc = cpu.zeros(p, shape);
        gpu.copy(gs, gc);
        cpu.copy(on(cpu, p, shape, v), cc);
        exact("copy", p, shape(shape) + " special", gc, cc);
        for (Precision q : Precision.values()) {
            Tensor gq = gpu.zeros(q, shape), cq = cpu.zeros(q, shape);
            gpu.convert(on(gpu, p, shape, v), gq);
            cpu.convert(on(cpu, p, shape, v), cq);
            exact("convert to " + q.id(), p, shape(shape) + " special", gq, cq);
        }
    }

    private void elementwise(Precision p) {
        int[] shape = {3, 5, 7, 11};
        int n = 3 * 5 * 7 * 11;
        double[] x = tied(n, p), dy = normal(n, 1), s = special(n);
        x[3] = Double.NaN;
        exact("relu.forward", p, shape(shape) + " ties,zeros,nan", unary(p, shape, x, true), unary(p, shape, x, false));
        for (double alpha : new double[] {0, 0.5, 0.1}) {
            Tensor gdx = gpu.zeros(p, shape), cdx = cpu.zeros(p, shape);
            gpu.reluBackward(on(gpu, p, shape, x), on(gpu, p, shape, dy), alpha, gdx);
            cpu.reluBackward(on(cpu, p, shape, x), on(cpu, p, shape, dy), alpha, cdx);
            exact("relu.backward alpha=" + alpha, p, shape(shape) + " ties,zeros,nan", gdx, cdx);
        }
        Tensor ga = on(gpu, p, shape, s), ca = on(cpu, p, shape, s);
        gpu.add(ga, on(gpu, p, shape, x), ga);
        cpu.add(ca, on(cpu, p, shape, x), ca);
        exact("add (in place)", p, shape(shape) + " special+ties", ga, ca);
        gpu.scale(ga, 0.3);
        cpu.scale(ca, 0.3);
        exact("scale 0.3", p, shape(shape), ga, ca);
        exactScalar("countNonFinite", p, shape(shape) + " special", gpu.countNonFinite(on(gpu, p, shape, s)),
                cpu.countNonFinite(on(cpu, p, shape, s)));
        double[] gn = gpu.norms(on(gpu, p, shape, dy)), cn = cpu.norms(on(cpu, p, shape, dy));
        double tol = 2 * gamma(n, Precision.FP64);
        boolean ok = Math.abs(gn[0] - cn[0]) <= tol * cn[0] && Math.abs(gn[1] * gn[1] - cn[1] * cn[1]) <= 2 * tol * cn[1] * cn[1]
                && same(gn[2], cn[2]);
        record("norms (l1, l2, linf)", p, shape(shape), ok, String.format(Locale.ROOT, "l1 %.3g rel", Math.abs(gn[0] - cn[0]) / cn[0]),
                "2*gamma_64(n) rel, linf bitwise");
        double[] withNan = dy.clone();
        withNan[7] = Double.NaN;
        double[] gq = gpu.norms(on(gpu, p, shape, withNan)), cq = cpu.norms(on(cpu, p, shape, withNan));
        record("norms with NaN", p, shape(shape), Double.isNaN(gq[0]) && Double.isNaN(gq[1]) && Double.isNaN(gq[2])
                && Double.isNaN(cq[2]), Arrays.toString(gq), "all NaN");
    }

    /** DenseNet's channel concatenation and its backward: copies, so bitwise, special values included. */
    private void concatenation(Precision p) {
        for (int[][] s : new int[][][] {{{2, 3, 4, 5}, {2, 6, 4, 5}}, {{3, 7}, {3, 1}}, {{1, 32, 1, 1}, {1, 32, 1, 1}}}) {
            int[] as = s[0], bs = s[1], ys = as.clone();
            ys[1] += bs[1];
            double[] a = special(Arrays.stream(as).reduce(1, (x, y) -> x * y));
            double[] b = special(Arrays.stream(bs).reduce(1, (x, y) -> x * y));
            double[] dy = special(Arrays.stream(ys).reduce(1, (x, y) -> x * y));
            String inputs = shape(as) + "+" + shape(bs) + " special";
            Tensor gy = gpu.zeros(p, ys), cy = cpu.zeros(p, ys);
            gpu.concatForward(on(gpu, p, as, a), on(gpu, p, bs, b), gy);
            cpu.concatForward(on(cpu, p, as, a), on(cpu, p, bs, b), cy);
            exact("concat.forward", p, inputs, gy, cy);
            Tensor gda = gpu.zeros(p, as), gdb = gpu.zeros(p, bs), cda = cpu.zeros(p, as), cdb = cpu.zeros(p, bs);
            gpu.concatBackward(on(gpu, p, ys, dy), gda, gdb);
            cpu.concatBackward(on(cpu, p, ys, dy), cda, cdb);
            exact("concat.backward (first part)", p, inputs, gda, cda);
            exact("concat.backward (second part)", p, inputs, gdb, cdb);
        }
    }

    private Tensor unary(Precision p, int[] shape, double[] x, boolean onGpu) {
        Backend b = onGpu ? gpu : cpu;
        Tensor y = b.zeros(p, shape);
        b.reluForward(on(b, p, shape, x), y);
        return y;
    }

    private static final PoolPolicy[] POLICIES = {
        PoolPolicy.FIRST, PoolPolicy.LAST, PoolPolicy.MIN_NORM, PoolPolicy.ALL,
        PoolPolicy.beta(0, PoolPolicy.Form.EXACT), PoolPolicy.beta(1, PoolPolicy.Form.EXACT),
        PoolPolicy.beta(10, PoolPolicy.Form.EXACT), PoolPolicy.beta(1000, PoolPolicy.Form.EXACT),
        PoolPolicy.beta(0.3, PoolPolicy.Form.EXACT), PoolPolicy.beta(1, PoolPolicy.Form.COMPOSITE),
        PoolPolicy.beta(100, PoolPolicy.Form.COMPOSITE), PoolPolicy.beta(1000, PoolPolicy.Form.COMPOSITE),
        PoolPolicy.beta(10000, PoolPolicy.Form.COMPOSITE), PoolPolicy.beta(-2.5, PoolPolicy.Form.COMPOSITE),
    };

    private void pooling(Precision p) {
        int[] shape = {2, 3, 7, 9};
        int n = 2 * 3 * 7 * 9;
        double[] x = tied(n, p), nanX = tied(n, p);
        nanX[10] = Double.NaN;
        nanX[11] = Double.NaN;
        nanX[40] = Double.NaN;
        PoolGeometry[] geometries = {new PoolGeometry(2, 2, 0), new PoolGeometry(3, 2, 1), new PoolGeometry(3, 3, 0),
            new PoolGeometry(2, 1, 0)};
        for (PoolGeometry g : geometries) {
            int[] outShape = {2, 3, g.out(7), g.out(9)};
            double[] dy = normal(2 * 3 * g.out(7) * g.out(9), 1);
            for (PoolPolicy policy : POLICIES) {
                String inputs = shape(shape) + " k" + g.kernel() + "s" + g.stride() + "p" + g.padding() + " ties";
                maxPool(p, shape, outShape, x, dy, g, policy, inputs);
            }
            maxPool(p, shape, outShape, nanX, dy, g, PoolPolicy.beta(10, PoolPolicy.Form.COMPOSITE),
                    shape(shape) + " k" + g.kernel() + "s" + g.stride() + " NaN");
            maxPool(p, shape, outShape, nanX, dy, g, PoolPolicy.MIN_NORM, shape(shape) + " k" + g.kernel() + "s" + g.stride() + " NaN");
            Tensor gy = gpu.zeros(p, outShape), cy = cpu.zeros(p, outShape);
            gpu.avgPoolForward(on(gpu, p, shape, x), g, gy);
            cpu.avgPoolForward(on(cpu, p, shape, x), g, cy);
            String inputs = shape(shape) + " k" + g.kernel() + "s" + g.stride() + "p" + g.padding();
            exact("avgpool.forward", p, inputs, gy, cy);
            Tensor gdx = gpu.zeros(p, shape), cdx = cpu.zeros(p, shape);
            gpu.avgPoolBackward(on(gpu, p, outShape, dy), g, gdx);
            cpu.avgPoolBackward(on(cpu, p, outShape, dy), g, cdx);
            exact("avgpool.backward", p, inputs, gdx, cdx);
        }
        for (int[] o : new int[][] {{1, 1}, {3, 2}, {4, 5}, {9, 11}}) {
            int[] outShape = {2, 3, o[0], o[1]};
            double[] dy = normal(6 * o[0] * o[1], 1);
            Tensor gy = gpu.zeros(p, outShape), cy = cpu.zeros(p, outShape);
            gpu.adaptiveAvgPoolForward(on(gpu, p, shape, x), gy);
            cpu.adaptiveAvgPoolForward(on(cpu, p, shape, x), cy);
            exact("adaptive_avgpool.forward", p, shape(shape) + " to " + o[0] + "x" + o[1], gy, cy);
            Tensor gdx = gpu.zeros(p, shape), cdx = cpu.zeros(p, shape);
            gpu.adaptiveAvgPoolBackward(on(gpu, p, outShape, dy), gdx);
            cpu.adaptiveAvgPoolBackward(on(cpu, p, outShape, dy), cdx);
            exact("adaptive_avgpool.backward", p, shape(shape) + " to " + o[0] + "x" + o[1], gdx, cdx);
        }
    }

    private void maxPool(Precision p, int[] shape, int[] outShape, double[] x, double[] dy, PoolGeometry g,
                         PoolPolicy policy, String inputs) {
        Tensor gx = on(gpu, p, shape, x), cx = on(cpu, p, shape, x);
        Tensor gy = gpu.zeros(p, outShape), cy = cpu.zeros(p, outShape);
        long gt = gpu.maxPoolForward(gx, g, policy, gy), ct = cpu.maxPoolForward(cx, g, policy, cy);
        if (policy.kind() == PoolPolicy.Kind.FIRST || policy.form() == PoolPolicy.Form.COMPOSITE) {
            exact("maxpool.forward " + policy, p, inputs, gy, cy);
            exactScalar("maxpool.ties " + policy, p, inputs, gt, ct);
        }
        Tensor gdx = gpu.zeros(p, shape), cdx = cpu.zeros(p, shape);
        gpu.maxPoolBackward(gx, on(gpu, p, outShape, dy), g, policy, gdx);
        cpu.maxPoolBackward(cx, on(cpu, p, outShape, dy), g, policy, cdx);
        exact("maxpool.backward " + policy, p, inputs, gdx, cdx);
    }

    private void batchNorm(Precision p) {
        Precision acc = p.accumulation();
        for (int[] shape : new int[][] {{4, 3, 5, 5}, {3, 2, 40, 40}, {6, 5}}) {
            int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b), c = shape[1];
            double[] x = normal(n, 3), dy = normal(n, 1), gamma = normal(c, 1), beta = normal(c, 1);
            double[] rm = normal(c, 0.1), rv = new double[c];
            for (int i = 0; i < c; i++) rv[i] = 0.5 + rng.nextDouble();
            for (int i = 0; i < n; i += 7) x[i] = 1.25; // repeated values
            String inputs = shape(shape);
            for (boolean training : new boolean[] {true, false}) {
                Tensor[] g = bnTensors(gpu, p, acc, shape, x, gamma, beta, rm, rv);
                Tensor[] k = bnTensors(cpu, p, acc, shape, x, gamma, beta, rm, rv);
                gpu.batchNormForward(g[0], g[1], g[2], g[3], g[4], training, 0.1, 1e-5, g[5], g[6], g[7]);
                cpu.batchNormForward(k[0], k[1], k[2], k[3], k[4], training, 0.1, 1e-5, k[5], k[6], k[7]);
                String mode = training ? "train" : "eval";
                exact("batchnorm.forward " + mode, p, inputs, g[5], k[5]);
                if (!training) continue;
                exact("batchnorm.saved_mean", p, inputs, g[6], k[6]);
                exact("batchnorm.saved_invstd", p, inputs, g[7], k[7]);
                exact("batchnorm.running_mean", p, inputs, g[3], k[3]);
                exact("batchnorm.running_var", p, inputs, g[4], k[4]);
                Tensor gdx = gpu.zeros(p, shape), cdx = cpu.zeros(p, shape);
                Tensor gdg = gpu.zeros(p, c), cdg = cpu.zeros(p, c), gdb = gpu.zeros(p, c), cdb = cpu.zeros(p, c);
                gpu.batchNormBackward(g[0], g[1], on(gpu, p, shape, dy), g[6], g[7], gdx, gdg, gdb);
                cpu.batchNormBackward(k[0], k[1], on(cpu, p, shape, dy), k[6], k[7], cdx, cdg, cdb);
                exact("batchnorm.backward dx", p, inputs, gdx, cdx);
                exact("batchnorm.backward dgamma", p, inputs, gdg, cdg);
                exact("batchnorm.backward dbeta", p, inputs, gdb, cdb);
            }
        }
    }

    /** x, gamma, beta, running mean, running var, y, saved mean, saved inverse std. */
    private Tensor[] bnTensors(Backend b, Precision p, Precision acc, int[] shape, double[] x, double[] gamma,
                               double[] beta, double[] rm, double[] rv) {
        int c = shape[1];
        return new Tensor[] {on(b, p, shape, x), on(b, p, new int[] {c}, gamma), on(b, p, new int[] {c}, beta),
            on(b, p, new int[] {c}, rm), on(b, p, new int[] {c}, rv), b.zeros(p, shape), b.zeros(acc, c), b.zeros(acc, c)};
    }

    private void loss(Precision p) {
        for (int[] s : new int[][] {{16, 10}, {7, 100}}) {
            int n = s[0], k = s[1];
            double[] logits = normal(n * k, 3);
            for (int i = 0; i < n * k; i += 5) logits[i] = 2; // argmax ties
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = rng.nextInt(k);
            for (double scale : new double[] {1, 1024}) {
                Tensor gd = gpu.zeros(p, s), cd = cpu.zeros(p, s);
                Backend.LossResult gl = gpu.softmaxCrossEntropy(on(gpu, p, s, logits), labels, scale, gd);
                Backend.LossResult cl = cpu.softmaxCrossEntropy(on(cpu, p, s, logits), labels, scale, cd);
                String inputs = shape(s) + " scale " + (int) scale;
                exactScalar("softmax_xent.correct", p, inputs, gl.correct(), cl.correct());
                // exp and log are each platform's own (within an ulp of binary64, then rounded to the arithmetic
                // type), so every exp may differ by an ulp u of the arithmetic type: the K-term sum of exps by
                // (K + 4)u relatively, each probability by (2K + 4)u. See LOSS_BOUND.
                double u = p.isDouble() ? 0x1p-53 : 0x1p-24;
                double lossBound = 4 * ulp(p.valueFormat(), cl.loss()) + 2 * (k + 4) * u;
                record("softmax_xent.loss", p, inputs, Math.abs(gl.loss() - cl.loss()) <= lossBound,
                        String.format(Locale.ROOT, "%.3g of bound", Math.abs(gl.loss() - cl.loss()) / lossBound), LOSS_BOUND);
                double[] gv = gpu.download(gd), cv = cpu.download(cd);
                double factor = scale / n, worst = 0;
                int bad = 0;
                for (int i = 0; i < cv.length; i++) {
                    if (same(gv[i], cv[i])) continue;
                    double bound = 2 * ulp(p.valueFormat(), cv[i]) + (2 * k + 4) * u * factor;
                    double ratio = Math.abs(gv[i] - cv[i]) / bound;
                    if (!(ratio <= 1)) bad++;
                    if (!(ratio <= worst)) worst = ratio;
                }
                record("softmax_xent.dlogits", p, inputs, bad == 0, worst == 0 ? "identical"
                        : String.format(Locale.ROOT, "%.3g of bound", worst) + (bad > 0 ? ", " + bad + " over" : ""), DLOGITS_BOUND);
            }
        }
    }

    /**
     * Predictions as torch.max makes them (the score of a diverged run rests on it): NaN is the maximum and the first
     * maximum wins. Rows of NaN, infinities and ties, every label: both backends count exactly the expected ones.
     */
    private void lossArgmax(Precision p) {
        double nan = Double.NaN, inf = Double.POSITIVE_INFINITY;
        double[][] rows = {{1, nan, 5, nan}, {nan, nan, nan, nan}, {inf, 3, inf, 2}, {2, 7, 7, -inf}, {-inf, -inf, -inf, -inf}};
        int[] argmax = {1, 0, 0, 1, 0};
        int k = 4, n = rows.length * k;
        double[] logits = new double[n * k];
        int[] labels = new int[n];
        int expected = 0;
        for (int r = 0; r < rows.length; r++) {
            for (int label = 0; label < k; label++) { // each row once per label
                int i = r * k + label;
                System.arraycopy(rows[r], 0, logits, i * k, k);
                labels[i] = label;
                if (label == argmax[r]) expected++;
            }
        }
        int[] s = {n, k};
        int g = gpu.softmaxCrossEntropy(on(gpu, p, s, logits), labels, 1, null).correct();
        int c = cpu.softmaxCrossEntropy(on(cpu, p, s, logits), labels, 1, null).correct();
        record("softmax_xent.correct NaN/inf/ties", p, shape(s) + " torch.max rule", g == expected && c == expected,
                "gpu " + g + ", cpu " + c + ", expected " + expected, "exact");
    }

    private void optimizers(Precision p) {
        int[] shape = {13, 17};
        int n = 13 * 17;
        double[] param = normal(n, 1), grad = normal(n, 0.1);
        double[][] settings = { // momentum, dampening, weight decay, nesterov
            {0, 0, 0, 0}, {0.9, 0, 5e-4, 0}, {0.9, 0.1, 5e-4, 0}, {0.9, 0, 1e-2, 1}};
        for (double[] st : settings) {
            Tensor gp = on(gpu, p, shape, param), cp = on(cpu, p, shape, param);
            Tensor gb = st[0] == 0 ? null : gpu.zeros(p, shape), cb = st[0] == 0 ? null : cpu.zeros(p, shape);
            for (int step = 0; step < 3; step++) {
                double[] g = normal(n, 0.1);
                gpu.sgdUpdate(gp, on(gpu, p, shape, g), gb, 0.05, st[0], st[1], st[2], st[3] != 0, step == 0);
                cpu.sgdUpdate(cp, on(cpu, p, shape, g), cb, 0.05, st[0], st[1], st[2], st[3] != 0, step == 0);
            }
            String inputs = String.format(Locale.ROOT, "m%.1f d%.1f wd%.0e%s, 3 steps", st[0], st[1], st[2], st[3] != 0 ? " nesterov" : "");
            exact("sgd.param", p, inputs, gp, cp);
            if (gb != null) exact("sgd.momentum", p, inputs, gb, cb);
        }
        for (double wd : new double[] {0, 1e-2}) {
            Tensor gp = on(gpu, p, shape, param), cp = on(cpu, p, shape, param);
            Tensor gm = gpu.zeros(p, shape), cm = cpu.zeros(p, shape), gv = gpu.zeros(p, shape), cv = cpu.zeros(p, shape);
            for (int step = 1; step <= 3; step++) {
                gpu.adamUpdate(gp, on(gpu, p, shape, grad), gm, gv, 1e-3, 0.9, 0.999, 1e-8, wd, step);
                cpu.adamUpdate(cp, on(cpu, p, shape, grad), cm, cv, 1e-3, 0.9, 0.999, 1e-8, wd, step);
            }
            exact("adam.param", p, "wd " + wd + ", 3 steps", gp, cp);
            exact("adam.exp_avg_sq", p, "wd " + wd + ", 3 steps", gv, cv);
        }
    }

    /** Operand values (bias included) as the product sees them (mixed rounds them to binary16), made non-negative. */
    private static double[] absOperand(double[] v, Precision p) {
        Format f = p.matmulOperandRounding();
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) a[i] = Math.abs(f == null ? p.valueFormat().round(v[i]) : f.round(p.valueFormat().round(v[i])));
        return a;
    }

    private void convolution(Precision p) {
        Object[][] cases = {
            {new int[] {2, 3, 8, 8}, ConvGeometry.square(3, 8, 3, 1, 1)},
            {new int[] {2, 4, 12, 12}, ConvGeometry.square(4, 6, 5, 1, 0)},
            {new int[] {2, 3, 9, 9}, ConvGeometry.square(3, 4, 3, 2, 1)},
            {new int[] {2, 2, 32, 32}, ConvGeometry.square(2, 4, 3, 1, 1)}, // multi-leaf bias sums, split-K dw
            {new int[] {1, 3, 6, 7}, new ConvGeometry(3, 5, 2, 3, 1, 2, 1, 0)},
        };
        Precision f64 = Precision.FP64;
        for (Object[] cs : cases) {
            int[] xs = (int[]) cs[0];
            ConvGeometry g = (ConvGeometry) cs[1];
            int n = xs[0], ho = g.outH(xs[2]), wo = g.outW(xs[3]);
            int[] ws = {g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW()}, ys = {n, g.outChannels(), ho, wo};
            int xn = Arrays.stream(xs).reduce(1, (a, b) -> a * b), wn = Arrays.stream(ws).reduce(1, (a, b) -> a * b);
            int yn = Arrays.stream(ys).reduce(1, (a, b) -> a * b);
            double[] x = normal(xn, 1), w = normal(wn, 0.3), b = normal(g.outChannels(), 0.1), dy = normal(yn, 1);
            String inputs = shape(xs) + " k" + g.kernelH() + "x" + g.kernelW() + "s" + g.strideH() + "p" + g.padH();
            // forward, with bias
            Tensor gy = gpu.zeros(p, ys), cy = cpu.zeros(p, ys);
            gpu.conv2dForward(on(gpu, p, xs, x), on(gpu, p, ws, w), on(gpu, p, new int[] {g.outChannels()}, b), g, gy);
            cpu.conv2dForward(on(cpu, p, xs, x), on(cpu, p, ws, w), on(cpu, p, new int[] {g.outChannels()}, b), g, cy);
            Tensor sy = cpu.zeros(f64, ys);
            cpu.conv2dForward(on(cpu, f64, xs, absOperand(x, p)), on(cpu, f64, ws, absOperand(w, p)),
                    on(cpu, f64, new int[] {g.outChannels()}, absOperand(b, p)), g, sy);
            bounded("conv.forward +bias", p, inputs, gy, cy, cpu.download(sy), g.patchSize() + 1);
            // backward
            Tensor gdx = gpu.zeros(p, xs), cdx = cpu.zeros(p, xs), gdw = gpu.zeros(p, ws), cdw = cpu.zeros(p, ws);
            Tensor gdb = gpu.zeros(p, g.outChannels()), cdb = cpu.zeros(p, g.outChannels());
            gpu.conv2dBackward(on(gpu, p, xs, x), on(gpu, p, ws, w), on(gpu, p, ys, dy), g, gdx, gdw, gdb);
            cpu.conv2dBackward(on(cpu, p, xs, x), on(cpu, p, ws, w), on(cpu, p, ys, dy), g, cdx, cdw, cdb);
            Tensor sdx = cpu.zeros(f64, xs), sdw = cpu.zeros(f64, ws);
            cpu.conv2dBackward(on(cpu, f64, xs, absOperand(x, p)), on(cpu, f64, ws, absOperand(w, p)),
                    on(cpu, f64, ys, absOperand(dy, p)), g, sdx, sdw, null);
            bounded("conv.backward dx", p, inputs, gdx, cdx, cpu.download(sdx), (long) g.outChannels() * g.kernelH() * g.kernelW());
            bounded("conv.backward dw", p, inputs, gdw, cdw, cpu.download(sdw), (long) n * ho * wo);
            exact("conv.backward db", p, inputs, gdb, cdb);
        }
    }

    private void linear(Precision p) {
        // batch, in, out. The last three reach the 128x128 tiles: forward (nt), dx (nn) and dw (tn), and split-K.
        int[][] cases = {{8, 20, 12}, {3, 500, 7}, {256, 40, 8192}, {256, 8192, 7}, {7, 8192, 256}};
        Precision f64 = Precision.FP64;
        for (int[] cs : cases) {
            int n = cs[0], in = cs[1], outF = cs[2];
            int[] xs = {n, in}, ws = {outF, in}, ys = {n, outF};
            double[] x = normal(n * in, 1), w = normal(outF * in, 0.2), b = normal(outF, 0.1), dy = normal(n * outF, 1);
            String inputs = "x" + shape(xs) + " w" + shape(ws);
            Tensor gy = gpu.zeros(p, ys), cy = cpu.zeros(p, ys);
            gpu.linearForward(on(gpu, p, xs, x), on(gpu, p, ws, w), on(gpu, p, new int[] {outF}, b), gy);
            cpu.linearForward(on(cpu, p, xs, x), on(cpu, p, ws, w), on(cpu, p, new int[] {outF}, b), cy);
            Tensor sy = cpu.zeros(f64, ys);
            cpu.linearForward(on(cpu, f64, xs, absOperand(x, p)), on(cpu, f64, ws, absOperand(w, p)),
                    on(cpu, f64, new int[] {outF}, absOperand(b, p)), sy);
            bounded("linear.forward +bias", p, inputs, gy, cy, cpu.download(sy), in + 1);
            Tensor gdx = gpu.zeros(p, xs), cdx = cpu.zeros(p, xs), gdw = gpu.zeros(p, ws), cdw = cpu.zeros(p, ws);
            Tensor gdb = gpu.zeros(p, outF), cdb = cpu.zeros(p, outF);
            gpu.linearBackward(on(gpu, p, xs, x), on(gpu, p, ws, w), on(gpu, p, ys, dy), gdx, gdw, gdb);
            cpu.linearBackward(on(cpu, p, xs, x), on(cpu, p, ws, w), on(cpu, p, ys, dy), cdx, cdw, cdb);
            Tensor sdx = cpu.zeros(f64, xs), sdw = cpu.zeros(f64, ws);
            cpu.linearBackward(on(cpu, f64, xs, absOperand(x, p)), on(cpu, f64, ws, absOperand(w, p)),
                    on(cpu, f64, ys, absOperand(dy, p)), sdx, sdw, null);
            bounded("linear.backward dx", p, inputs, gdx, cdx, cpu.download(sdx), outF);
            bounded("linear.backward dw", p, inputs, gdw, cdw, cpu.download(sdw), n);
            exact("linear.backward db", p, inputs, gdb, cdb);
        }
    }

    /** The same conv backward twice on the GPU gives the same bits (fixed-order reductions, no float atomics). */
    private void determinism() {
        Precision p = Precision.FP32;
        int[] xs = {4, 8, 16, 16}, ws = {16, 8, 3, 3}, ys = {4, 16, 16, 16};
        ConvGeometry g = ConvGeometry.square(8, 16, 3, 1, 1);
        double[] x = normal(4 * 8 * 256, 1), w = normal(16 * 8 * 9, 0.3), dy = normal(4 * 16 * 256, 1);
        double[][] first = null;
        boolean same = true;
        for (int run = 0; run < 2; run++) {
            Tensor dx = gpu.zeros(p, xs), dw = gpu.zeros(p, ws), db = gpu.zeros(p, 16);
            gpu.conv2dBackward(on(gpu, p, xs, x), on(gpu, p, ws, w), on(gpu, p, ys, dy), g, dx, dw, db);
            double[][] now = {gpu.download(dx), gpu.download(dw), gpu.download(db)};
            if (first == null) first = now;
            else for (int i = 0; i < 3; i++) same &= Arrays.equals(first[i], now[i]);
        }
        record("determinism: conv.backward twice", p, shape(xs), same, same ? "identical" : "differ", "bitwise");
    }
}
