package io.tiebreak.runtime.backend;

import io.tiebreak.runtime.jacobian.PoolPolicy;
import io.tiebreak.runtime.precision.Precision;
import io.tiebreak.runtime.tensor.Tensor;

/**
 * The kernels every op and model is written against. {@link io.tiebreak.runtime.backend.cpu.CpuBackend} and the CUDA
 * backend implement the same semantics (docs/design.md, "Precision semantics"): outputs are rounded once to
 * {@code precision.valueFormat()}, conv and linear round operands and results to {@code precision.matmulFormat()}
 * and accumulate in binary32 (binary64 for fp64). Both extend {@link CheckedBackend}, which checks every shape below
 * and narrows every scalar ({@link Precision#scalar}) before a kernel runs.
 *
 * <p>Conventions: tensors are NCHW, row-major; each method gives its tensors' shapes, llm.c style (N batch, C/O
 * input/output channels, H x W input and Ho x Wo output images, K classes, P any shape). Every output tensor is
 * passed in, already allocated with the right shape and precision, and is overwritten (never accumulated into)
 * unless a method says otherwise. Scalars are binary32 for fp16/fp32/mixed and binary64 for fp64, never rounded to
 * binary16. Nothing here keeps state between calls apart from scratch memory, so results depend only on the
 * arguments.
 */
public interface Backend extends AutoCloseable {

    /** Short name for logs and result rows, e.g. "cpu" or "cuda:0 (NVIDIA H100)". */
    String name();

    /** What this backend computes with, for result rows: "cpu, BLAS ..." with the BLAS the CPU reaches, or the GPU. */
    default String description() { return name(); }

    /** Worker threads (CPU) used by this backend; results never depend on it. */
    int threads();

    // ---- memory -----------------------------------------------------------------------------------------------

    /** A zero-filled tensor of the given shape. */
    Tensor zeros(Precision precision, int... shape);

    /** dst = values, each rounded to dst's format. dst: any shape P; values: size(P) values, row-major. */
    void write(Tensor dst, double[] values);

    /** As {@link #write(Tensor, double[])} from binary32 values (which widen exactly to fp64): the input-batch path. */
    void write(Tensor dst, float[] values);

    /** A tensor holding values rounded to precision.valueFormat(); values.length must equal the shape's size. */
    default Tensor upload(Precision precision, int[] shape, double[] values) {
        Tensor t = zeros(precision, shape);
        write(t, values);
        return t;
    }

    /** The tensor's size(P) values, row-major, exactly (binary16/binary32 widen exactly to binary64). t: any P. */
    double[] download(Tensor t);

    /** dst = src. src, dst: same shape P, same precision. */
    void copy(Tensor src, Tensor dst);

    /** dst = src rounded to dst's precision. src, dst: same size (precisions may differ: recomputing at fp64). */
    void convert(Tensor src, Tensor dst);

    /** t = value everywhere (value rounded to t's format). t: any P. */
    void fill(Tensor t, double value);

    // ---- convolution and linear -------------------------------------------------------------------------------

    /** y[n,o,:,:] = conv(x[n], w[o]) + b[o]. x [N,C,H,W], w [O,C,kh,kw], b [O] or null, y [N,O,Ho,Wo]. */
    void conv2dForward(Tensor x, Tensor w, Tensor b, ConvGeometry g, Tensor y);

    /**
     * Gradients of conv2dForward. x [N,C,H,W], w [O,C,kh,kw], dy [N,O,Ho,Wo]; dx [N,C,H,W] or null when not needed,
     * dw [O,C,kh,kw], db [O] or null when there is no bias.
     */
    void conv2dBackward(Tensor x, Tensor w, Tensor dy, ConvGeometry g, Tensor dx, Tensor dw, Tensor db);

    /** y = x w^T + b. x [N,in], w [out,in], b [out] or null, y [N,out]. */
    void linearForward(Tensor x, Tensor w, Tensor b, Tensor y);

    /**
     * dx = dy w, dw = dy^T x, db = sum_n dy. x [N,in], w [out,in], dy [N,out]; dx [N,in] or null when not needed,
     * dw [out,in], db [out] or null when there is no bias.
     */
    void linearBackward(Tensor x, Tensor w, Tensor dy, Tensor dx, Tensor dw, Tensor db);

    // ---- activations and pooling ------------------------------------------------------------------------------

    /** y = x < 0 ? 0 : x (PyTorch's relu: NaN and -0 pass through). x, y: any P. */
    void reluForward(Tensor x, Tensor y);

    /**
     * dx = dy where x > 0, 0 where x < 0, alpha*dy where x == 0 (exactly 0 when alpha is 0); NaN x passes dy, as
     * PyTorch. x, dy, dx: same P.
     */
    void reluBackward(Tensor x, Tensor dy, double alpha, Tensor dx);

    /**
     * Max pooling forward. x [N,C,H,W], y [N,C,Ho,Wo] (Ho, Wo from the geometry). For the composite form of beta:B,
     * y = round(round(B*m) + round((1-B)*m)); otherwise y = m. Returns the number of windows whose maximum is attained
     * at two or more inputs (ties, k >= 2).
     */
    long maxPoolForward(Tensor x, PoolGeometry g, PoolPolicy policy, Tensor y);

