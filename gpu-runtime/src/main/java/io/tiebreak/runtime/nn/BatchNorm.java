package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.parallel.Share;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * Batch norm over [N,C] (BatchNorm1d) or [N,C,H,W] (BatchNorm2d), PyTorch's defaults: momentum 0.1, eps 1e-5,
 * weight 1, bias 0. Training mode normalizes with batch statistics and updates the running ones. Over micro-batches
 * the statistics are still the whole batch's, on every device (docs/design.md, "Data parallelism").
 */
public final class BatchNorm implements Layer {
    public static final double MOMENTUM = 0.1, EPS = 1e-5;

    private final Context ctx;
    private final String name;
    private final int channels;
    private final Parameter weight, bias, runningMean, runningVar;
    private final Tensor saveMean, saveInvStd;
    private MicroBatches x;
    private Tensor[] y, dx, parts, backwardParts;
    private Tensor total, backwardTotal;
    private int count; // values per channel in the whole batch, over micro-batches

    public BatchNorm(Context ctx, String name, int channels) {
        this.ctx = ctx;
        this.name = name;
        this.channels = channels;
        weight = Parameter.trainable(ctx, name + ".weight", channels);
        bias = Parameter.trainable(ctx, name + ".bias", channels);
        runningMean = Parameter.buffer(ctx, name + ".running_mean", channels);
        runningVar = Parameter.buffer(ctx, name + ".running_var", channels);
        Init.constant(ctx, weight, 1);
        Init.constant(ctx, runningVar, 1);
        saveMean = ctx.accumulationZeros(channels);
        saveInvStd = ctx.accumulationZeros(channels);
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        long values = 0; // per channel, in this device's micro-batches
        for (int i = 0; i < x.count(); i++) {
            Tensor t = x.get(i);
            if ((t.rank() != 2 && t.rank() != 4) || t.dim(1) != channels) {
                throw new IllegalArgumentException(name + " input: expected [N," + channels + "] or [N," + channels
                        + ",H,W], got " + t);
            }
            values += t.size() / channels;
        }
        this.x = x;
        y = ctx.reuse(y, x, Tensor::shape);
        Backend b = ctx.backend();
        if (!training || x.whole()) {
            if (training && values < 2) {
                throw new IllegalArgumentException(name + ": training needs more than one value per channel, got " + x.get(0));
            }
            for (int i = 0; i < x.count(); i++) {
                b.batchNormForward(x.get(i), weight.value(), bias.value(), runningMean.value(), runningVar.value(),
                        training, MOMENTUM, EPS, y[i], saveMean, saveInvStd);
            }
            return x.with(y);
        }
        // Over micro-batches: the whole batch's mean, then its squared deviations, each a sum of the micro-batches'
        // sums in the tree order; then every micro-batch normalized with them. A device may hold none of the last
        // batch's micro-batches: it still takes part, and learns the batch's size from the others.
        Share share = x.share();
        count = Math.toIntExact(ctx.reduction().count(share, values));
        if (count < 2) {
            throw new IllegalArgumentException(name + ": training needs more than one value per channel, got " + count);
        }
        parts = ctx.partials(parts, x.count(), channels);
        total = total == null ? ctx.accumulationZeros(channels) : total;
        for (int i = 0; i < x.count(); i++) b.batchNormSum(x.get(i), parts[i]);
        ctx.reduction().sum(share, parts, total, ctx.precision().arithmeticFormat());
        b.batchNormMean(total, count, saveMean);
        for (int i = 0; i < x.count(); i++) b.batchNormSquaredDeviations(x.get(i), saveMean, parts[i]);
        ctx.reduction().sum(share, parts, total, ctx.precision().arithmeticFormat());
        b.batchNormVariance(total, count, MOMENTUM, EPS, saveMean, runningMean.value(), runningVar.value(), saveInvStd);
        for (int i = 0; i < x.count(); i++) {
            b.batchNormNormalize(x.get(i), weight.value(), bias.value(), saveMean, saveInvStd, y[i]);
        }
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        dx = ctx.reuse(dx, x, Tensor::shape);
        Backend b = ctx.backend();
        if (dy.whole()) {
            b.batchNormBackward(x.single(), weight.value(), dy.single(), saveMean, saveInvStd, dx[0], weight.grad(),
                    bias.grad());
            return needInputGrad ? dy.with(dx) : null;
        }
        // Over micro-batches: the sums of dy and of (x - mean) * dy over the whole batch, then each micro-batch's dx.
        backwardParts = ctx.partials(backwardParts, dy.count(), 2, channels);
        backwardTotal = backwardTotal == null ? ctx.accumulationZeros(2, channels) : backwardTotal;
        for (int i = 0; i < dy.count(); i++) b.batchNormBackwardSums(x.get(i), dy.get(i), saveMean, backwardParts[i]);
        ctx.reduction().sum(dy.share(), backwardParts, backwardTotal, ctx.precision().arithmeticFormat());
        b.batchNormParameterGradients(backwardTotal, saveInvStd, weight.grad(), bias.grad());
        if (!needInputGrad) return null;
        for (int i = 0; i < dy.count(); i++) {
            b.batchNormInputGradient(x.get(i), weight.value(), dy.get(i), saveMean, saveInvStd, backwardTotal, count, dx[i]);
        }
        return dy.with(dx);
    }

    @Override
    public void collectParameters(List<Parameter> out) {
        out.add(weight);
        out.add(bias);
        out.add(runningMean);
        out.add(runningVar);
    }

    @Override
    public void releaseBuffers() {
        x = null;
        y = dx = parts = backwardParts = null;
    }
}
