package io.tiebreak.runtime.backend;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.precision.Transcendentals;
import io.tiebreak.runtime.tensor.Shapes;
import io.tiebreak.runtime.tensor.Tensor;

/**
 * The one checking layer in front of every backend: each public op checks its tensors' shapes, derives its scalars
 * (narrowed to the arithmetic format, docs/design.md "Precision semantics"), then calls the backend's kernel, which
 * can take both as given. The CPU and CUDA backends extend this class, so they cannot drift apart in what they
 * accept or in the scalars their kernels see.
 *
 * <p>Kernels receive scalars already narrowed by {@link Precision#scalar}: a binary32 kernel casts them to float
 * exactly.
 */
public abstract class CheckedBackend implements Backend {

    // ---- memory -----------------------------------------------------------------------------------------------

    @Override
    public final void write(Tensor dst, double[] values) {
        requireLength(values.length, dst);
        writeKernel(dst, values);
    }

    @Override
    public final void write(Tensor dst, float[] values) {
        requireLength(values.length, dst);
        writeKernel(dst, values);
    }

    private static void requireLength(int length, Tensor t) {
        if (length != t.size()) {
            throw new IllegalArgumentException("expected " + t.size() + " values for " + t + ", got " + length);
        }
    }

    @Override
    public final void copy(Tensor src, Tensor dst) {
        Shapes.requireSame(src, dst, "copy");
        copyKernel(src, dst);
    }

    @Override
    public final void convert(Tensor src, Tensor dst) {
        if (src.size() != dst.size()) throw new IllegalArgumentException("convert: " + src + " vs " + dst);
        convertKernel(src, dst);
    }

    // ---- convolution and linear -------------------------------------------------------------------------------

