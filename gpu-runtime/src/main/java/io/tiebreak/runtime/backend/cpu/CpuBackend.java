package io.tiebreak.runtime.backend.cpu;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.backend.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;

/**
 * The CPU backend: float[] storage for fp16/fp32/mixed, double[] for fp64, kernels in {@link FloatKernels} and its
 * generated twin DoubleKernels, GEMMs through the native BLAS, work spread over a {@link WorkerPool}.
 *
 * <p>One backend serves one training thread (the one that created it); results are bit-identical whatever
 * {@code threads} is.
 */
public final class CpuBackend implements Backend {
    private final WorkerPool pool;
    private final Scratch scratch = new Scratch();

    public CpuBackend(int threads) {
        this.pool = new WorkerPool(threads);
    }

    /** A backend using every core the JVM sees. */
    public static CpuBackend allCores() {
        return new CpuBackend(Runtime.getRuntime().availableProcessors());
    }

    @Override public String name() { return "cpu"; }
    @Override public int threads() { return pool.threads(); }

    /** Which BLAS the GEMMs reach, for logs and result rows. */
    public static String blasDescription() { return NativeBlas.describe(); }

    // ---- storage access --------------------------------------------------------------------------------------

    private float[] f(Tensor t) {
        if (t.backend() != this || !(t.storage() instanceof float[])) throw wrongStorage(t, "float[]");
        return (float[]) t.storage();
    }

    private double[] d(Tensor t) {
        if (t.backend() != this || !(t.storage() instanceof double[])) throw wrongStorage(t, "double[]");
        return (double[]) t.storage();
    }

    private float[] fOrNull(Tensor t) { return t == null ? null : f(t); }
    private double[] dOrNull(Tensor t) { return t == null ? null : d(t); }

    private IllegalArgumentException wrongStorage(Tensor t, String want) {
        return new IllegalArgumentException(t + " is not a " + want + " tensor of this CPU backend");
    }

    // ---- memory ----------------------------------------------------------------------------------------------

    @Override
    public Tensor zeros(Precision p, int... shape) {
        int n = Shapes.size(shape);
        return new Tensor(this, p, shape, p.isDouble() ? new double[n] : new float[n]);
    }

    @Override
    public void write(Tensor t, double[] values) {
        requireLength(values.length, t);
        if (t.precision().isDouble()) {
            System.arraycopy(values, 0, d(t), 0, values.length);
        } else {
            Format fmt = t.precision().valueFormat();
            float[] a = f(t);
            for (int i = 0; i < a.length; i++) a[i] = (float) fmt.round(values[i]);
        }
    }

    @Override
    public void write(Tensor t, float[] values) {
        requireLength(values.length, t);
        if (t.precision().isDouble()) {
            double[] a = d(t);
            for (int i = 0; i < a.length; i++) a[i] = values[i];
        } else {
            float[] a = f(t);
            System.arraycopy(values, 0, a, 0, values.length);
            t.precision().valueFormat().roundInPlace(a, 0, a.length);
        }
    }

    /**
     * Wraps a host array without copying (the batch loader's fast path); values must already be in p's format.
     */
    public Tensor wrap(Precision p, int[] shape, Object array) {
        int n = Shapes.size(shape);
        int len = array instanceof float[] ? ((float[]) array).length : ((double[]) array).length;
        if (len != n || (array instanceof double[]) != p.isDouble()) {
            throw new IllegalArgumentException("cannot wrap an array of " + len + " values as " + Shapes.str(shape) + " " + p.id());
        }
        return new Tensor(this, p, shape, array);
    }

    private static void requireLength(int length, Tensor t) {
        if (length != t.size()) {
            throw new IllegalArgumentException("expected " + t.size() + " values for " + t + ", got " + length);
        }
    }

