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
        conv2dBackwardKernel(x, w, dy, g, dx, dw, db);
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
        Shapes.requireLabels(logits, labels, dlogits);
        return softmaxCrossEntropyKernel(logits, labels, logits.precision().scalar(lossScale), dlogits);
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

    protected abstract void concatForwardKernel(Tensor a, Tensor b, Tensor y);

    protected abstract void concatBackwardKernel(Tensor dy, Tensor da, Tensor db);

    protected abstract void addKernel(Tensor a, Tensor b, Tensor out);

    protected abstract void scaleKernel(Tensor t, double factor);

    protected abstract LossResult softmaxCrossEntropyKernel(Tensor logits, int[] labels, double lossScale,
                                                            Tensor dlogits);

    /** keep = 1 - dampening, as {@link Precision#complement}. */
    protected abstract void sgdUpdateKernel(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum,
                                            double keep, double weightDecay, boolean nesterov, boolean firstStep);

    /** stepSize = lr / (1 - beta1^step), bc2Sqrt = sqrt(1 - beta2^step), derived in binary64 and narrowed. */
    protected abstract void adamUpdateKernel(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double stepSize,
                                             double oneMinusBeta1, double beta2, double oneMinusBeta2, double bc2Sqrt,
                                             double eps, double weightDecay);
}