    @Override
    public final void conv2dForward(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        Shapes.require(x, "conv2d input", -1, g.inChannels(), -1, -1);
        Shapes.require(w, "conv2d weight", g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
        Shapes.require(y, "conv2d output", n, g.outChannels(), g.outH(h), g.outW(wd));
        conv2dForwardKernel(x, w, b, g, y);
    }

    @Override
    public final void conv2dBackward(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw, Tensor db) {
        int n = x.dim(0), h = x.dim(2), wd = x.dim(3);
        Shapes.require(dy, "conv2d output gradient", n, g.outChannels(), g.outH(h), g.outW(wd));
        requireGradient(dw, x.precision(), "conv2d weight gradient", g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
        if (db != null) requireBias(db, dw, "conv2d bias gradient", g.outChannels());
        conv2dBackwardKernel(x, w, dy, g, dx, dw, db);
    }

    /**
     * A weight or bias gradient is in the working precision (rounded) or in its accumulation precision (a
     * micro-batch's unrounded partial).
     */
    private static void requireGradient(Tensor grad, Precision working, String what, int... shape) {
        Shapes.require(grad, what, shape);
        if (grad.precision() != working && (grad.precision() != working.accumulation() || working.isDouble())) {
            throw new IllegalArgumentException(what + " must be " + working.id() + ", or " + working.accumulation().id()
                    + " for a micro-batch's partial, got " + grad);
        }
    }

    /** A bias gradient is rounded, or a partial, as its weight gradient is. */
    private static void requireBias(Tensor db, Tensor dw, String what, int channels) {
        Shapes.require(db, what, channels);
        if (db.precision() != dw.precision()) {
            throw new IllegalArgumentException(what + " must be " + dw.precision().id() + " as the weight gradient, got " + db);
        }
    }

    /** Whether a gradient tensor receives the unrounded sums: a partial in the accumulation precision. */
    protected static boolean isPartial(Tensor grad, Precision working) {
        return grad.precision() != working;
    }

    @Override
    public final void linearForward(Tensor x, Tensor w, Tensor b, Tensor y) {
        int n = x.dim(0), in = w.dim(1), out = w.dim(0);
        Shapes.require(x, "linear input", n, in);
        Shapes.require(y, "linear output", n, out);
        linearForwardKernel(x, w, b, y);
    }

    @Override
    public final void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        Shapes.require(dy, "linear output gradient", x.dim(0), w.dim(0));
        requireGradient(dw, x.precision(), "linear weight gradient", w.dim(0), w.dim(1));
        if (db != null) requireBias(db, dw, "linear bias gradient", w.dim(0));
        linearBackwardKernel(x, w, dy, dx, dw, db);
    }

    // ---- activations and pooling ------------------------------------------------------------------------------

    @Override
    public final void reluForward(Tensor x, Tensor y) {
        Shapes.requireSame(x, y, "relu");
        reluForwardKernel(x, y);
    }

    @Override
    public final void reluBackward(Tensor x, Tensor dy, double alpha, Tensor dx) {
        Shapes.requireSame(x, dy, "relu backward");
        reluBackwardKernel(x, dy, x.precision().scalar(alpha), dx);
    }

    @Override
    public final long maxPoolForward(Tensor x, PoolGeometry g, PoolPolicy policy, Tensor y) {
        Shapes.require(y, "max pool output", x.dim(0), x.dim(1), g.out(x.dim(2)), g.out(x.dim(3)));
        Precision p = x.precision();
        return maxPoolForwardKernel(x, g, policy, p.scalar(policy.beta()), p.complement(policy.beta()), y);
    }

    @Override
    public final void maxPoolBackward(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, Tensor dx) {
        Shapes.require(dy, "max pool output gradient", x.dim(0), x.dim(1), g.out(x.dim(2)), g.out(x.dim(3)));
        Shapes.requireSame(x, dx, "max pool input gradient");
        Precision p = x.precision();
        maxPoolBackwardKernel(x, dy, g, policy, p.scalar(policy.beta()), p.complement(policy.beta()), dx);
    }

    @Override
    public final void avgPoolForward(Tensor x, PoolGeometry g, Tensor y) {
        Shapes.require(y, "avg pool output", x.dim(0), x.dim(1), g.out(x.dim(2)), g.out(x.dim(3)));
        avgPoolForwardKernel(x, g, y);
    }

    @Override
    public final void avgPoolBackward(Tensor dy, PoolGeometry g, Tensor dx) {
        Shapes.require(dy, "avg pool output gradient", dx.dim(0), dx.dim(1), g.out(dx.dim(2)), g.out(dx.dim(3)));
        avgPoolBackwardKernel(dy, g, dx);
    }

    @Override
    public final void adaptiveAvgPoolForward(Tensor x, Tensor y) {
        Shapes.require(y, "adaptive avg pool output", x.dim(0), x.dim(1), -1, -1);
        adaptiveAvgPoolForwardKernel(x, y);
    }

    @Override
    public final void adaptiveAvgPoolBackward(Tensor dy, Tensor dx) {
        Shapes.require(dy, "adaptive avg pool output gradient", dx.dim(0), dx.dim(1), -1, -1);
        adaptiveAvgPoolBackwardKernel(dy, dx);
    }

    // ---- normalization and elementwise ------------------------------------------------------------------------

    @Override
    public final void batchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                       boolean training, double momentum, double eps, Tensor y, Tensor saveMean,
                                       Tensor saveInvStd) {
        int c = x.dim(1);
        Shapes.require(gamma, "batch norm weight", c);
        Shapes.requireSame(x, y, "batch norm output");
        if (training) {
            requireStatistics(saveMean, x.precision(), "batch norm saved mean", c);
            requireStatistics(saveInvStd, x.precision(), "batch norm saved inverse std", c);
        }
        Precision p = x.precision();
        batchNormForwardKernel(x, gamma, beta, runningMean, runningVar, training, p.scalar(momentum), p.scalar(eps), y,
                saveMean, saveInvStd);
    }