    /**
     * Max pooling backward under the policy (docs/design.md, "MaxPool Jacobian policies"). x [N,C,H,W] the forward
     * input, dy [N,C,Ho,Wo], dx [N,C,H,W] (overwritten).
     */
    void maxPoolBackward(Tensor x, Tensor dy, PoolGeometry g, PoolPolicy policy, Tensor dx);

    /** Average pooling, zero padding counted in the divisor (count_include_pad=True). x [N,C,H,W], y [N,C,Ho,Wo]. */
    void avgPoolForward(Tensor x, PoolGeometry g, Tensor y);

    /** Gradient of avgPoolForward. dy [N,C,Ho,Wo], dx [N,C,H,W]. */
    void avgPoolBackward(Tensor dy, PoolGeometry g, Tensor dx);

    /**
     * Adaptive average pooling to y's spatial size, with PyTorch's window bounds floor(i*H/Ho)..ceil((i+1)*H/Ho).
     * x [N,C,H,W], y [N,C,Ho,Wo].
     */
    void adaptiveAvgPoolForward(Tensor x, Tensor y);

    /** Gradient of adaptiveAvgPoolForward. dy [N,C,Ho,Wo], dx [N,C,H,W]. */
    void adaptiveAvgPoolBackward(Tensor dy, Tensor dx);

    // ---- concatenation ----------------------------------------------------------------------------------------

    /**
     * y = a and b side by side along dim 1 (channels; DenseNet's torch.cat(features, 1)). a [N,Ca,...], b [N,Cb,...],
     * y [N,Ca+Cb,...], the trailing dims equal. A copy: no rounding.
     */
    void concatForward(Tensor a, Tensor b, Tensor y);

    /** Its backward: da = dy[:, :Ca], db = dy[:, Ca:] (copies). */
    void concatBackward(Tensor dy, Tensor da, Tensor db);

    // ---- normalization and elementwise ------------------------------------------------------------------------

    /**
     * Batch norm over N (and H, W) per channel. x, y [N,C] or [N,C,H,W]; gamma, beta, runningMean, runningVar [C].
     * In training, normalizes with the batch's biased variance, writes saveMean and saveInvStd [C] (in the
     * accumulation format) for backward, and updates running stats with momentum (running_var gets the unbiased
     * variance). In eval, uses the running stats (saveMean and saveInvStd may be null).
     */
    void batchNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                          boolean training, double momentum, double eps, Tensor y, Tensor saveMean, Tensor saveInvStd);

    /**
     * Training-mode batch norm gradients. x, dy, dx [N,C] or [N,C,H,W]; gamma, saveMean, saveInvStd, dgamma, dbeta
     * [C].
     */
    void batchNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor saveMean, Tensor saveInvStd,
                           Tensor dx, Tensor dgamma, Tensor dbeta);

    /** out = a + b (residual add, gradient accumulation). a, b, out: same P; out may be a or b. */
    void add(Tensor a, Tensor b, Tensor out);

    /** t = t * factor, in place (loss-scale unscaling). t: any P. */
    void scale(Tensor t, double factor);

    /** How many values are NaN or infinite. t: any P. */
    long countNonFinite(Tensor t);

    /** Norms of t over all values, accumulated in binary64: {l1, l2, linf} (NaN propagates). t: any P. */
    double[] norms(Tensor t);

    // ---- loss -------------------------------------------------------------------------------------------------

    /**
     * Mean softmax cross-entropy over the batch. logits [N,K], labels: N values in [0,K), dlogits [N,K] or null.
     * Writes dlogits = lossScale * (softmax - onehot) / N (rounded once) when dlogits is not null.
     */
    LossResult softmaxCrossEntropy(Tensor logits, int[] labels, double lossScale, Tensor dlogits);

    /** Loss (mean over the batch, binary64 of the working-precision value) and how many argmax == label. */
    record LossResult(double loss, int correct) {}

    // ---- optimizer updates (PyTorch's op sequence; each op rounds its output to precision.valueFormat()) ------------

    /**
     * SGD with momentum, weight decay and Nesterov, as torch.optim.SGD: d = g + wd*p; buf = momentum*buf + (1 -
     * dampening)*d (buf = d on the first step); d = nesterov ? d + momentum*buf : buf; p = p - lr*d. param, grad,
     * momentumBuf: same P, updated in place; momentumBuf is null when momentum is 0.
     */
    void sgdUpdate(Tensor param, Tensor grad, Tensor momentumBuf, double lr, double momentum, double dampening,
                   double weightDecay, boolean nesterov, boolean firstStep);

    /**
     * Adam as torch.optim.Adam (L2 weight decay added to the gradient), step counted from 1. param, grad, expAvg,
     * expAvgSq: same P; param and the moments are updated in place.
     */
    void adamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1,
                    double beta2, double eps, double weightDecay, long step);

    @Override
    void close();
}