    @Override
    public double[] download(Tensor t) {
        if (t.precision().isDouble()) return d(t).clone();
        float[] a = f(t);
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    /** The raw storage of a CPU tensor (float[] or double[]), for I/O that needs no copy. */
    public Object array(Tensor t) {
        return t.precision().isDouble() ? d(t) : f(t);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Shapes.requireSame(src, dst, "copy");
        System.arraycopy(src.storage(), 0, dst.storage(), 0, src.size());
    }

    @Override
    public void convert(Tensor src, Tensor dst) {
        if (src.size() != dst.size()) throw new IllegalArgumentException("convert: " + src + " vs " + dst);
        write(dst, download(src));
    }

    @Override
    public void fill(Tensor t, double value) {
        if (t.precision().isDouble()) java.util.Arrays.fill(d(t), value);
        else java.util.Arrays.fill(f(t), (float) t.precision().valueFormat().round(value));
    }

    // ---- convolution and linear ------------------------------------------------------------------------------

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        Shapes.require(x, "conv2d input", -1, g.inChannels(), -1, -1);
        Shapes.require(w, "conv2d weight", g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
        Shapes.require(y, "conv2d output", n, g.outChannels(), g.outH(h), g.outW(wd));
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleKernels.conv2dForward(pool, scratch, d(x), n, h, wd, d(w), dOrNull(b), g, d(y), p.matmulFormat(), null);
        } else {
            FloatKernels.conv2dForward(pool, scratch, f(x), n, h, wd, f(w), fOrNull(b), g, f(y), p.matmulFormat(),
                    p.matmulOperandRounding());
        }
    }