    @Override
    public final void batchNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd,
                                        Tensor dx, Tensor dgamma, Tensor dbeta) {
        Shapes.requireSame(x, dy, "batch norm output gradient");
        requireStatistics(saveMean, x.precision(), "batch norm saved mean", x.dim(1));
        requireStatistics(saveInvStd, x.precision(), "batch norm saved inverse std", x.dim(1));
        batchNormBackwardKernel(x, gamma, dy, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

    // ---- batch norm over micro-batches ----------------------------------------------------------------------------

    @Override
    public final void batchNormSum(Tensor x, Tensor sum) {
        requireStatistics(sum, x.precision(), "batch norm sum", channels(x));
        batchNormSumKernel(x, sum);
    }

    @Override
    public final void batchNormSquaredDeviations(Tensor x, Tensor mean, Tensor squares) {
        int c = channels(x);
        requireStatistics(mean, x.precision(), "batch norm mean", c);
        requireStatistics(squares, x.precision(), "batch norm squared deviations", c);
        batchNormSquaredDeviationsKernel(x, mean, squares);
    }

    @Override
    public final void batchNormMean(Tensor sum, int count, Tensor saveMean) {
        requireCount(count);
        Shapes.requireSame(sum, saveMean, "batch norm mean");
        requireStatistics(sum, sum.precision(), "batch norm sum", sum.dim(0));
        batchNormMeanKernel(sum, count, saveMean);
    }

    @Override
    public final void batchNormVariance(Tensor squares, int count, double momentum, double eps, Tensor saveMean,
                                        Tensor runningMean, Tensor runningVar, Tensor saveInvStd) {
        requireCount(count);
        Precision p = runningMean.precision();
        int c = runningMean.size();
        Shapes.require(runningMean, "batch norm running mean", c);
        Shapes.requireSame(runningMean, runningVar, "batch norm running variance");
        requireStatistics(squares, p, "batch norm squared deviations", c);
        requireStatistics(saveMean, p, "batch norm saved mean", c);
        requireStatistics(saveInvStd, p, "batch norm saved inverse std", c);
        batchNormVarianceKernel(squares, count, p.scalar(momentum), p.scalar(eps), saveMean, runningMean, runningVar,
                saveInvStd);
    }

    @Override
    public final void batchNormNormalize(Tensor x, Tensor gamma, Tensor beta, Tensor saveMean, Tensor saveInvStd,
                                         Tensor y) {
        int c = channels(x);
        Shapes.require(gamma, "batch norm weight", c);
        Shapes.requireSame(gamma, beta, "batch norm bias");
        Shapes.requireSame(x, y, "batch norm output");
        requireStatistics(saveMean, x.precision(), "batch norm saved mean", c);
        requireStatistics(saveInvStd, x.precision(), "batch norm saved inverse std", c);
        batchNormNormalizeKernel(x, gamma, beta, saveMean, saveInvStd, y);
    }

    @Override
    public final void batchNormBackwardSums(Tensor x, Tensor dy, Tensor saveMean, Tensor sums) {
        int c = channels(x);
        Shapes.requireSame(x, dy, "batch norm output gradient");
        requireStatistics(saveMean, x.precision(), "batch norm saved mean", c);
        requireBackwardSums(sums, x.precision(), c);
        batchNormBackwardSumsKernel(x, dy, saveMean, sums);
    }

    @Override
    public final void batchNormParameterGradients(Tensor sums, Tensor saveInvStd, Tensor dgamma, Tensor dbeta) {
        Precision p = dgamma.precision();
        int c = dgamma.size();
        Shapes.require(dgamma, "batch norm weight gradient", c);
        Shapes.requireSame(dgamma, dbeta, "batch norm bias gradient");
        requireBackwardSums(sums, p, c);
        requireStatistics(saveInvStd, p, "batch norm saved inverse std", c);
        batchNormParameterGradientsKernel(sums, saveInvStd, dgamma, dbeta);
    }

    @Override
    public final void batchNormInputGradient(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd,
                                             Tensor sums, int count, Tensor dx) {
        int c = channels(x);
        requireCount(count);
        Shapes.require(gamma, "batch norm weight", c);
        Shapes.requireSame(x, dy, "batch norm output gradient");
        Shapes.requireSame(x, dx, "batch norm input gradient");
        requireStatistics(saveMean, x.precision(), "batch norm saved mean", c);
        requireStatistics(saveInvStd, x.precision(), "batch norm saved inverse std", c);
        requireBackwardSums(sums, x.precision(), c);
        batchNormInputGradientKernel(x, gamma, dy, saveMean, saveInvStd, sums, count, dx);
    }

    /** Channels of a batch-norm input [N,C] or [N,C,H,W]. */
    private static int channels(Tensor x) {
        if (x.rank() != 2 && x.rank() != 4) {
            throw new IllegalArgumentException("batch norm input: expected [N,C] or [N,C,H,W], got " + x);
        }
        return x.dim(1);
    }

    private static void requireCount(int count) {
        if (count < 1) throw new IllegalArgumentException("batch norm over " + count + " values per channel");
    }

    /** The backward sums [2,C] (sum of dy, sum of (x - mean) * dy) in the accumulation precision. */
    private static void requireBackwardSums(Tensor sums, Precision p, int channels) {
        Shapes.require(sums, "batch norm backward sums", 2, channels);
        if (sums.precision() != p.accumulation()) {
            throw new IllegalArgumentException("batch norm backward sums must be stored in " + p.accumulation().id()
                    + ", got " + sums);
        }
    }

    /** Batch-norm statistics [C] live in the arithmetic format of x's precision (binary32, binary64 for fp64). */
    private static void requireStatistics(Tensor stat, Precision p, String what, int channels) {
        Shapes.require(stat, what, channels);
        if (stat.precision().valueFormat() != p.arithmeticFormat()) {
            throw new IllegalArgumentException(what + " must be stored in " + p.accumulation().id()
                    + " (the accumulation precision of " + p.id() + "), got " + stat);
        }
    }

    @Override
    public final void concatForward(Tensor a, Tensor b, Tensor y) {
        Shapes.requireConcat(a, b, y);
        concatForwardKernel(a, b, y);
    }

    @Override
    public final void concatBackward(Tensor dy, Tensor da, Tensor db) {
        Shapes.requireConcat(da, db, dy);
        concatBackwardKernel(dy, da, db);
    }

    @Override
    public final void add(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, "add");
        Shapes.requireSame(a, out, "add output");
        addKernel(a, b, out);
    }

    @Override
    public final void scale(Tensor t, double factor) {
        scaleKernel(t, t.precision().scalar(factor));
    }

    // ---- loss -------------------------------------------------------------------------------------------------

    @Override
    public final LossResult softmaxCrossEntropy(Tensor logits, int[] labels, double lossScale, Tensor dlogits) {
        int n = logits.dim(0);
        LossSum s = softmaxCrossEntropySum(logits, labels, lossScale, n, dlogits);
        return new LossResult(n == 0 ? Double.NaN : logits.precision().mean(s.sum(), n), s.correct());
    }

    @Override
    public final LossSum softmaxCrossEntropySum(Tensor logits, int[] labels, double lossScale, int batchSize,
                                                Tensor dlogits) {
        Shapes.requireLabels(logits, labels, dlogits);
        if (batchSize < logits.dim(0)) {
            throw new IllegalArgumentException("a micro-batch of " + logits.dim(0) + " samples in a batch of " + batchSize);
        }
        return softmaxCrossEntropyKernel(logits, labels, logits.precision().scalar(lossScale), batchSize, dlogits);
    }

    // ---- optimizers -------------------------------------------------------------------------------------------

    @Override
    public final void sgdUpdate(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                                double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        Shapes.requireSame(param, grad, "sgd gradient");
        if (momentumBuf != null) Shapes.requireSame(param, momentumBuf, "sgd momentum buffer");
        Precision p = param.precision();
        sgdUpdateKernel(param, grad, momentumBuf, p.scalar(lr), p.scalar(momentum), p.complement(dampening),
                p.scalar(weightDecay), nesterov, firstStep);
    }

    @Override
    public final void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1,
                                 double beta2, double eps, double weightDecay, long step) {
        Shapes.requireSame(param, grad, "adam gradient");
        Shapes.requireSame(param, expAvg, "adam first moment");
        Shapes.requireSame(param, expAvgSq, "adam second moment");
        Precision p = param.precision();
        // PyTorch computes the bias corrections and 1 - beta as Python floats (binary64), then hands kernels scalars.
        double stepSize = lr / (1 - Transcendentals.pow(beta1, step));
        double bc2Sqrt = Transcendentals.sqrt(1 - Transcendentals.pow(beta2, step));
        adamUpdateKernel(param, grad, expAvg, expAvgSq, p.scalar(stepSize), p.scalar(1 - beta1), p.scalar(beta2),
                p.scalar(1 - beta2), p.scalar(bc2Sqrt), p.scalar(eps), p.scalar(weightDecay));
    }

    // ---- the kernels: shapes checked, scalars narrowed (see the public op of the same name) --------------------

    protected abstract void writeKernel(Tensor dst, double[] values);

    protected abstract void writeKernel(Tensor dst, float[] values);

    protected abstract void copyKernel(Tensor src, Tensor dst);

    protected abstract void convertKernel(Tensor src, Tensor dst);

    protected abstract void conv2dForwardKernel(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y);

    protected abstract void conv2dBackwardKernel(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw,
                                                 Tensor db);

    protected abstract void linearForwardKernel(Tensor x, Tensor w, Tensor b, Tensor y);

    protected abstract void linearBackwardKernel(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db);

    protected abstract void reluForwardKernel(Tensor x, Tensor y);

    protected abstract void reluBackwardKernel(Tensor x, Tensor dy, double alpha, Tensor dx);

    /** beta = B and oneMinusBeta = 1 - B of a beta:B policy, as {@link Precision#scalar} and {@link Precision#complement}. */
    protected abstract long maxPoolForwardKernel(Tensor x, PoolGeometry g, PoolPolicy policy, double beta,
                                                 double oneMinusBeta, Tensor y);

    protected abstract void maxPoolBackwardKernel(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, double beta,
                                                  double oneMinusBeta, Tensor dx);

    protected abstract void avgPoolForwardKernel(Tensor x, PoolGeometry g, Tensor y);

    protected abstract void avgPoolBackwardKernel(Tensor dy, PoolGeometry g, Tensor dx);

    protected abstract void adaptiveAvgPoolForwardKernel(Tensor x, Tensor y);

    protected abstract void adaptiveAvgPoolBackwardKernel(Tensor dy, Tensor dx);

    protected abstract void batchNormForwardKernel(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                                   Tensor runningVar, boolean training, double momentum, double eps,
                                                   Tensor y, Tensor saveMean, Tensor saveInvStd);

    protected abstract void batchNormBackwardKernel(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean,
                                                    Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta);

    protected abstract void batchNormSumKernel(Tensor x, Tensor sum);

    protected abstract void batchNormSquaredDeviationsKernel(Tensor x, Tensor mean, Tensor squares);

    protected abstract void batchNormMeanKernel(Tensor sum, int count, Tensor saveMean);

    protected abstract void batchNormVarianceKernel(Tensor squares, int count, double momentum, double eps,
                                                    Tensor saveMean, Tensor runningMean, Tensor runningVar,
                                                    Tensor saveInvStd);

    protected abstract void batchNormNormalizeKernel(Tensor x, Tensor gamma, Tensor beta, Tensor saveMean,
                                                     Tensor saveInvStd, Tensor y);

    protected abstract void batchNormBackwardSumsKernel(Tensor x, Tensor dy, Tensor saveMean, Tensor sums);

    protected abstract void batchNormParameterGradientsKernel(Tensor sums, Tensor saveInvStd, Tensor dgamma,
                                                              Tensor dbeta);

    protected abstract void batchNormInputGradientKernel(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean,
                                                         Tensor saveInvStd, Tensor sums, int count, Tensor dx);

    protected abstract void concatForwardKernel(Tensor a, Tensor b, Tensor y);

    protected abstract void concatBackwardKernel(Tensor dy, Tensor da, Tensor db);

    protected abstract void addKernel(Tensor a, Tensor b, Tensor out);

    protected abstract void scaleKernel(Tensor t, double factor);

    /** The sum of the rows' losses in the arithmetic format, unrounded; dlogits scaled by lossScale / batchSize. */
    protected abstract LossSum softmaxCrossEntropyKernel(Tensor logits, int[] labels, double lossScale, int batchSize,
                                                         Tensor dlogits);

    /** keep = 1 - dampening, as {@link Precision#complement}. */
    protected abstract void sgdUpdateKernel(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                                            double keep, double weightDecay, boolean nesterov, boolean firstStep);

    /** stepSize = lr / (1 - beta1^step), bc2Sqrt = sqrt(1 - beta2^step), derived in binary64 and narrowed. */
    protected abstract void adamUpdateKernel(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double stepSize,
                                             double oneMinusBeta1, double beta2, double oneMinusBeta2, double bc2Sqrt,
                                             double eps, double weightDecay);
}
