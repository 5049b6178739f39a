package io.tiebreak.runtime.nn;

import io.tiebreak.runtime.parallel.MicroBatches;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.List;

/**
 * y = cat(x, branch(x)) along channels: DenseNet's dense layer, whose branch computes new features from all the
 * ones before (the way {@link Residual} adds a branch to its input). x [N,C,H,W], branch(x) [N,G,H,W],
 * y [N,C+G,H,W], per micro-batch. A block of such layers is DenseNet's block: each layer sees the concatenation of
 * the block's input and every earlier layer's features, and the block outputs all of them.
 */
public final class Concat implements Layer {
    private final Context ctx;
    private final Layer branch;
    private int inChannels;
    private Tensor[] y, dx, dNew;

    public Concat(Context ctx, Layer branch) {
        this.ctx = ctx;
        this.branch = branch;
    }

    @Override
    public MicroBatches forward(MicroBatches x, boolean training) {
        inChannels = x.get(0).dim(1);
        MicroBatches fresh = branch.forward(x, training);
        int g = fresh.get(0).dim(1);
        y = ctx.reuse(y, x, t -> withChannels(t, t.dim(1) + g));
        for (int i = 0; i < x.count(); i++) ctx.backend().concatForward(x.get(i), fresh.get(i), y[i]);
        return x.with(y);
    }

    @Override
    public MicroBatches backward(MicroBatches dy, boolean needInputGrad) {
        dx = ctx.reuse(dx, dy, t -> withChannels(t, inChannels));
        dNew = ctx.reuse(dNew, dy, t -> withChannels(t, t.dim(1) - inChannels));
        for (int i = 0; i < dy.count(); i++) ctx.backend().concatBackward(dy.get(i), dx[i], dNew[i]);
        MicroBatches dBranch = branch.backward(dy.with(dNew), needInputGrad);
        if (!needInputGrad) return null;
        // x's gradient: its part of dy, then the branch's (PyTorch's autograd adds them in that order too: the later
        // consumer of x, the concatenation, first).
        for (int i = 0; i < dy.count(); i++) ctx.backend().add(dx[i], dBranch.get(i), dx[i]);
        return dy.with(dx);
    }

    private static int[] withChannels(Tensor t, int channels) {
        int[] s = t.shape();
        s[1] = channels;
        return s;
    }

    @Override
    public void collectParameters(List<Parameter> out) { branch.collectParameters(out); }

    @Override
    public void collectPools(List<MaxPool2d> out) { branch.collectPools(out); }

    @Override
    public void releaseBuffers() {
        branch.releaseBuffers();
        y = dx = dNew = null;
    }
}