    @Override
    public void conv2dBackward(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw, Tensor db) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        Shapes.require(dy, "conv2d output gradient", n, g.outChannels(), g.outH(h), g.outW(wd));
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleKernels.conv2dBackward(pool, scratch, d(x), n, h, wd, d(w), d(dy), g, dOrNull(dx), d(dw),
                    dOrNull(db), p.matmulFormat(), null);
        } else {
            FloatKernels.conv2dBackward(pool, scratch, f(x), n, h, wd, f(w), f(dy), g, fOrNull(dx), f(dw),
                    fOrNull(db), p.matmulFormat(), p.matmulOperandRounding());
        }
    }

    @Override
    public void linearForward(Tensor x, Tensor w, Tensor b, Tensor y) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        Shapes.require(x, "linear input", n, in);
        Shapes.require(y, "linear output", n, out);
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleKernels.linearForward(pool, scratch, d(x), n, in, d(w), out, dOrNull(b), d(y), p.matmulFormat(), null);
        } else {
            FloatKernels.linearForward(pool, scratch, f(x), n, in, f(w), out, fOrNull(b), f(y), p.matmulFormat(),
                    p.matmulOperandRounding());
        }
    }

    @Override
    public void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        Shapes.require(dy, "linear output gradient", n, out);
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleKernels.linearBackward(pool, scratch, d(x), n, in, d(w), out, d(dy), dOrNull(dx), d(dw),
                    dOrNull(db), p.matmulFormat(), null);
        } else {
            FloatKernels.linearBackward(pool, scratch, f(x), n, in, f(w), out, f(dy), fOrNull(dx), f(dw),
                    fOrNull(db), p.matmulFormat(), p.matmulOperandRounding());
        }
    }

    // ---- activations and pooling -----------------------------------------------------------------------------

    @Override
    public void reluForward(Tensor x, Tensor y) {
        Shapes.requireSame(x, y, "relu");
        if (x.precision().isDouble()) DoubleKernels.relu(pool, d(x), d(y), x.size());
        else FloatKernels.relu(pool, f(x), f(y), x.size());
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, double alpha, Tensor dx) {
        Shapes.requireSame(x, dy, "relu backward");
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) DoubleKernels.reluBackward(pool, d(x), d(dy), alpha, d(dx), x.size(), fmt);
        else FloatKernels.reluBackward(pool, f(x), f(dy), (float) alpha, f(dx), x.size(), fmt);
    }

    @Override
    public long maxPoolForward(Tensor x, PoolGeometry g, PoolPolicy policy, Tensor y) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Shapes.require(y, "max pool output", x.dim(0), x.dim(1), g.out(h), g.out(w));
        Format fmt = x.precision().valueFormat();
        return x.precision().isDouble()
                ? DoubleKernels.maxPoolForward(pool, d(x), planes, h, w, g, policy, d(y), fmt)
                : FloatKernels.maxPoolForward(pool, f(x), planes, h, w, g, policy, f(y), fmt);
    }

    @Override
    public void maxPoolBackward(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, Tensor dx) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Shapes.require(dy, "max pool output gradient", x.dim(0), x.dim(1), g.out(h), g.out(w));
        Shapes.requireSame(x, dx, "max pool input gradient");
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleKernels.maxPoolBackward(pool, scratch, d(x), d(dy), planes, h, w, g, policy, d(dx), fmt);
        } else {
            FloatKernels.maxPoolBackward(pool, scratch, f(x), f(dy), planes, h, w, g, policy, f(dx), fmt);
        }
    }

    @Override
    public void avgPoolForward(Tensor x, PoolGeometry g, Tensor y) {
        Shapes.require(y, "avg pool output", x.dim(0), x.dim(1), g.out(x.dim(2)), g.out(x.dim(3)));
        averagePool(x, g.windows(x.dim(2)), g.windows(x.dim(3)), g.kernel() * g.kernel(), y);
    }

    @Override
    public void avgPoolBackward(Tensor dy, PoolGeometry g, Tensor dx) {
        Shapes.require(dy, "avg pool output gradient", dx.dim(0), dx.dim(1), g.out(dx.dim(2)), g.out(dx.dim(3)));
        averagePoolBackward(dy, g.windows(dx.dim(2)), g.windows(dx.dim(3)), g.kernel() * g.kernel(), dx);
    }

    @Override
    public void adaptiveAvgPoolForward(Tensor x, Tensor y) {
        Shapes.require(y, "adaptive avg pool output", x.dim(0), x.dim(1), -1, -1);
        averagePool(x, PoolGeometry.adaptiveWindows(x.dim(2), y.dim(2)), PoolGeometry.adaptiveWindows(x.dim(3), y.dim(3)), 0, y);
    }

    @Override
    public void adaptiveAvgPoolBackward(Tensor dy, Tensor dx) {
        Shapes.require(dy, "adaptive avg pool output gradient", dx.dim(0), dx.dim(1), -1, -1);
        averagePoolBackward(dy, PoolGeometry.adaptiveWindows(dx.dim(2), dy.dim(2)),
                PoolGeometry.adaptiveWindows(dx.dim(3), dy.dim(3)), 0, dx);
    }

    /** Both average pools: windows given by their row and column bounds; divisor 0 means each window's area. */
    private void averagePool(Tensor x, int[] rows, int[] cols, int divisor, Tensor y) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) DoubleKernels.avgPoolForward(pool, d(x), planes, h, w, rows, cols, divisor, d(y), fmt);
        else FloatKernels.avgPoolForward(pool, f(x), planes, h, w, rows, cols, divisor, f(y), fmt);
    }

    private void averagePoolBackward(Tensor dy, int[] rows, int[] cols, int divisor, Tensor dx) {
        int planes = dx.dim(0) * dx.dim(1), h = dx.dim(2), w = dx.dim(3);
        Format fmt = dx.precision().valueFormat();
        if (dx.precision().isDouble()) DoubleKernels.avgPoolBackward(pool, d(dy), planes, h, w, rows, cols, divisor, d(dx), fmt);
        else FloatKernels.avgPoolBackward(pool, f(dy), planes, h, w, rows, cols, divisor, f(dx), fmt);
    }

    // ---- concatenation ---------------------------------------------------------------------------------------

    @Override
    public void concatForward(Tensor a, Tensor b, Tensor y) { concatCopy(a, b, y, true); }

    @Override
    public void concatBackward(Tensor dy, Tensor da, Tensor db) { concatCopy(da, db, dy, false); }

    /** Image by image, a and b into their places in y (forward), or out of them (backward). */
    private void concatCopy(Tensor a, Tensor b, Tensor y, boolean intoY) {
        Shapes.requireConcat(a, b, y);
        int n = y.dim(0);
        if (n == 0) return;
        int perA = a.size() / n, perB = b.size() / n;
        Object sa = array(a), sb = array(b), sy = array(y);
        for (int i = 0; i < n; i++) {
            int at = i * (perA + perB);
            if (intoY) {
                System.arraycopy(sa, i * perA, sy, at, perA);
                System.arraycopy(sb, i * perB, sy, at + perA, perB);
            } else {
                System.arraycopy(sy, at, sa, i * perA, perA);
                System.arraycopy(sy, at + perA, sb, i * perB, perB);
            }
        }
    }

    // ---- normalization and elementwise -----------------------------------------------------------------------

    @Override
    public void batchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                 boolean training, double momentum, double eps, Tensor y, Tensor saveMean,
                                 Tensor saveInvStd) {
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c);
        Shapes.require(gamma, "batch norm weight", c);
        Shapes.requireSame(x, y, "batch norm output");
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleKernels.batchNormForward(pool, d(x), n, c, spatial, d(gamma), d(beta), d(runningMean),
                    d(runningVar), training, momentum, eps, d(y), dOrNull(saveMean), dOrNull(saveInvStd), fmt);
        } else {
            FloatKernels.batchNormForward(pool, f(x), n, c, spatial, f(gamma), f(beta), f(runningMean),
                    f(runningVar), training, (float) momentum, (float) eps, f(y), fOrNull(saveMean),
                    fOrNull(saveInvStd), fmt);
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd, Tensor dx,
                                  Tensor dgamma, Tensor dbeta) {
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c);
        Shapes.requireSame(x, dy, "batch norm output gradient");
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleKernels.batchNormBackward(pool, d(x), n, c, spatial, d(gamma), d(dy), d(saveMean), d(saveInvStd),
                    d(dx), d(dgamma), d(dbeta), fmt);
        } else {
            FloatKernels.batchNormBackward(pool, f(x), n, c, spatial, f(gamma), f(dy), f(saveMean), f(saveInvStd),
                    f(dx), f(dgamma), f(dbeta), fmt);
        }
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, "add");
        Shapes.requireSame(a, out, "add output");
        Format fmt = a.precision().valueFormat();
        if (a.precision().isDouble()) DoubleKernels.add(pool, d(a), d(b), d(out), a.size(), fmt);
        else FloatKernels.add(pool, f(a), f(b), f(out), a.size(), fmt);
    }

    @Override
    public void scale(Tensor t, double factor) {
        Format fmt = t.precision().valueFormat();
        if (t.precision().isDouble()) DoubleKernels.scale(pool, d(t), factor, t.size(), fmt);
        else FloatKernels.scale(pool, f(t), (float) factor, t.size(), fmt);
    }

    @Override
    public long countNonFinite(Tensor t) {
        return t.precision().isDouble() ? DoubleKernels.countNonFinite(d(t), t.size())
                : FloatKernels.countNonFinite(f(t), t.size());
    }

    @Override
    public double[] norms(Tensor t) {
        return t.precision().isDouble() ? DoubleKernels.norms(d(t), t.size()) : FloatKernels.norms(f(t), t.size());
    }

    // ---- loss ------------------------------------------------------------------------------------------------

    @Override
    public LossResult softmaxCrossEntropy(Tensor logits, int[] labels, double lossScale, Tensor dlogits) {
        Shapes.requireLabels(logits, labels, dlogits);
        int n = logits.dim(0), k = logits.dim(1);
        int[] correct = new int[1];
        Format fmt = logits.precision().valueFormat();
        double loss = logits.precision().isDouble()
                ? DoubleKernels.softmaxCrossEntropy(d(logits), n, k, labels, lossScale, dOrNull(dlogits), correct, fmt)
                : FloatKernels.softmaxCrossEntropy(f(logits), n, k, labels, (float) lossScale, fOrNull(dlogits), correct, fmt);
        return new LossResult(loss, correct[0]);
    }

    // ---- optimizers ------------------------------------------------------------------------------------------

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                          double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        Shapes.requireSame(param, grad, "sgd gradient");
        Format fmt = param.precision().valueFormat();
        if (param.precision().isDouble()) {
            DoubleKernels.sgdUpdate(pool, d(param), d(grad), dOrNull(momentumBuf), param.size(), lr, momentum,
                    dampening, weightDecay, nesterov, firstStep, fmt);
        } else {
            FloatKernels.sgdUpdate(pool, f(param), f(grad), fOrNull(momentumBuf), param.size(), (float) lr,
                    (float) momentum, (float) dampening, (float) weightDecay, nesterov, firstStep, fmt);
        }
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1,
                           double beta2, double eps, double weightDecay, long step) {
        Shapes.requireSame(param, grad, "adam gradient");
        // PyTorch computes the bias corrections as Python floats (binary64) and hands kernels binary32 scalars.
        double stepSize = lr / (1 - Math.pow(beta1, step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        Format fmt = param.precision().valueFormat();
        if (param.precision().isDouble()) {
            DoubleKernels.adamUpdate(pool, d(param), d(grad), d(expAvg), d(expAvgSq), param.size(), stepSize,
                    1 - beta1, beta2, 1 - beta2, bc2Sqrt, eps, weightDecay, fmt);
        } else {
            FloatKernels.adamUpdate(pool, f(param), f(grad), f(expAvg), f(expAvgSq), param.size(), (float) stepSize,
                    (float) (1 - beta1), (float) beta2, (float) (1 - beta2), (float) bc2Sqrt, (float) eps,
                    (float) weightDecay, fmt);
        }
    }

    @Override
    public void close() {
        pool.close();
        scratch.release();
    }
}
