package io.tiebreak.runtime.backend.cpu;

import io.tiebreak.runtime.backend.CheckedBackend;
import io.tiebreak.runtime.backend.ConvGeometry;
import io.tiebreak.runtime.backend.PoolGeometry;
import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Precision.Format;
import io.tiebreak.runtime.precision.Reproducibility;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;

/**
 * The CPU backend: float[] storage for fp16/fp32/mixed, double[] for fp64, kernels in the Float*Kernels files (one per
 * op family) and their generated fp64 twins Double*Kernels, GEMMs through the native BLAS, work spread over a
 * {@link WorkerPool}.
 *
 * <p>One backend serves one training thread (the one that created it); results are bit-identical whatever
 * {@code threads} is.
 */
public final class CpuBackend extends CheckedBackend {
    private final WorkerPool pool;
    private final Scratch scratch = new Scratch();
    private final Tensor.Owner owner = new Tensor.Owner("cpu");
    private final Reproducibility reproducibility;

    public CpuBackend(int threads, Reproducibility reproducibility) {
        this.pool = new WorkerPool(threads);
        this.reproducibility = reproducibility;
    }

    /** A backend in the default reproducibility mode. */
    public CpuBackend(int threads) {
        this(threads, Reproducibility.DEFAULT);
    }

    /** A backend using every core the JVM sees. */
    public static CpuBackend allCores() {
        return new CpuBackend(Runtime.getRuntime().availableProcessors());
    }

    @Override public String name() { return owner.name(); }
    @Override public int threads() { return pool.threads(); }

    public Reproducibility reproducibility() { return reproducibility; }

    /** What computes the matrix products: our fixed-order GEMM (portable) or the host's BLAS and its kernel set. */
    @Override
    public String description() {
        return describe(reproducibility);
    }

    /** {@link #description()} of a CPU backend in the given mode, without opening one. */
    public static String describe(Reproducibility reproducibility) {
        return "cpu, " + (reproducibility == Reproducibility.PORTABLE ? "tiebreak fixed-order GEMM, " + VectorApi.describe() + " (portable)"
                : "BLAS " + NativeBlas.describe() + " (host)");
    }

    // ---- storage access --------------------------------------------------------------------------------------

    private float[] f(Tensor t) {
        if (t.owner() != owner || !(t.storage() instanceof float[])) throw wrongStorage(t, "float[]");
        return (float[]) t.storage();
    }

    private double[] d(Tensor t) {
        if (t.owner() != owner || !(t.storage() instanceof double[])) throw wrongStorage(t, "double[]");
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
        return new Tensor(owner, p, shape, p.isDouble() ? new double[n] : new float[n]);
    }

    @Override
    protected void writeKernel(Tensor t, double[] values) {
        if (t.precision().isDouble()) {
            System.arraycopy(values, 0, d(t), 0, values.length);
        } else {
            Format fmt = t.precision().valueFormat();
            float[] a = f(t);
            for (int i = 0; i < a.length; i++) a[i] = (float) fmt.round(values[i]);
        }
    }

    @Override
    protected void writeKernel(Tensor t, float[] values) {
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
        return new Tensor(owner, p, shape, array);
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
    protected void copyKernel(Tensor src, Tensor dst) {
        System.arraycopy(src.storage(), 0, dst.storage(), 0, src.size());
    }

    @Override
    protected void convertKernel(Tensor src, Tensor dst) {
        if (dst.precision().isDouble()) writeKernel(dst, download(src));
        else if (src.precision().isDouble()) writeKernel(dst, d(src));
        else writeKernel(dst, f(src));
    }

    /** The tensor's own storage, not a copy: the shared memory of replicas on the CPU (docs/design.md, "Data parallelism"). */
    @Override
    public Object exportValues(Tensor t) {
        return array(t);
    }

    @Override
    public void importValues(Object values, Tensor dst) {
        Object own = array(dst);
        int n = values instanceof float[] f ? f.length : values instanceof double[] d ? d.length : -1;
        if (values.getClass() != own.getClass() || n != dst.size()) {
            throw new IllegalArgumentException("cannot import " + (n < 0 ? values.getClass().getSimpleName() : n + " "
                    + values.getClass().getSimpleName()) + " values into " + dst);
        }
        System.arraycopy(values, 0, own, 0, n);
    }

    @Override
    public void fill(Tensor t, double value) {
        if (t.precision().isDouble()) java.util.Arrays.fill(d(t), value);
        else java.util.Arrays.fill(f(t), (float) t.precision().valueFormat().round(value));
    }

    // ---- convolution and linear ------------------------------------------------------------------------------

    @Override
    protected void conv2dForwardKernel(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleMatmulKernels.conv2dForward(reproducibility, pool, scratch, d(x), n, h, wd, d(w), dOrNull(b), g, d(y), p.matmulFormat(), null);
        } else {
            FloatMatmulKernels.conv2dForward(reproducibility, pool, scratch, f(x), n, h, wd, f(w), fOrNull(b), g, f(y), p.matmulFormat(),
                    p.matmulOperandRounding());
        }
    }

