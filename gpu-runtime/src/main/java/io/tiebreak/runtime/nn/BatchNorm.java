package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * Batch norm over [N,C] (BatchNorm1d) or [N,C,H,W] (BatchNorm2d), PyTorch's defaults: momentum 0.1, eps 1e-5,
 * weight 1, bias 0. Training mode normalizes with batch statistics and updates the running ones.
 */
public final class BatchNorm implements Layer {
    public static final double MOMENTUM = 0.1, EPS = 1e-5;

    private final Context ctx;
    private final String name;
    private final int channels;
    private final Parameter weight, bias, runningMean, runningVar;
    private final Tensor saveMean, saveInvStd;
    private Tensor x, y, dx;

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
    public Tensor forward(Tensor x, boolean training) {
        if ((x.rank() != 2 && x.rank() != 4) || x.dim(1) != channels) {
            throw new IllegalArgumentException(name + " input: expected [N," + channels + "] or [N," + channels
                    + ",H,W], got " + x);
        }
        if (training && x.size() / channels < 2) {
            throw new IllegalArgumentException(name + ": training needs more than one value per channel, got " + x);
        }
        this.x = x;
        y = ctx.reuse(y, x.shape());
        ctx.backend().batchNormForward(x, weight.value(), bias.value(), runningMean.value(), runningVar.value(),
                training, MOMENTUM, EPS, y, saveMean, saveInvStd);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        dx = ctx.reuse(dx, x.shape());
        ctx.backend().batchNormBackward(x, weight.value(), dy, saveMean, saveInvStd, dx, weight.grad(), bias.grad());
        return needInputGrad ? dx : null;
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
        x = y = dx = null;
    }
}