    @Override
    protected void conv2dBackwardKernel(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw,
                                        Tensor db) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleMatmulKernels.conv2dBackward(reproducibility, pool, scratch, d(x), n, h, wd, d(w), d(dy), g, dOrNull(dx), d(dw),
                    dOrNull(db), p.matmulFormat(), null);
        } else {
            FloatMatmulKernels.conv2dBackward(reproducibility, pool, scratch, f(x), n, h, wd, f(w), f(dy), g, fOrNull(dx), f(dw),
                    fOrNull(db), gradientRounding(p, dw), p.matmulOperandRounding());
            roundPartialsInput(p, dw, dx);
        }
    }

    /**
     * The format the matmul kernels round their outputs to: the matmul format, or, for partial weight gradients
     * (docs/design.md, "Data parallelism"), binary32, which leaves them unrounded; the kernels round every output
     * only once, at its end, so the input gradient is then rounded afterwards ({@link #roundPartialsInput}) to the
     * same bits.
     */
    private static Format gradientRounding(Precision p, Tensor dw) {
        return isPartial(dw, p) ? Format.SINGLE : p.matmulFormat();
    }

    private void roundPartialsInput(Precision p, Tensor dw, Tensor dx) {
        if (dx != null && isPartial(dw, p)) p.matmulFormat().roundInPlace(f(dx), 0, dx.size());
    }

    @Override
    protected void linearForwardKernel(Tensor x, Tensor w, Tensor b, Tensor y) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleMatmulKernels.linearForward(reproducibility, pool, scratch, d(x), n, in, d(w), out, dOrNull(b), d(y), p.matmulFormat(), null);
        } else {
            FloatMatmulKernels.linearForward(reproducibility, pool, scratch, f(x), n, in, f(w), out, fOrNull(b), f(y), p.matmulFormat(),
                    p.matmulOperandRounding());
        }
    }

    @Override
    protected void linearBackwardKernel(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        Precision p = x.precision();
        if (p.isDouble()) {
            DoubleMatmulKernels.linearBackward(reproducibility, pool, scratch, d(x), n, in, d(w), out, d(dy), dOrNull(dx), d(dw),
                    dOrNull(db), p.matmulFormat(), null);
        } else {
            FloatMatmulKernels.linearBackward(reproducibility, pool, scratch, f(x), n, in, f(w), out, f(dy), fOrNull(dx), f(dw),
                    fOrNull(db), gradientRounding(p, dw), p.matmulOperandRounding());
            roundPartialsInput(p, dw, dx);
        }
    }

    // ---- activations and pooling -----------------------------------------------------------------------------

    @Override
    protected void reluForwardKernel(Tensor x, Tensor y) {
        if (x.precision().isDouble()) DoubleElementwiseKernels.relu(pool, d(x), d(y), x.size());
        else FloatElementwiseKernels.relu(pool, f(x), f(y), x.size());
    }

    @Override
    protected void reluBackwardKernel(Tensor x, Tensor dy, double alpha, Tensor dx) {
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) DoubleElementwiseKernels.reluBackward(pool, d(x), d(dy), alpha, d(dx), x.size(), fmt);
        else FloatElementwiseKernels.reluBackward(pool, f(x), f(dy), (float) alpha, f(dx), x.size(), fmt);
    }

    @Override
    protected long maxPoolForwardKernel(Tensor x, PoolGeometry g, PoolPolicy policy, double beta,
                                        double oneMinusBeta, Tensor y) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Format fmt = x.precision().valueFormat();
        return x.precision().isDouble()
                ? DoublePoolKernels.maxPoolForward(pool, d(x), planes, h, w, g, policy, beta, oneMinusBeta, d(y), fmt)
                : FloatPoolKernels.maxPoolForward(pool, f(x), planes, h, w, g, policy, (float) beta, (float) oneMinusBeta,
                        f(y), fmt);
    }

    @Override
    protected void maxPoolBackwardKernel(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, double beta,
                                         double oneMinusBeta, Tensor dx) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoublePoolKernels.maxPoolBackward(pool, scratch, d(x), d(dy), planes, h, w, g, policy, beta, oneMinusBeta,
                    d(dx), fmt);
        } else {
            FloatPoolKernels.maxPoolBackward(pool, scratch, f(x), f(dy), planes, h, w, g, policy, (float) beta,
                    (float) oneMinusBeta, f(dx), fmt);
        }
    }

    @Override
    protected void avgPoolForwardKernel(Tensor x, PoolGeometry g, Tensor y) {
        averagePool(x, g.windows(x.dim(2)), g.windows(x.dim(3)), g.kernel() * g.kernel(), y);
    }

    @Override
    protected void avgPoolBackwardKernel(Tensor dy, PoolGeometry g, Tensor dx) {
        averagePoolBackward(dy, g.windows(dx.dim(2)), g.windows(dx.dim(3)), g.kernel() * g.kernel(), dx);
    }

    @Override
    protected void adaptiveAvgPoolForwardKernel(Tensor x, Tensor y) {
        averagePool(x, PoolGeometry.adaptiveWindows(x.dim(2), y.dim(2)), PoolGeometry.adaptiveWindows(x.dim(3), y.dim(3)), 0, y);
    }

    @Override
    protected void adaptiveAvgPoolBackwardKernel(Tensor dy, Tensor dx) {
        averagePoolBackward(dy, PoolGeometry.adaptiveWindows(dx.dim(2), dy.dim(2)),
                PoolGeometry.adaptiveWindows(dx.dim(3), dy.dim(3)), 0, dx);
    }

    /** Both average pools: windows given by their row and column bounds; divisor 0 means each window's area. */
    private void averagePool(Tensor x, int[] rows, int[] cols, int divisor, Tensor y) {
        int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) DoublePoolKernels.avgPoolForward(pool, d(x), planes, h, w, rows, cols, divisor, d(y), fmt);
        else FloatPoolKernels.avgPoolForward(pool, f(x), planes, h, w, rows, cols, divisor, f(y), fmt);
    }

    private void averagePoolBackward(Tensor dy, int[] rows, int[] cols, int divisor, Tensor dx) {
        int planes = dx.dim(0) * dx.dim(1), h = dx.dim(2), w = dx.dim(3);
        Format fmt = dx.precision().valueFormat();
        if (dx.precision().isDouble()) DoublePoolKernels.avgPoolBackward(pool, d(dy), planes, h, w, rows, cols, divisor, d(dx), fmt);
        else FloatPoolKernels.avgPoolBackward(pool, f(dy), planes, h, w, rows, cols, divisor, f(dx), fmt);
    }

    // ---- concatenation ---------------------------------------------------------------------------------------

    @Override
    protected void concatForwardKernel(Tensor a, Tensor b, Tensor y) { concatCopy(a, b, y, true); }

    @Override
    protected void concatBackwardKernel(Tensor dy, Tensor da, Tensor db) { concatCopy(da, db, dy, false); }

    /** Image by image, a and b into their places in y (forward), or out of them (backward). */
    private void concatCopy(Tensor a, Tensor b, Tensor y, boolean intoY) {
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
    protected void batchNormForwardKernel(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                          boolean training, double momentum, double eps, Tensor y, Tensor saveMean,
                                          Tensor saveInvStd) {
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleNormKernels.batchNormForward(pool, d(x), n, c, spatial, d(gamma), d(beta), d(runningMean),
                    d(runningVar), training, momentum, eps, d(y), dOrNull(saveMean), dOrNull(saveInvStd), fmt);
        } else {
            FloatNormKernels.batchNormForward(pool, f(x), n, c, spatial, f(gamma), f(beta), f(runningMean),
                    f(runningVar), training, (float) momentum, (float) eps, f(y), fOrNull(saveMean),
                    fOrNull(saveInvStd), fmt);
        }
    }

    @Override
    protected void batchNormBackwardKernel(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd,
                                           Tensor dx, Tensor dgamma, Tensor dbeta) {
        int n = x.dim(0), c = x.dim(1), spatial = x.size() / Math.max(1, n * c);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleNormKernels.batchNormBackward(pool, d(x), n, c, spatial, d(gamma), d(dy), d(saveMean), d(saveInvStd),
                    d(dx), d(dgamma), d(dbeta), fmt);
        } else {
            FloatNormKernels.batchNormBackward(pool, f(x), n, c, spatial, f(gamma), f(dy), f(saveMean), f(saveInvStd),
                    f(dx), f(dgamma), f(dbeta), fmt);
        }
    }

    // ---- batch norm over micro-batches -------------------------------------------------------------------------

    /** Samples per channel and image: H*W, or 1 for [N,C]. */
    private static int spatial(Tensor x) { return x.size() / Math.max(1, x.dim(0) * x.dim(1)); }

    @Override
    protected void batchNormSumKernel(Tensor x, Tensor sum) {
        batchNormSums(x, null, sum);
    }

    @Override
    protected void batchNormSquaredDeviationsKernel(Tensor x, Tensor mean, Tensor squares) {
        batchNormSums(x, mean, squares);
    }

    private void batchNormSums(Tensor x, Tensor mean, Tensor out) {
        int n = x.dim(0), c = x.dim(1), s = spatial(x);
        if (x.precision().isDouble()) DoubleNormKernels.batchNormSums(pool, d(x), n, c, s, dOrNull(mean), d(out));
        else FloatNormKernels.batchNormSums(pool, f(x), n, c, s, fOrNull(mean), f(out));
    }

    @Override
    protected void batchNormMeanKernel(Tensor sum, int count, Tensor saveMean) {
        if (sum.precision().isDouble()) DoubleNormKernels.batchNormMean(d(sum), sum.size(), count, d(saveMean));
        else FloatNormKernels.batchNormMean(f(sum), sum.size(), count, f(saveMean));
    }

    @Override
    protected void batchNormVarianceKernel(Tensor squares, int count, double momentum, double eps, Tensor saveMean,
                                           Tensor runningMean, Tensor runningVar, Tensor saveInvStd) {
        int c = squares.size();
        Format fmt = runningMean.precision().valueFormat();
        if (squares.precision().isDouble()) {
            DoubleNormKernels.batchNormVariance(d(squares), c, count, momentum, eps, d(saveMean), d(runningMean),
                    d(runningVar), d(saveInvStd), fmt);
        } else {
            FloatNormKernels.batchNormVariance(f(squares), c, count, (float) momentum, (float) eps, f(saveMean),
                    f(runningMean), f(runningVar), f(saveInvStd), fmt);
        }
    }

    @Override
    protected void batchNormNormalizeKernel(Tensor x, Tensor gamma, Tensor beta, Tensor saveMean, Tensor saveInvStd,
                                            Tensor y) {
        int n = x.dim(0), c = x.dim(1), s = spatial(x);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleNormKernels.batchNormNormalize(pool, d(x), n, c, s, d(gamma), d(beta), d(saveMean), d(saveInvStd), d(y), fmt);
        } else {
            FloatNormKernels.batchNormNormalize(pool, f(x), n, c, s, f(gamma), f(beta), f(saveMean), f(saveInvStd), f(y), fmt);
        }
    }

    @Override
    protected void batchNormBackwardSumsKernel(Tensor x, Tensor dy, Tensor saveMean, Tensor sums) {
        int n = x.dim(0), c = x.dim(1), s = spatial(x);
        if (x.precision().isDouble()) DoubleNormKernels.batchNormBackwardSums(pool, d(x), d(dy), n, c, s, d(saveMean), d(sums));
        else FloatNormKernels.batchNormBackwardSums(pool, f(x), f(dy), n, c, s, f(saveMean), f(sums));
    }

    @Override
    protected void batchNormParameterGradientsKernel(Tensor sums, Tensor saveInvStd, Tensor dgamma, Tensor dbeta) {
        int c = dgamma.size();
        Format fmt = dgamma.precision().valueFormat();
        if (sums.precision().isDouble()) {
            DoubleNormKernels.batchNormParameterGradients(d(sums), c, d(saveInvStd), d(dgamma), d(dbeta), fmt);
        } else {
            FloatNormKernels.batchNormParameterGradients(f(sums), c, f(saveInvStd), f(dgamma), f(dbeta), fmt);
        }
    }

    @Override
    protected void batchNormInputGradientKernel(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean,
                                                Tensor saveInvStd, Tensor sums, int count, Tensor dx) {
        int n = x.dim(0), c = x.dim(1), s = spatial(x);
        Format fmt = x.precision().valueFormat();
        if (x.precision().isDouble()) {
            DoubleNormKernels.batchNormInputGradient(pool, d(x), d(dy), n, c, s, d(gamma), d(saveMean), d(saveInvStd),
                    d(sums), count, d(dx), fmt);
        } else {
            FloatNormKernels.batchNormInputGradient(pool, f(x), f(dy), n, c, s, f(gamma), f(saveMean), f(saveInvStd),
                    f(sums), count, f(dx), fmt);
        }
    }

    @Override
    protected void addKernel(Tensor a, Tensor b, Tensor out) {
        Format fmt = a.precision().valueFormat();
        if (a.precision().isDouble()) DoubleElementwiseKernels.add(pool, d(a), d(b), d(out), a.size(), fmt);
        else FloatElementwiseKernels.add(pool, f(a), f(b), f(out), a.size(), fmt);
    }

    @Override
    protected void scaleKernel(Tensor t, double factor) {
        Format fmt = t.precision().valueFormat();
        if (t.precision().isDouble()) DoubleElementwiseKernels.scale(pool, d(t), factor, t.size(), fmt);
        else FloatElementwiseKernels.scale(pool, f(t), (float) factor, t.size(), fmt);
    }

    @Override
    public long countNonFinite(Tensor t) {
        return t.precision().isDouble() ? DoubleElementwiseKernels.countNonFinite(d(t), t.size())
                : FloatElementwiseKernels.countNonFinite(f(t), t.size());
    }

    @Override
    public double[] norms(Tensor t) {
        return t.precision().isDouble() ? DoubleElementwiseKernels.norms(d(t), t.size()) : FloatElementwiseKernels.norms(f(t), t.size());
    }

    // ---- loss ------------------------------------------------------------------------------------------------

    @Override
    protected LossSum softmaxCrossEntropyKernel(Tensor logits, int[] labels, double lossScale, int batchSize,
                                                Tensor dlogits) {
        int n = logits.dim(0), k = logits.dim(1);
        int[] correct = new int[1];
        Format fmt = logits.precision().valueFormat();
        double sum = logits.precision().isDouble()
                ? DoubleLossKernels.softmaxCrossEntropySum(d(logits), n, k, labels, lossScale, batchSize, dOrNull(dlogits), correct, fmt)
                : FloatLossKernels.softmaxCrossEntropySum(f(logits), n, k, labels, (float) lossScale, batchSize, fOrNull(dlogits), correct, fmt);
        return new LossSum(sum, correct[0]);
    }

    // ---- optimizers ------------------------------------------------------------------------------------------

    @Override
    protected void sgdUpdateKernel(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                                   double keep, double weightDecay, boolean nesterov, boolean firstStep) {
        Format fmt = param.precision().valueFormat();
        if (param.precision().isDouble()) {
            DoubleOptimizerKernels.sgdUpdate(pool, d(param), d(grad), dOrNull(momentumBuf), param.size(), lr, momentum,
                    keep, weightDecay, nesterov, firstStep, fmt);
        } else {
            FloatOptimizerKernels.sgdUpdate(pool, f(param), f(grad), fOrNull(momentumBuf), param.size(), (float) lr,
                    (float) momentum, (float) keep, (float) weightDecay, nesterov, firstStep, fmt);
        }
    }

    @Override
    protected void adamUpdateKernel(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double stepSize,
                                    double oneMinusBeta1, double beta2, double oneMinusBeta2, double bc2Sqrt,
                                    double eps, double weightDecay) {
        Format fmt = param.precision().valueFormat();
        if (param.precision().isDouble()) {
            DoubleOptimizerKernels.adamUpdate(pool, d(param), d(grad), d(expAvg), d(expAvgSq), param.size(), stepSize,
                    oneMinusBeta1, beta2, oneMinusBeta2, bc2Sqrt, eps, weightDecay, fmt);
        } else {
            FloatOptimizerKernels.adamUpdate(pool, f(param), f(grad), f(expAvg), f(expAvgSq), param.size(), (float) stepSize,
                    (float) oneMinusBeta1, (float) beta2, (float) oneMinusBeta2, (float) bc2Sqrt, (float) eps,
                    (float) weightDecay, fmt);
        }
    }

    @Override
    public void close() {
        pool.close();
        scratch.release();
    }
}
